//! The git configuration as git itself reads it: the one place the rest of
//! the code asks for a setting (identity, push settings, hooks path,
//! signing).
//!
//! libgit2 reads the repository, global, XDG and system files, but not
//! `GIT_CONFIG_GLOBAL`, `GIT_CONFIG_SYSTEM`, `GIT_CONFIG_COUNT`/`KEY_n`/
//! `VALUE_n`, `git -c` (`GIT_CONFIG_PARAMETERS`), nor `includeIf
//! "hasconfig:remote.*.url:…"`. So the snapshot comes from git: one
//! `git --git-dir=DIR config --list -z --show-scope` per repository and
//! run (about 2 ms), which applies every source, include and condition
//! exactly as `git commit` and `git push` would. Only when git cannot be
//! run does it fall back to what libgit2 reads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use git2::Repository;

/// One `key=value` line of the configuration, in the order git reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// `system`, `global`, `local`, `worktree`, `command`.
    pub(super) scope: String,
    /// Normalised as git prints it: section and name lower case, the
    /// subsection as written.
    pub(super) key: String,
    /// `None` for a key written without `=` (a boolean true).
    pub(super) value: Option<String>,
}

/// Every setting git sees for one repository, read once.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    pub(super) entries: Vec<Entry>,
    /// Read from git (not libgit2's fallback).
    pub(super) from_git: bool,
    /// The git directory it was read for (where git runs to ask more).
    pub(super) dir: Option<PathBuf>,
}

/// The configuration git sees in `repo` (read on first use, then kept for
/// the run).
pub(crate) fn of(repo: &Repository) -> Arc<Snapshot> {
    let dir = repo.path().to_path_buf();
    if let Ok(known) = super::run::run().config.lock() {
        if let Some((_, snapshot)) = known.iter().find(|(d, _)| *d == dir) {
            return snapshot.clone();
        }
    }
    let snapshot = Arc::new(read(repo));
    if let Ok(mut known) = super::run::run().config.lock() {
        known.push((dir, snapshot.clone()));
    }
    snapshot
}

impl Snapshot {
    /// The last value of `key` (case-insensitive section and name, as
    /// git), or `None` when it is not set. A key without `=` reads `true`.
    pub(crate) fn string(&self, key: &str) -> Option<String> {
        let key = normalise(key);
        self.entries
            .iter()
            .rev()
            .find(|e| e.key == key)
            .map(|e| e.value.clone().unwrap_or_else(|| "true".to_string()))
    }

    /// Every value of a multi-valued `key`, in git's order (an empty value
    /// resets the list, as git does for `credential.helper`).
    pub(crate) fn all(&self, key: &str) -> Vec<String> {
        let key = normalise(key);
        self.entries
            .iter()
            .filter(|e| e.key == key)
            .map(|e| e.value.clone().unwrap_or_default())
            .collect()
    }

    /// `key` as a boolean by git's rules (`true`/`yes`/`on`/`1`, …).
    /// `None` when unset or not a boolean.
    pub(crate) fn bool(&self, key: &str) -> Option<bool> {
        parse_bool(&self.string(key)?)
    }

    /// `key` as a path: `~/` and `~` expand to `$HOME`, as git does
    /// (`core.hooksPath`).
    pub(crate) fn path(&self, key: &str) -> Option<PathBuf> {
        let value = self.string(key)?;
        Some(expand_home(&value))
    }

    /// Whether `key` is set at all.
    pub(crate) fn has(&self, key: &str) -> bool {
        let key = normalise(key);
        self.entries.iter().any(|e| e.key == key)
    }
}

/// git's boolean spellings.
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" | "" => Some(false),
        other => other.parse::<i64>().ok().map(|n| n != 0),
    }
}

pub(crate) fn expand_home(value: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match (value.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        (None, Some(home)) if value == "~" => home,
        _ => PathBuf::from(value),
    }
}

/// `Branch.Foo.PushRemote` → `branch.Foo.pushremote`, as git prints keys.
pub(super) fn normalise(key: &str) -> String {
    match (key.find('.'), key.rfind('.')) {
        (Some(first), Some(last)) if first != last => format!(
            "{}{}{}",
            key[..first].to_ascii_lowercase(),
            &key[first..last],
            key[last..].to_ascii_lowercase()
        ),
        _ => key.to_ascii_lowercase(),
    }
}

fn read(repo: &Repository) -> Snapshot {
    let mut snapshot = from_git(repo.path()).unwrap_or_else(|| from_libgit2(repo));
    snapshot.dir = Some(repo.path().to_path_buf());
    snapshot
}

/// `git config --list -z --show-scope` for the git directory `dir`.
fn from_git(dir: &Path) -> Option<Snapshot> {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(dir)
        .args(["config", "--list", "-z", "--show-scope"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut snapshot = parse(&out.stdout);
    snapshot.from_git = true;
    Some(snapshot)
}

/// Parses `scope NUL key LF value NUL` (or `scope NUL key NUL` for a key
/// without a value) records.
pub(super) fn parse(bytes: &[u8]) -> Snapshot {
    let text = String::from_utf8_lossy(bytes);
    let mut fields = text.split('\0');
    let mut entries = Vec::new();
    while let (Some(scope), Some(record)) = (fields.next(), fields.next()) {
        if scope.is_empty() {
            break;
        }
        let (key, value) = match record.split_once('\n') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (record, None),
        };
        entries.push(Entry {
            scope: scope.to_string(),
            key: normalise(key),
            value,
        });
    }
    Snapshot {
        entries,
        ..Snapshot::default()
    }
}

/// What libgit2 reads, when git can't be asked.
fn from_libgit2(repo: &Repository) -> Snapshot {
    let mut entries = Vec::new();
    let Ok(config) = repo.config() else {
        return Snapshot::default();
    };
    let levels: HashMap<i32, &str> = [
        (git2::ConfigLevel::ProgramData as i32, "system"),
        (git2::ConfigLevel::System as i32, "system"),
        (git2::ConfigLevel::XDG as i32, "global"),
        (git2::ConfigLevel::Global as i32, "global"),
        (git2::ConfigLevel::Local as i32, "local"),
        (git2::ConfigLevel::App as i32, "command"),
    ]
    .into_iter()
    .collect();
    if let Ok(mut iter) = config.entries(None) {
        while let Some(Ok(entry)) = iter.next() {
            let Ok(name) = entry.name() else { continue };
            entries.push(Entry {
                scope: levels
                    .get(&(entry.level() as i32))
                    .unwrap_or(&"local")
                    .to_string(),
                key: normalise(name),
                value: entry.value().ok().map(str::to_string),
            });
        }
    }
    Snapshot {
        entries,
        ..Snapshot::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_read_as_git_prints_them() {
        let snapshot = parse(b"global\0user.name\nA B\0local\0branch.Foo.remote\norigin\0command\0core.bare\0local\0user.name\nC\nD\0");
        assert_eq!(snapshot.string("User.Name").as_deref(), Some("C\nD"));
        assert_eq!(
            snapshot.string("branch.Foo.Remote").as_deref(),
            Some("origin")
        );
        assert_eq!(snapshot.string("branch.foo.remote"), None);
        assert_eq!(snapshot.bool("core.bare"), Some(true));
        assert_eq!(snapshot.all("user.name").len(), 2);
    }

    #[test]
    fn booleans_as_git() {
        for (text, want) in [("yes", true), ("On", true), ("0", false), ("", false)] {
            assert_eq!(parse_bool(text), Some(want), "{text}");
        }
        assert_eq!(parse_bool("maybe"), None);
    }
}
