//! The history of what the chart reads: for each commit of a branch that
//! changed a value of a model, which keys changed from what to what (and
//! the rendered autoscaler, as a derived key).
//!
//! Commits are compared only along the models' paths: the id of
//! `model-deployments` first (equal: nothing below changed, nothing more
//! is read), then per model path the blob id, found component by component
//! with libgit2's binary search in each tree. Values are parsed only for a
//! blob that changed, and each blob once. A merge is reported only for
//! the values its result holds that no parent had (a conflict resolved by
//! hand): otherwise the change belongs to the commit that made it. When a
//! model folder or an environment folder was renamed, the model is
//! followed into its old name, like `git log --follow` (see [`renames`]).

use std::collections::{BTreeMap, HashMap};

use git2::{Commit, Oid, Repository, Sort};

use super::chart::Rendering;
use super::layout::{Target, DEPLOYMENTS};
use super::renames;
use crate::edit;
use crate::error::{self, Result};
use crate::git::treepath::TreePaths;

/// The key under which a change of the rendered autoscaler is listed.
pub(crate) const AUTOSCALER: &str = "autoscaler";

/// One key's change; `None` is "absent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyChange {
    pub key: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// A value in the history: what the chart reads, or a word of mlops's own
/// (the rendered autoscaler, a file that can't be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Chart(edit::ChartValue),
    Derived(String),
}

impl Value {
    /// For people: the chart's value as [`edit::ChartValue::display`]
    /// shows it (`"false"` quoted), a derived word as it is.
    pub fn text(&self) -> String {
        match self {
            Value::Chart(v) => v.display(),
            Value::Derived(word) => word.clone(),
        }
    }
}

/// JSON: the value the chart reads (`"4562e17"` a string, `3` a number).
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Value::Chart(v) => v.serialize(s),
            Value::Derived(word) => s.serialize_str(word),
        }
    }
}

/// What one commit changed in one model.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub commit: Oid,
    pub author: String,
    pub email: String,
    /// Seconds since the epoch and the author's offset in minutes.
    pub time: (i64, i32),
    pub target: Target,
    /// The model's earlier name when this commit renamed its folder.
    pub renamed_from: Option<Target>,
    /// The model's later name when this commit renamed its folder away.
    pub renamed_to: Option<Target>,
    pub changes: Vec<KeyChange>,
}

/// What to list.
pub(crate) struct Query<'a> {
    /// The models to follow (their names at the tip).
    pub targets: &'a [Target],
    /// Only these keys (`autoscaler` included); all when empty.
    pub keys: &'a [String],
    pub max: Option<usize>,
}

