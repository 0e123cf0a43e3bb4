//! Writing the new commit's files into the work tree with libgit2's
//! checkout, limited to the paths that differ, so modes, symlinks, the
//! umask, `.gitattributes` filters (eol, text), deletions and emptied
//! folders follow git's rules.
//!
//! A file that exists and stays a regular file is not rewritten in place:
//! libgit2 writes its new content (filters, mode) into a staging folder on
//! the same file system and it is renamed over the old one, so a reader,
//! or a kill, sees the old file or the new one, never a truncated one
//! (git replaces the file too, though not atomically). Its index entry is
//! the new tree's entry with the file's new stat data, as git records it.
//!
//! Two more things libgit2's checkout does differently from git, made
//! equal here: a file it creates gets 0644/0755 whatever the umask, so
//! permissions are set afterwards (0666/0777 less the umask, as git); and
//! it cannot replace a symlink by another symlink (it fails with "file
//! exists"), so such a link, checked to be clean, is removed first.

use std::fs;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use git2::build::CheckoutBuilder;
use git2::{CheckoutNotificationType, ErrorCode, FileMode, IndexEntry, IndexTime, Oid, Tree};

use super::super::local::gerr;
use super::super::Workspace;
use super::lock::TEMP_PREFIX;
use crate::git::error::{self, Kind, Result};

impl Workspace {
    /// The paths among `paths` whose local state libgit2's safe checkout
    /// of `tree` would refuse to overwrite (a dry run: nothing is written).
    pub(crate) fn checkout_conflicts(
        &self,
        tree: &Tree<'_>,
        paths: &[String],
    ) -> Result<Vec<String>> {
        // No paths would mean the whole tree to libgit2; a temporary
        // clone has no work tree.
        if paths.is_empty() || self.workdir.is_none() {
            return Ok(Vec::new());
        }
        self.loaded_index()?;
        let mut conflicts = Vec::new();
        let mut builder = limited(paths.iter().map(String::as_str));
        builder
            .dry_run()
            .update_index(false)
            .notify_on(CheckoutNotificationType::CONFLICT)
            .notify(|_, path, _, _, _| {
                if let Some(path) = path {
                    conflicts.push(path.to_string_lossy().into_owned());
                }
                true
            });
        let result = self
            .repo
            .checkout_tree(tree.as_object(), Some(&mut builder));
        drop(builder);
        match result {
            Ok(()) => Ok(conflicts),
            Err(e) if e.code() == ErrorCode::Conflict && !conflicts.is_empty() => Ok(conflicts),
            Err(e) => Err(gerr("could not compare the work tree with the new commit")(
                e,
            )),
        }
    }

    /// Writes `paths` of `tree` into the work tree, and returns the bytes
    /// of the index with those entries updated (the index file itself is
    /// not written: the caller holds its lock). On failure the paths are
    /// restored from `old` (they were checked to be clean), so the work
    /// tree is as it was.
    pub(crate) fn checkout_paths(
        &self,
        old: &Tree<'_>,
        tree: &Tree<'_>,
        paths: &[String],
    ) -> Result<Vec<u8>> {
        if let Some(link) = paths
            .iter()
            .find_map(|p| super::leading_link(self.root(), p))
        {
            return Err(super::through_link(&link));
        }
        let git_dir = self.repo.path();
        // Under the index lock, the repository's index object is the
        // private copy (see `super::index`): the checkout updates it.
        let temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempdir_in(git_dir)
            .map_err(|e| error::io(Kind::Repository, "create a temporary folder in", git_dir, e))?;
        let umask = umask(temp.path())?;
        let stage = temp.path().join("stage");
        // Gitlinks and paths outside a sparse checkout's set: only the
        // index changes.
        let mut index_only = Vec::new();
        let mut on_disk = Vec::with_capacity(paths.len());
        for path in paths {
            let entry = Entry::new(old, tree, path);
            match self.index_only(path, entry.old, entry.new, entry.id)? {
                Some(only) => index_only.push(only),
                None => on_disk.push(entry),
            }
        }
        let (replaced, others): (Vec<Entry>, Vec<Entry>) = on_disk
            .into_iter()
            .partition(|entry| self.replaceable(entry, git_dir));
        let in_place = others.is_empty() && index_only.is_empty();
        let written = self
            .replace_files(tree, &replaced, &stage, umask, in_place)
            .and_then(|updated| {
                self.write_paths(tree, &others)?;
                fix_permissions(self.root(), &others, umask)?;
                self.stage_index_only(&index_only)?;
                Ok(updated)
            });
        let paths: Vec<String> = paths
            .iter()
            .filter(|p| !index_only.iter().any(|only| only.path == **p))
            .cloned()
            .collect();
        let paths = paths.as_slice();
        match written {
            Ok(Some(updated)) => Ok(updated),
            Ok(None) => self.index_copy_bytes(),
            Err(e) => {
                self.forget_index_copy();
                let restored = self.restore_paths(old, paths);
                Err(match restored {
                    Ok(()) => e,
                    Err(again) => e.advised(format!(
                        "the work tree could not be restored either ({}): git status shows what changed; git checkout -- PATH restores a file",
                        again.message
                    )),
                })
            }
        }
    }

