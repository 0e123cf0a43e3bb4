//! Which environments and models a repository holds, by the one rule for
//! names ([`super::layout::name_problem`]) and the one place a model's
//! values live (`<env>/<model>/config.yaml`). Status lists everything with
//! the reason a folder is not a usable model; the commands that name models
//! get that same reason when they name such a folder.

use super::layout::{name_problem, Target, CONFIG, DEPLOYMENTS};
use super::snapshot::{EntryKind, Snapshot};
use crate::error::{self, Error, Result};
use crate::git::worktree::through_link;

/// A folder under an environment, and why it is not a usable model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    pub target: Target,
    /// `None` for a model mlops can read and edit.
    pub problem: Option<String>,
}

/// The environment folders (valid names only), sorted.
pub(crate) fn envs(snap: &dyn Snapshot) -> Result<Vec<String>> {
    if linked(snap, DEPLOYMENTS)?.is_some() {
        return Ok(Vec::new());
    }
    Ok(snap
        .folders(DEPLOYMENTS)?
        .into_iter()
        .filter(|e| name_problem(e).is_none())
        .collect())
}

/// The usable models of `env` whose names start with `prefix`, sorted.
pub(crate) fn models(snap: &dyn Snapshot, env: &str, prefix: &str) -> Result<Vec<String>> {
    Ok(list_env(snap, env, prefix)?
        .into_iter()
        .filter(|l| l.problem.is_none())
        .map(|l| l.target.model)
        .collect())
}

/// The folders of `env` starting with `prefix` whose names are valid model
/// names, from the listing alone (a Tab cannot afford a lookup per folder;
/// whether each holds a config.yaml comes out when its state is read).
pub(crate) fn folders(snap: &dyn Snapshot, env: &str, prefix: &str) -> Result<Vec<String>> {
    let dir = format!("{DEPLOYMENTS}/{env}");
    if linked(snap, &dir)?.is_some() {
        return Ok(Vec::new());
    }
    Ok(snap
        .entries(&dir, prefix)?
        .into_iter()
        .filter(|e| e.kind == EntryKind::Dir && name_problem(&e.name).is_none())
        .map(|e| e.name)
        .collect())
}

/// Every folder of every environment in `only` (all when empty), with
/// its problem if it has one, sorted by env then model. An unknown
/// environment in `only` is an error listing the ones that exist. What
/// lies beyond a symlink (`model-deployments` or an environment folder
/// that is a link) is listed by name, each with the link as its problem.
pub(crate) fn list(snap: &dyn Snapshot, only: &[String]) -> Result<Vec<Listed>> {
    let all: Vec<String> = snap
        .entries(DEPLOYMENTS, "")?
        .into_iter()
        .filter(|e| matches!(e.kind, EntryKind::Dir | EntryKind::Link))
        .filter(|e| name_problem(&e.name).is_none())
        .map(|e| e.name)
        .collect();
    for env in only {
        super::layout::check_name("environment", env)?;
        if !all.contains(env) {
            return Err(unknown("environment", env, &all, DEPLOYMENTS));
        }
    }
    let mut out = Vec::new();
    for env in all.iter().filter(|e| only.is_empty() || only.contains(e)) {
        out.extend(list_env(snap, env, "")?);
    }
    Ok(out)
}

/// The folders of one environment: one listing of the environment and,
/// per folder, one lookup of its config.yaml.
fn list_env(snap: &dyn Snapshot, env: &str, prefix: &str) -> Result<Vec<Listed>> {
    let dir = format!("{DEPLOYMENTS}/{env}");
    let link = linked(snap, &dir)?;
    let mut out = Vec::new();
    for entry in snap.entries(&dir, prefix)? {
        let target = Target::new(env, &entry.name);
        let problem = match (&link, entry.kind) {
            (Some(link), EntryKind::Dir | EntryKind::Link) => Some(through_link(link).message),
            (None, EntryKind::Dir) => folder_problem(snap, &target)?,
            (None, EntryKind::Link) => Some(
                "the model folder is a symlink: git keeps a link there, not a folder; mlops will not edit through it"
                    .to_string(),
            ),
            _ => continue,
        };
        out.push(Listed { target, problem });
    }
    Ok(out)
}

