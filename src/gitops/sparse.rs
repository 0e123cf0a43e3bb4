//! The files of a sparse checkout that are not in its work tree: git
//! keeps them in the index (skip-worktree) and in every commit, so they
//! are listed, read (their staged blob) and changed like any other; only
//! the work tree does not hold them.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use git2::{FileMode, Oid, Repository};

use super::snapshot::{Entry, EntryKind};
use crate::error::{self, Result};

pub(crate) struct Skipped {
    /// Behind a lock: status reads on all cores, and a repository is not
    /// shared between threads.
    repo: Mutex<Repository>,
    /// Path -> (mode, staged blob).
    files: BTreeMap<String, (u32, Oid)>,
}

impl Skipped {
    /// The skip-worktree files of the checkout at `root`, `None` when it
    /// is not a sparse checkout.
    pub fn of(root: &Path) -> Option<Skipped> {
        let (repo, files) = crate::git::worktree::skipped_files(root)?;
        let files = files.into_iter().map(|(p, m, id)| (p, (m, id))).collect();
        Some(Skipped {
            repo: Mutex::new(repo),
            files,
        })
    }

    /// What is directly in `dir` with a name starting with `prefix`.
    pub fn entries(&self, dir: &str, prefix: &str) -> Vec<Entry> {
        let start = match dir.is_empty() {
            true => prefix.to_string(),
            false => format!("{dir}/{prefix}"),
        };
        let skip = if dir.is_empty() { 0 } else { dir.len() + 1 };
        let mut out: Vec<Entry> = Vec::new();
        for (path, (mode, _)) in self.files.range(start.clone()..) {
            if !path.starts_with(&start) {
                break;
            }
            let rest = &path[skip..];
            let (name, kind) = match rest.split_once('/') {
                Some((name, _)) => (name, EntryKind::Dir),
                None => (rest, kind_of(*mode)),
            };
            if name.starts_with('.') || out.last().is_some_and(|e| e.name == name) {
                continue;
            }
            out.push(Entry {
                name: name.to_string(),
                kind,
            });
        }
        out
    }

    /// What `path` is, if the index keeps it out of the work tree (or a
    /// folder of such files).
    pub fn kind(&self, path: &str) -> Option<EntryKind> {
        if let Some((mode, _)) = self.files.get(path) {
            return Some(kind_of(*mode));
        }
        let below = format!("{path}/");
        self.files
            .range(below.clone()..)
            .next()
            .filter(|(p, _)| p.starts_with(&below))
            .map(|_| EntryKind::Dir)
    }

    /// The staged bytes of the skip-worktree file `path`, if it is one.
    pub fn read(&self, path: &str) -> Option<Result<Vec<u8>>> {
        let (_, id) = self.files.get(path)?;
        Some(
            self.repo
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .find_blob(*id)
                .map(|b| b.content().to_vec())
                .map_err(|e| error::git(format!("could not read {path}")).caused_by(e)),
        )
    }
}

fn kind_of(mode: u32) -> EntryKind {
    match mode {
        m if m == u32::from(FileMode::Link) => EntryKind::Link,
        m if m == u32::from(FileMode::Blob) || m == u32::from(FileMode::BlobExecutable) => {
            EntryKind::File
        }
        _ => EntryKind::Other,
    }
}