    /// Whether every one of `paths` can be replaced by a rename (see
    /// [`Self::replaceable`]) on the way from HEAD to `tree`.
    pub(crate) fn only_replacements(&self, tree: &Tree<'_>, paths: &[String]) -> Result<bool> {
        let Some(head) = self.head else {
            return Ok(false);
        };
        let old = self.commit_tree(head)?;
        let git_dir = self.repo.path();
        Ok(paths
            .iter()
            .all(|path| self.replaceable(&Entry::new(&old, tree, path), git_dir)))
    }

    /// Whether the entry is a regular file in both trees and on disk, in a
    /// work tree on the same file system as the git directory (where the
    /// staging folder is), so it can be replaced by a rename.
    fn replaceable(&self, entry: &Entry, git_dir: &Path) -> bool {
        let Ok(file) = fs::symlink_metadata(self.root().join(&entry.path)) else {
            return false;
        };
        let same_fs = fs::metadata(git_dir).is_ok_and(|g| g.dev() == file.dev());
        file.is_file() && same_fs && is_regular(entry.old) && is_regular(entry.new)
    }

    /// libgit2 writes the new content of `entries` into `stage`; each file
    /// then replaces the old one by a rename, and its index entry becomes
    /// the tree's, with the new file's stat data. With `in_place`, the
    /// index's bytes with those entries changed where they lie, when that
    /// can be done (see `super::inplace`); else libgit2 writes the index
    /// copy, and `None`.
    fn replace_files(
        &self,
        tree: &Tree<'_>,
        entries: &[Entry],
        stage: &Path,
        umask: u32,
        in_place: bool,
    ) -> Result<Option<Vec<u8>>> {
        if entries.is_empty() {
            return Ok(None);
        }
        fs::create_dir(stage).map_err(|e| error::io(Kind::Repository, "create", stage, e))?;
        let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
        let mut builder = limited(paths.iter().copied());
        builder.force().update_index(false).target_dir(stage);
        if in_place && self.unloaded_index_will_do(&paths) {
            // The index is not loaded for a checkout into an empty folder
            // (libgit2 would read all of it; see `super::index`).
            builder.refresh(false);
        } else {
            self.loaded_index()?;
        }
        self.repo
            .checkout_tree(tree.as_object(), Some(&mut builder))
            .map_err(gerr("could not write the new files"))?;
        fix_permissions(stage, entries, umask)?;
        let mut updated = Vec::new();
        for entry in entries {
            let (from, to) = (stage.join(&entry.path), self.root().join(&entry.path));
            fs::rename(&from, &to).map_err(|e| error::io(Kind::Repository, "replace", &to, e))?;
            let meta = fs::symlink_metadata(&to)
                .map_err(|e| error::io(Kind::Repository, "read", &to, e))?;
            updated.push(index_entry(entry, &meta));
        }
        if let Some(bytes) = in_place
            .then(|| self.index_updated_in_place(&updated))
            .flatten()
        {
            self.step(|| {
                "changed the index entries in place (the rest of the index as it was)".into()
            });
            return Ok(Some(bytes));
        }
        let mut index = self.loaded_index()?;
        for entry in &updated {
            index.add(entry).map_err(gerr(format!(
                "could not stage {}",
                String::from_utf8_lossy(&entry.path)
            )))?;
        }
        index.write().map_err(gerr("could not write the index"))?;
        Ok(None)
    }

    fn write_paths(&self, tree: &Tree<'_>, entries: &[Entry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        self.loaded_index()?;
        for entry in entries {
            let link = |mode: Option<i32>| mode == Some(i32::from(FileMode::Link));
            let file = self.root().join(&entry.path);
            let on_disk = fs::symlink_metadata(&file).is_ok_and(|m| m.file_type().is_symlink());
            if link(entry.old) && link(entry.new) && on_disk {
                fs::remove_file(&file)
                    .map_err(|e| error::io(Kind::Repository, "replace", &file, e))?;
            }
        }
        let mut builder = limited(entries.iter().map(|e| e.path.as_str()));
        builder.recreate_missing(true);
        self.repo
            .checkout_tree(tree.as_object(), Some(&mut builder))
            .map_err(gerr("could not update the work tree"))
    }

