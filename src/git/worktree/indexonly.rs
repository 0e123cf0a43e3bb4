//! The paths a checkout update changes in the index alone, as `git pull
//! --ff-only` does: a file a sparse checkout keeps out of the work tree
//! (skip-worktree, see `super::sparse`), and a gitlink (a submodule's
//! pointer), whose submodule git leaves as it is without
//! `--recurse-submodules`. Their entries take the new object with empty
//! stat data, as git writes them.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use git2::{FileMode, IndexEntry, IndexTime, Oid};

use super::super::local::gerr;
use super::super::Workspace;
use super::rawindex::SKIP_WORKTREE;
use crate::git::error::{io, Kind, Result};

/// One path changed in the index alone.
pub(super) struct IndexOnly {
    pub path: String,
    /// The new mode; `None` removes the entry.
    pub mode: Option<i32>,
    pub id: Oid,
    pub skip_worktree: bool,
    /// A gitlink new in the commit: git makes its folder and records the
    /// folder's stat data.
    pub added_gitlink: bool,
}

/// Whether `mode` is a gitlink's (a submodule's commit).
pub(super) fn is_gitlink(mode: Option<i32>) -> bool {
    mode == Some(i32::from(FileMode::Commit))
}

impl Workspace {
    /// How `path` moves from mode `old` to `new` (blob or commit `id`) if
    /// only its index entry changes: a gitlink moved, added or removed
    /// (git never looks inside the submodule without recursion: its work
    /// tree is not a local change and is not updated), or a path outside
    /// the sparse set. `None`: the work tree changes too.
    pub(super) fn index_only(
        &self,
        path: &str,
        old: Option<i32>,
        new: Option<i32>,
        id: Oid,
    ) -> Result<Option<IndexOnly>> {
        let gitlinks = (is_gitlink(old) || is_gitlink(new))
            && [old, new].iter().all(|m| m.is_none() || is_gitlink(*m));
        let skip_worktree = !gitlinks && self.skips_worktree(path)?;
        Ok((gitlinks || skip_worktree).then(|| IndexOnly {
            path: path.to_string(),
            mode: new,
            id,
            skip_worktree,
            added_gitlink: gitlinks && old.is_none(),
        }))
    }

    /// Stages `entries` in the loaded index and writes it. A new gitlink
    /// gets the empty folder git makes for a submodule not yet set up; a
    /// removed one's folder goes when it is empty (as git: a submodule's
    /// own files are never removed).
    pub(super) fn stage_index_only(&self, entries: &[IndexOnly]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut index = self.loaded_index()?;
        for entry in entries {
            let staged = gerr(format!("could not stage {}", entry.path));
            let dir = self.root().join(&entry.path);
            match entry.mode {
                None => {
                    index.remove_path(Path::new(&entry.path)).map_err(staged)?;
                    if !entry.skip_worktree {
                        let _ = fs::remove_dir(&dir);
                    }
                }
                Some(mode) => {
                    let mut staged_entry = index_entry(entry, mode);
                    if entry.added_gitlink {
                        if fs::symlink_metadata(&dir).is_err() {
                            fs::create_dir_all(&dir)
                                .map_err(|e| io(Kind::Repository, "create", &dir, e))?;
                        }
                        let meta = fs::symlink_metadata(&dir)
                            .map_err(|e| io(Kind::Repository, "read", &dir, e))?;
                        with_stat(&mut staged_entry, &meta);
                    }
                    index.add(&staged_entry).map_err(staged)?;
                }
            }
        }
        index.write().map_err(gerr("could not write the index"))
    }
}

/// The stat data of `meta` in `entry` (truncated to 32 bits, as in the
/// index).
fn with_stat(entry: &mut IndexEntry, meta: &fs::Metadata) {
    let time = |secs: i64, nanos: i64| IndexTime::new(secs as i32, nanos as u32);
    entry.ctime = time(meta.ctime(), meta.ctime_nsec());
    entry.mtime = time(meta.mtime(), meta.mtime_nsec());
    entry.dev = meta.dev() as u32;
    entry.ino = meta.ino() as u32;
    entry.uid = meta.uid();
    entry.gid = meta.gid();
    entry.file_size = meta.size() as u32;
}

/// The index entry git writes for a path it does not check out: no stat
/// data, and the skip-worktree flag outside the sparse set.
fn index_entry(entry: &IndexOnly, mode: i32) -> IndexEntry {
    IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: mode as u32,
        uid: 0,
        gid: 0,
        file_size: 0,
        id: entry.id,
        flags: entry.path.len().min(0xfff) as u16,
        flags_extended: if entry.skip_worktree {
            SKIP_WORKTREE
        } else {
            0
        },
        path: entry.path.as_bytes().to_vec(),
    }
}
