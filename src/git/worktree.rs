//! Bringing the checkout along after a commit, as `git merge --ff-only`
//! does: libgit2's checkout writes only the files that differ between the
//! old HEAD and the new commit into the work tree and the index (see
//! [`apply`]), under git's index and branch locks (see [`lock`]), and the
//! branch moves last. Unrelated uncommitted or untracked files are never
//! touched.

mod apply;
mod index;
mod indexonly;
mod inplace;
mod lock;
mod patterns;
pub(crate) mod rawindex;
mod sparse;
#[cfg(test)]
mod tests_inplace;

use std::fs;
use std::path::Path;

use git2::Oid;

pub(crate) use index::IndexCopy;
pub(crate) use lock::{CheckoutLock, TEMP_PREFIX};
pub(crate) use rawindex::Staged;
pub(crate) use sparse::skipped_files;

use super::local::gerr;
use super::Workspace;
use crate::git::error::{self, Error, Result};

impl Workspace {
    /// The paths that differ between the commits `from` and `to`.
    pub fn changed_paths(&self, from: Oid, to: Oid) -> Result<Vec<String>> {
        if let Some((a, b, paths)) = self.changed.borrow().as_ref() {
            if (*a, *b) == (from, to) {
                return Ok(paths.clone());
            }
        }
        let (old, new) = (self.commit_tree(from)?, self.commit_tree(to)?);
        let paths = super::treediff::changed_files(&self.repo, &old, &new)
            .map_err(gerr("could not compare commits"))?;
        *self.changed.borrow_mut() = Some((from, to, paths.clone()));
        Ok(paths)
    }

    /// Refuses, before anything is committed or pushed, when a file in
    /// `paths` or its folder cannot be written (an immutable or read-only
    /// file, a read-only folder or file system): otherwise the commit
    /// would exist, and be pushed, while the work tree could not follow.
    /// A [`error::Kind::Path`] error: the file can't be edited safely,
    /// nothing was written.
    pub fn check_writable(&self, paths: &[String]) -> Result<()> {
        let Some(workdir) = &self.workdir else {
            return Ok(());
        };
        for path in paths {
            if self.skips_worktree(path)? {
                // Outside the sparse set: only the index changes.
                continue;
            }
            let file = workdir.join(path);
            let dir = file.parent().unwrap_or(workdir);
            remove_stale_temps(dir);
            let refuse = |what: &str, e: std::io::Error| {
                error::path(format!("cannot write {what}: {e}")).advised(
                    "nothing was written or committed; make it writable (chmod u+w, chattr -i, a read-write mount), then run mlops again",
                )
            };
            tempfile::Builder::new()
                .prefix(".mlops-")
                .suffix(".tmp")
                .tempfile_in(dir)
                .map_err(|e| {
                    let rel = Path::new(path).parent().unwrap_or(Path::new(path));
                    refuse(&format!("the folder {}", rel.display()), e)
                })?;
            fs::OpenOptions::new()
                .append(true)
                .open(&file)
                .map_err(|e| refuse(path, e))?;
        }
        Ok(())
    }

    /// Refuses when a file that moving the checkout from HEAD to `commit`
    /// would rewrite has local changes (unless it already holds its
    /// content in `commit`), or when libgit2's safe checkout would refuse
    /// to overwrite it (an untracked file or folder in the way). Called
    /// before pushing and again before writing. Returns the paths that
    /// differ between HEAD and `commit`.
    pub fn check_can_advance(&self, commit: Oid) -> Result<Vec<String>> {
        let (paths, as_head) = self.check_clean_for(commit)?;
        let tree = self.commit_tree(commit)?;
        if as_head && self.only_replacements(&tree, &paths)? {
            // Each file holds HEAD's blob, staged as HEAD's, and stays a
            // regular file: libgit2's safe checkout refuses only a
            // modified file, something in the way of a new path or a
            // change of kind, so its dry run (which loads the whole
            // index) can only agree.
            return Ok(paths);
        }
        let conflicts = self.checkout_conflicts(&tree, &self.on_disk(&tree, &paths)?)?;
        if !conflicts.is_empty() {
            return Err(super::clean::dirty(&conflicts));
        }
        Ok(paths)
    }

    /// Those of `paths` that moving the checkout from HEAD to `tree`
    /// writes in the work tree: not gitlinks, nor paths outside the sparse
    /// set (see `indexonly`).
    fn on_disk(&self, tree: &git2::Tree<'_>, paths: &[String]) -> Result<Vec<String>> {
        let Some(head) = self.head else {
            return Ok(paths.to_vec());
        };
        let old = self.commit_tree(head)?;
        let mode =
            |t: &git2::Tree<'_>, p: &str| t.get_path(Path::new(p)).ok().map(|e| e.filemode());
        let mut out = Vec::with_capacity(paths.len());
        for path in paths {
            let (from, to) = (mode(&old, path), mode(tree, path));
            if self.index_only(path, from, to, Oid::ZERO_SHA1)?.is_none() {
                out.push(path.clone());
            }
        }
        Ok(out)
    }