    fn restore_paths(&self, old: &Tree<'_>, paths: &[String]) -> Result<()> {
        if paths.is_empty() {
            return Ok(());
        }
        self.loaded_index()?;
        let mut builder = limited(paths.iter().map(String::as_str));
        builder
            .force()
            .recreate_missing(true)
            .remove_untracked(true)
            .update_index(false);
        self.repo
            .checkout_tree(old.as_object(), Some(&mut builder))
            .map_err(gerr("could not restore the work tree"))
    }
}

/// One path that differs: its mode in the old and new tree (`None` when
/// absent there) and its new blob, each looked up once (libgit2 rereads a
/// large tree for every lookup).
struct Entry {
    path: String,
    old: Option<i32>,
    new: Option<i32>,
    id: Oid,
}

impl Entry {
    fn new(old: &Tree<'_>, tree: &Tree<'_>, path: &str) -> Entry {
        let found = tree.get_path(Path::new(path)).ok();
        Entry {
            path: path.to_string(),
            old: old.get_path(Path::new(path)).ok().map(|e| e.filemode()),
            new: found.as_ref().map(|e| e.filemode()),
            id: found.map_or(Oid::ZERO_SHA1, |e| e.id()),
        }
    }
}

fn is_regular(mode: Option<i32>) -> bool {
    mode == Some(i32::from(FileMode::Blob)) || mode == Some(i32::from(FileMode::BlobExecutable))
}

/// The index entry git writes for a file it checked out: the tree's id
/// and mode, the file's stat data (truncated to 32 bits, as in the index).
fn index_entry(entry: &Entry, meta: &fs::Metadata) -> IndexEntry {
    let time = |secs: i64, nanos: i64| IndexTime::new(secs as i32, nanos as u32);
    IndexEntry {
        ctime: time(meta.ctime(), meta.ctime_nsec()),
        mtime: time(meta.mtime(), meta.mtime_nsec()),
        dev: meta.dev() as u32,
        ino: meta.ino() as u32,
        mode: entry.new.unwrap_or_default() as u32,
        uid: meta.uid(),
        gid: meta.gid(),
        file_size: meta.size() as u32,
        id: entry.id,
        flags: entry.path.len().min(0xfff) as u16,
        flags_extended: 0,
        path: entry.path.as_bytes().to_vec(),
    }
}

/// A safe checkout of exactly `paths` (no pattern matching), creating
/// files and folders as git does: 0666 and 0777 less the umask.
fn limited<'cb, 'p>(paths: impl IntoIterator<Item = &'p str>) -> CheckoutBuilder<'cb> {
    let mut builder = CheckoutBuilder::new();
    builder
        .safe()
        .disable_pathspec_match(true)
        .file_perm(0o666)
        .dir_perm(0o777);
    for path in paths {
        builder.path(path);
    }
    builder
}

/// The process's umask, read without changing it: the permissions a file
/// created with 0777 gets in `dir`.
fn umask(dir: &Path) -> Result<u32> {
    let probe = dir.join("umask");
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o777)
        .open(&probe)
        .and_then(|f| f.metadata())
        .map(|m| !m.permissions().mode() & 0o777)
        .map_err(|e| error::io(Kind::Repository, "create a file in", dir, e))
}

/// Gives each regular file among `entries` (under `root`) the permissions
/// git gives a file it writes: 0666 (0777 when executable) less the umask.
fn fix_permissions(root: &Path, entries: &[Entry], umask: u32) -> Result<()> {
    for entry in entries {
        let wanted = match entry.new {
            Some(m) if m == i32::from(FileMode::BlobExecutable) => 0o777 & !umask,
            Some(m) if m == i32::from(FileMode::Blob) => 0o666 & !umask,
            _ => continue,
        };
        let file = root.join(&entry.path);
        let meta = fs::symlink_metadata(&file)
            .map_err(|e| error::io(Kind::Repository, "read", &file, e))?;
        if meta.is_file() && meta.permissions().mode() & 0o7777 != wanted {
            fs::set_permissions(&file, fs::Permissions::from_mode(wanted))
                .map_err(|e| error::io(Kind::Repository, "set the permissions of", &file, e))?;
        }
    }
    Ok(())
}