/// Why the folder of `target` is not a usable model, if it is not.
fn folder_problem(snap: &dyn Snapshot, target: &Target) -> Result<Option<String>> {
    if let Some(why) = name_problem(&target.model) {
        return Ok(Some(format!(
            "{:?} is not a valid model name ({why}): Argo CD application names are lowercase letters, digits, '-' and '.'",
            target.model
        )));
    }
    Ok(match snap.kind(&target.path())? {
        Some(EntryKind::File) => None,
        Some(EntryKind::Link) => Some(format!("{CONFIG} is a symlink, not a file")),
        Some(_) => Some(format!("{CONFIG} is not a file")),
        None => {
            let others: Vec<String> = snap
                .entries(&target.dir(), "")?
                .into_iter()
                .filter(|e| e.kind == EntryKind::File)
                .map(|e| e.name)
                .collect();
            Some(if others.iter().any(|n| n == "config.yml") {
                format!("it has config.yml; the ApplicationSets read {CONFIG}: rename it (git mv config.yml {CONFIG})")
            } else if others.is_empty() {
                format!("it holds no {CONFIG}")
            } else {
                format!("it holds no {CONFIG} (it has {})", others.join(", "))
            })
        }
    })
}

/// The first symlink on the way from the repository root to `path`
/// (`path` included), as the snapshot holds it: a link on disk, or one git
/// stores (mode 120000). git never follows a link in a path, and neither
/// does mlops: nothing beyond one is read, offered or written.
pub(crate) fn linked(snap: &dyn Snapshot, path: &str) -> Result<Option<String>> {
    let parts: Vec<&str> = path.split('/').collect();
    for n in 1..=parts.len() {
        let prefix = parts[..n].join("/");
        match snap.kind(&prefix)? {
            Some(EntryKind::Link) => return Ok(Some(prefix)),
            Some(EntryKind::Dir) => {}
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// Checks that `env` exists (exit 3 with the ones that do, otherwise).
pub(crate) fn resolve_env(snap: &dyn Snapshot, env: &str) -> Result<()> {
    if let Some(link) = linked(snap, &format!("{DEPLOYMENTS}/{env}"))? {
        return Err(through_link(&link).into());
    }
    let all = envs(snap)?;
    match all.iter().any(|e| e == env) {
        true => Ok(()),
        false => Err(unknown("environment", env, &all, DEPLOYMENTS)),
    }
}

/// Checks that every target exists and is a usable model; the error says
/// what is there instead (exit 3).
pub(crate) fn resolve(snap: &dyn Snapshot, targets: &[Target]) -> Result<()> {
    let mut known_envs: Option<Vec<String>> = None;
    for target in targets {
        if let Some(link) = linked(snap, &format!("{DEPLOYMENTS}/{}", target.env))? {
            return Err(through_link(&link).into());
        }
        let usable = snap.kind(&target.dir())? == Some(EntryKind::Dir)
            && snap.kind(&target.path())? == Some(EntryKind::File);
        if usable {
            continue;
        }
        let envs = match &known_envs {
            Some(envs) => envs,
            None => known_envs.insert(envs(snap)?),
        };
        if !envs.contains(&target.env) {
            return Err(unknown("environment", &target.env, envs, DEPLOYMENTS));
        }
        let listed = list_env(snap, &target.env, "")?;
        let dir = format!("{DEPLOYMENTS}/{}", target.env);
        return Err(match listed.iter().find(|l| l.target == *target) {
            Some(Listed {
                problem: Some(why), ..
            }) => error::config(format!("{} can't be used: {why}", target.dir())).hinted(format!(
                "a model is a folder {DEPLOYMENTS}/<env>/<model>/ holding {CONFIG}"
            )),
            _ => {
                let usable: Vec<String> = listed
                    .into_iter()
                    .filter(|l| l.problem.is_none())
                    .map(|l| l.target.model)
                    .collect();
                unknown("model", &target.model, &usable, &dir)
            }
        });
    }
    Ok(())
}

/// "unknown model `jukbox` … did you mean `jukebox`?", listing what exists.
fn unknown(what: &str, name: &str, known: &[String], dir: &str) -> Error {
    let mut err = error::config(format!("unknown {what} {name:?}: there is no {dir}/{name}"));
    if let Some(near) = nearest(name, known) {
        err = err.hinted(format!("did you mean {near:?}?"));
    }
    let list = if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    };
    let plural = if what == "environment" {
        "environments"
    } else {
        "models"
    };
    err.hinted(format!("{plural} in {dir}: {list}"))
}

/// The known name closest to `name`, if it is close enough to be a typo.
fn nearest<'a>(name: &str, known: &'a [String]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) && *d < k.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_suggested() {
        let known = vec!["jukebox".to_string(), "jukebox-ui".to_string()];
        assert_eq!(nearest("jukbox", &known), Some("jukebox"));
        assert_eq!(nearest("jukebox-iu", &known), Some("jukebox-ui"));
        assert_eq!(nearest("zzz", &known), None);
    }
}