    /// The clean check of [`Self::check_can_advance`] alone: with the
    /// locks held, the checkout itself refuses what the dry run would.
    /// Also says whether every file holds HEAD's blob exactly
    /// ([`Self::clean_towards`]).
    fn check_clean_for(&self, commit: Oid) -> Result<(Vec<String>, bool)> {
        let Some(head) = self.head else {
            return Ok((Vec::new(), true));
        };
        let paths = self.changed_paths(head, commit)?;
        let tree = self.commit_tree(commit)?;
        let targets: Vec<(String, Option<Vec<u8>>)> = paths
            .iter()
            .map(|path| {
                let wanted = tree
                    .get_path(Path::new(&path))
                    .ok()
                    .and_then(|e| self.repo.find_blob(e.id()).ok())
                    .map(|b| b.content().to_vec());
                (path.clone(), wanted)
            })
            .collect();
        let as_head = self.clean_towards(&targets)?;
        Ok((paths, as_head))
    }

    /// Moves the checkout from its HEAD to `commit`, which must descend
    /// from it, as `git merge --ff-only` does: takes the index and branch
    /// locks, then [`Self::advance_locked`].
    pub fn advance_checkout(&self, commit: Oid, reflog: &str) -> Result<()> {
        let Some(handle) = self.lock_handle()? else {
            return Ok(());
        };
        let lock = handle.lock(self)?;
        self.advance_locked(lock, commit, reflog)
    }

    /// With the locks held: every path that differs is checked to be clean
    /// (nothing is written otherwise), libgit2's checkout writes them into
    /// the work tree and a copy of the index, the copy replaces the index,
    /// and the branch moves last. On a failure the work tree is restored,
    /// and the index and branch are untouched: the checkout is merely
    /// behind.
    pub(crate) fn advance_locked(
        &self,
        lock: CheckoutLock<'_>,
        commit: Oid,
        reflog: &str,
    ) -> Result<()> {
        let Some(head) = self.head else {
            return Ok(());
        };
        let (paths, _) = self.check_clean_for(commit)?;
        let (old, new) = (self.commit_tree(head)?, self.commit_tree(commit)?);
        let (_, who) = super::identity::signatures(&self.repo, &mut |_: &str| {})?;
        let index = self.checkout_paths(&old, &new, &paths)?;
        lock.commit(&index, commit, &who, reflog)?;
        self.step(|| {
            let names: Vec<&str> = paths.iter().map(String::as_str).collect();
            format!(
                "rewrote {} in the work tree and index, moved refs/heads/{} to {commit:.10}",
                names.join(", "),
                self.branch
            )
        });
        Ok(())
    }

    /// After a push, moves the checkout along under the locks taken before
    /// it. When it cannot follow, the push stands and the checkout is left
    /// as it was, merely behind (as after anyone else's push): the
    /// returned warning says so.
    pub(crate) fn follow(
        &self,
        lock: Option<CheckoutLock<'_>>,
        commit: Oid,
        remote_branch: &str,
        reflog: &str,
    ) -> Option<String> {
        let failed = self.advance_locked(lock?, commit, reflog).err()?;
        Some(format!(
            "pushed {:.10} to {remote_branch}; your checkout is behind and was left as it was ({}); the next mlops run or git pull --ff-only brings it along",
            commit.to_string(),
            one_line(&failed)
        ))
    }

    fn commit_tree(&self, commit: Oid) -> Result<git2::Tree<'_>> {
        self.repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(gerr("could not read a commit"))
    }
}

/// Removes the probe files (`.mlops-*.tmp`, see [`Workspace::check_writable`])
/// a killed run of mlops left in `dir`: never anyone else's file, and a
/// failure is only a leftover, so it is not an error.
fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".mlops-") && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The first folder on the way from `root` to `path` (repository-relative,
/// `/`-separated; `path` itself not included) that is a symlink on disk.
/// git never follows a link in a path: `git add` of a path beyond one is
/// refused ("beyond a symbolic link") and `git status` shows the files git
/// has there as deleted. So nothing is read or written through it.
pub(crate) fn leading_link(root: &Path, path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    (1..parts.len())
        .map(|n| parts[..n].join("/"))
        .find(|dir| fs::symlink_metadata(root.join(dir)).is_ok_and(|m| m.file_type().is_symlink()))
}

/// The refusal for a path that lies beyond the symlink `link` (a
/// [`error::Kind::Path`] error):
/// a write there would land wherever the link points, outside what git
/// tracks, so nothing is written anywhere.
pub(crate) fn through_link(link: &str) -> Error {
    error::path(format!(
        "{link} is a symlink: git keeps a link there, not a folder, and mlops never reads or writes through a link"
    ))
    .advised(format!(
        "nothing was written; name the folder it points to, or replace the link with a real folder (rm {link} && git checkout -- {link})"
    ))
}

/// An error and its causes on one line, for a warning.
pub(crate) fn one_line(err: &Error) -> String {
    let mut words = vec![err.message.clone()];
    words.extend(err.causes());
    words.join(": ")
}
