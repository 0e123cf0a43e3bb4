//! Where `git push` (without a refspec) sends the checked-out branch, from
//! the push settings as git reads them ([`super::config`]):
//! `branch.<name>.pushRemote`, `remote.pushDefault`, `branch.<name>.remote`
//! choose the remote; `push.default` (`simple` unless set) and
//! `branch.<name>.merge` the branch (git's `setup_default_push_refspecs`,
//! builtin/push.c).
//!
//! One difference, on purpose: under `simple`, a branch without an
//! upstream goes to the branch of the same name (and becomes its
//! upstream), as `push.autoSetupRemote` makes git do; git without that
//! setting refuses.

use super::config::Snapshot;
use crate::git::error::{self, Error, Result};

/// The remote and branch on it a push of the checked-out branch goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PushTo {
    pub remote: String,
    pub branch: String,
}

/// What the run was asked for, and where HEAD is.
pub(crate) struct Asked<'a> {
    /// The checked-out branch, `None` on a detached HEAD.
    pub current: Option<&'a str>,
    /// `--branch NAME`.
    pub branch: Option<&'a str>,
    /// `--remote NAME`.
    pub remote: Option<&'a str>,
}

/// The remote a push goes to when none is named: as git's
/// `pushremote_for_branch`.
pub(crate) fn push_remote(config: &Snapshot, current: Option<&str>) -> String {
    let of_branch = |key: &str| current.and_then(|c| config.string(&format!("branch.{c}.{key}")));
    of_branch("pushRemote")
        .or_else(|| config.string("remote.pushDefault"))
        .or_else(|| of_branch("remote"))
        .filter(|r| !r.is_empty() && r != ".")
        .unwrap_or_else(|| "origin".to_string())
}

/// Where the push goes, as `git push [REMOTE]` decides, or git's refusal.
pub(crate) fn decide(config: &Snapshot, asked: &Asked<'_>) -> Result<PushTo> {
    let remote = asked
        .remote
        .map(str::to_string)
        .unwrap_or_else(|| push_remote(config, asked.current));
    // `--branch NAME` is `git push REMOTE HEAD:NAME`.
    if let Some(branch) = asked.branch {
        return Ok(PushTo {
            remote,
            branch: branch.to_string(),
        });
    }
    let Some(current) = asked.current else {
        return Err(detached());
    };
    let same = || PushTo {
        remote: remote.clone(),
        branch: current.to_string(),
    };
    let fetch_remote = config
        .string(&format!("branch.{current}.remote"))
        .filter(|r| !r.is_empty() && r != ".");
    let merge = config
        .all(&format!("branch.{current}.merge"))
        .into_iter()
        .filter(|m| !m.is_empty())
        .collect::<Vec<_>>();
    let upstream = match (&fetch_remote, merge.as_slice()) {
        (Some(_), [one]) => one.strip_prefix("refs/heads/").map(str::to_string),
        _ => None,
    };
    let triangular = fetch_remote.as_deref().unwrap_or("origin") != remote;
    let mode = config
        .string("push.default")
        .map(|m| m.to_ascii_lowercase())
        .unwrap_or_else(|| "simple".to_string());
    match mode.as_str() {
        "nothing" => Err(error::checkout(
            "push.default is \"nothing\": git push, without naming a branch, pushes nothing, and neither does mlops",
        )
        .advised(format!("name the branch to update: --branch {current}"))
        .advised("nothing was changed")),
        // `matching` pushes every branch that has a namesake on the
        // remote: the current one goes to its namesake.
        "current" | "matching" => Ok(same()),
        "upstream" | "tracking" => match (triangular, upstream) {
            (true, _) => Err(error::checkout(format!(
                "you are pushing to remote {remote:?}, which is not the upstream of your current branch {current:?}, without saying which remote branch to update (push.default is upstream)"
            ))
            .advised(format!("name it: --branch NAME (git push {remote} HEAD:NAME)"))
            .advised("nothing was changed")),
            (false, None) => Err(error::checkout(format!(
                "the current branch {current} has no upstream branch (push.default is upstream)"
            ))
            .advised(format!("set one (git branch --set-upstream-to {remote}/{current}), or name the branch: --branch {current}"))
            .advised("nothing was changed")),
            (false, Some(upstream)) => Ok(PushTo { remote, branch: upstream }),
        },
        _ => match upstream {
            Some(upstream) if !triangular && upstream != current => {
                Err(mismatch(&remote, current, &upstream))
            }
            _ => Ok(same()),
        },
    }
}

/// git's `die_push_simple`, in mlops's terms.
fn mismatch(remote: &str, current: &str, upstream: &str) -> Error {
    error::checkout(format!(
        "the upstream branch of your current branch does not match the name of your current branch: {current} tracks {remote}/{upstream}; as git push does (push.default simple), mlops will not push onto {remote}/{upstream}"
    ))
    .advised(format!(
        "to push to the upstream branch on the remote, use --branch {upstream} (git push {remote} HEAD:{upstream})"
    ))
    .advised(format!(
        "to push to the branch of the same name on the remote, use --branch {current} (git push {remote} HEAD)"
    ))
    .advised("to choose either option permanently, see push.default in 'git help config'")
    .advised("nothing was fetched, committed or pushed")
}

/// A detached HEAD has no branch to push to.
pub(crate) fn detached() -> Error {
    error::checkout("HEAD is detached: mlops needs --branch NAME to know which remote branch to update")
        .advised("pass the branch Argo CD watches, e.g. --branch main: the change is composed on the remote's branch and pushed there, and the checkout is not touched")
        .advised("or check out a branch first (git switch main)")
}

/// Refuses a `--branch` or `--base` that git would refuse as a branch name
/// (`git check-ref-format --branch`), before anything is fetched
/// ([`error::Kind::Input`]).
pub(crate) fn check_names(options: &super::Options) -> Result<()> {
    let named = [("--branch", &options.branch), ("--base", &options.base)];
    for (option, name) in named {
        let Some(name) = name else { continue };
        if !valid_branch_name(name) {
            return Err(error::input(format!(
                "{option} {name:?} is not a valid branch name: git refuses it (git check-ref-format --branch)"
            ))
            .advised("a branch name can't contain '..', '@{', spaces, control characters or any of ~ ^ : ? * [ \\, can't begin with '-' or '.', and can't end with '/', '.' or '.lock'")
            .advised("nothing was fetched or changed"));
        }
    }
    Ok(())
}

/// git's rules for a branch name (`strbuf_check_branch_ref`): a valid
/// `refs/heads/NAME`, not `HEAD`, not starting with `-`.
pub(crate) fn valid_branch_name(name: &str) -> bool {
    !name.starts_with('-')
        && name != "HEAD"
        && git2::Reference::is_valid_name(&format!("refs/heads/{name}"))
}

impl super::Workspace {
    /// The remote and branch a push goes to, as `git push` decides it
    /// (src/git/config_push.rs), or git's refusal (a branch whose upstream
    /// has another name, `push.default=nothing`, …), before anything is
    /// fetched.
    pub(crate) fn push_target(&self) -> Result<(String, String)> {
        let head = self.repo.head().ok();
        let current = head
            .as_ref()
            .filter(|h| h.is_branch())
            .and_then(|h| h.shorthand().ok());
        let asked = Asked {
            current,
            branch: self.options.branch.as_deref(),
            remote: self.options.remote.as_deref(),
        };
        let to = decide(&super::config::of(&self.repo), &asked)?;
        self.step(|| format!("git push would update {}/{}", to.remote, to.branch));
        Ok((to.remote, to.branch))
    }
}