/// The entries from `tip` backwards, newest first.
pub(crate) fn history(repo: &Repository, tip: Oid, query: &Query<'_>) -> Result<Vec<Entry>> {
    // `--max-count 0` lists nothing, as `git log --max-count 0`.
    if query.max == Some(0) {
        return Ok(Vec::new());
    }
    let fail = |e: git2::Error| error::git("could not read the history").caused_by(e);
    let mut walk = repo.revwalk().map_err(fail)?;
    // Topological: a rename is met only after every commit that used the
    // new name (commits of one second are otherwise in any order).
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
        .map_err(fail)?;
    walk.push(tip).map_err(fail)?;
    // The path each model had at the commits still to come.
    let mut names: Vec<Target> = query.targets.to_vec();
    let mut values = Values::for_keys(query.keys);
    crate::git::treepath::read_only_history_settings();
    let mut paths = TreePaths::new(repo).map_err(fail)?;
    let commits: Vec<Commit<'_>> = walk
        .map(|oid| oid.and_then(|oid| repo.find_commit(oid)))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    let roots: Vec<Oid> = commits.iter().map(Commit::tree_id).collect();
    let wanted: Vec<String> = names.iter().map(Target::path).collect();
    let threads = super::states::threads(roots.len(), 512, 4);
    paths.prefetch(repo.path(), &roots, &wanted, threads);
    let mut out = Vec::new();
    for commit in commits {
        let parents: Vec<Commit<'_>> = commit.parents().collect();
        let top = paths.id(commit.tree_id(), DEPLOYMENTS);
        if parents
            .iter()
            .any(|p| paths.id(p.tree_id(), DEPLOYMENTS) == top)
        {
            continue;
        }
        for (i, target) in names.clone().iter().enumerate() {
            let new = paths.id(commit.tree_id(), &target.path());
            let olds: Vec<Option<Oid>> = parents
                .iter()
                .map(|p| paths.id(p.tree_id(), &target.path()))
                .collect();
            if olds.contains(&new) {
                continue;
            }
            let mut old = olds.first().copied().flatten();
            let (mut renamed_from, mut renamed_to) = (None, None);
            if new.is_some() && old.is_none() && parents.len() == 1 {
                if let Some(before) = renames::renamed_from(repo, &commit, &parents[0], target) {
                    old = paths.id(parents[0].tree_id(), &before.path());
                    renamed_from = Some(before.clone());
                    names[i] = before;
                }
            } else if new.is_none() && old.is_some() && parents.len() == 1 {
                renamed_to = renames::renamed_to(repo, &commit, &parents[0], target);
            }
            // Renamed away: the values went with the folder, not away.
            let mut changes = match renamed_to {
                Some(_) => Vec::new(),
                None => values.diff(repo, old, new, query.keys)?,
            };
            // A merge keeps only what no parent explains: a key whose new
            // value one parent already had came from that parent's commit.
            for other in olds.iter().skip(1) {
                let theirs = values.of(repo, *other)?;
                changes.retain(|c| theirs.get(&c.key) != c.new.as_ref());
            }
            if changes.is_empty() && renamed_from.is_none() && renamed_to.is_none() {
                continue;
            }
            let author = commit.author();
            out.push(Entry {
                commit: oid_of(&commit),
                author: author.name().unwrap_or("").to_string(),
                email: author.email().unwrap_or("").to_string(),
                time: (author.when().seconds(), author.when().offset_minutes()),
                target: target.clone(),
                renamed_from,
                renamed_to,
                changes,
            });
            if query.max.is_some_and(|max| out.len() >= max) {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

fn oid_of(commit: &Commit<'_>) -> Oid {
    commit.id()
}

/// Parsed values per blob, each blob parsed once.
#[derive(Default)]
struct Values {
    parsed: HashMap<Oid, BTreeMap<String, Value>>,
    /// The asked keys that are Helm paths below the top level (or escape
    /// a character), read at their path and listed under the key as given.
    paths: Vec<(String, edit::Path)>,
}

impl Values {
    fn for_keys(keys: &[String]) -> Values {
        let paths = keys
            .iter()
            .filter_map(|k| Some((k.clone(), edit::Path::parse(k).ok()?)))
            .filter(|(k, p)| *p != edit::Path::key(k))
            .collect();
        Values {
            paths,
            ..Values::default()
        }
    }

    /// The keys as the chart reads them (a file that can't be parsed
    /// reads as one `(unreadable)` value), with the derived `autoscaler`.
    fn of(&mut self, repo: &Repository, blob: Option<Oid>) -> Result<BTreeMap<String, Value>> {
        let Some(id) = blob else {
            return Ok(BTreeMap::new());
        };
        if let Some(found) = self.parsed.get(&id) {
            return Ok(found.clone());
        }
        let blob = repo
            .find_blob(id)
            .map_err(|e| error::git("could not read a config from the history").caused_by(e))?;
        let bytes = blob.content();
        let mut map = BTreeMap::new();
        match edit::read(bytes) {
            Ok(values) => {
                for (key, reading) in values.keys() {
                    map.insert(key.to_string(), Value::Chart(reading.value.clone()));
                }
                for (key, path) in &self.paths {
                    if let Ok(Some(found)) = super::chart::value_at(bytes, path) {
                        map.insert(key.clone(), Value::Chart(found.reading.value));
                    }
                }
                if let Ok(r) = Rendering::read(bytes) {
                    let word = r.autoscaler().as_str().to_string();
                    map.insert(AUTOSCALER.to_string(), Value::Derived(word));
                }
            }
            Err(refusal) => {
                map.insert(
                    "(file)".to_string(),
                    Value::Derived(format!("unreadable: {}", refusal.reason)),
                );
            }
        }
        self.parsed.insert(id, map.clone());
        Ok(map)
    }

    fn diff(
        &mut self,
        repo: &Repository,
        old: Option<Oid>,
        new: Option<Oid>,
        keys: &[String],
    ) -> Result<Vec<KeyChange>> {
        let (before, after) = (self.of(repo, old)?, self.of(repo, new)?);
        let mut all: Vec<&String> = before.keys().chain(after.keys()).collect();
        all.sort();
        all.dedup();
        Ok(all
            .into_iter()
            .filter(|k| keys.is_empty() || keys.contains(k))
            .filter(|k| before.get(*k) != after.get(*k))
            .map(|k| KeyChange {
                key: k.clone(),
                old: before.get(k).cloned(),
                new: after.get(k).cloned(),
            })
            .collect())
    }
}

/// `2026-11-30 12:00:00 +0100`, the author's local time, as `git log
/// --date=iso` writes it. By hand: the conversion is the dozen lines of
/// the civil-from-days algorithm, not worth a date crate in the build.
pub(crate) fn iso_date((seconds, offset_minutes): (i64, i32)) -> String {
    let local = seconds + i64::from(offset_minutes) * 60;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.abs();
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        off / 60,
        off % 60
    )
}

#[cfg(test)]
mod tests {
    use super::iso_date;

    #[test]
    fn dates_read_like_git_log_date_iso() {
        assert_eq!(iso_date((0, 0)), "1970-01-01 00:00:00 +0000");
        assert_eq!(iso_date((1_700_000_000, 60)), "2023-11-14 23:13:20 +0100");
        assert_eq!(iso_date((951_782_400, -330)), "2000-02-28 18:30:00 -0530");
    }
}
