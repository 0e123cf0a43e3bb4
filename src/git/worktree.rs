//! Bringing the checkout along after a commit: the branch moves to the new
//! commit and only the files that differ between the old HEAD and the new
//! commit are rewritten (atomically) in the work tree and the index.
//! Unrelated uncommitted or untracked files are never touched.

use std::fs;
use std::io::Write;
use std::path::Path;

use git2::Oid;

use super::local::gerr;
use super::Workspace;
use crate::error::{self, Kind, Result};

impl Workspace {
    /// The paths that differ between the commits `from` and `to`.
    pub fn changed_paths(&self, from: Oid, to: Oid) -> Result<Vec<String>> {
        let tree = |oid: Oid| {
            self.repo
                .find_commit(oid)
                .and_then(|c| c.tree())
                .map_err(gerr("could not read a commit's tree"))
        };
        let (old, new) = (tree(from)?, tree(to)?);
        super::treediff::changed_files(&self.repo, &old, &new)
            .map_err(gerr("could not compare commits"))
    }

    /// Refuses, before anything is committed or pushed, when a file in
    /// `paths` or its folder cannot be written (an immutable or read-only
    /// file, a read-only folder or file system): otherwise the commit
    /// would exist, and be pushed, while the work tree could not follow.
    /// Exit 3: the file can't be edited safely, nothing was written.
    pub fn check_writable(&self, paths: &[String]) -> Result<()> {
        let Some(workdir) = &self.workdir else {
            return Ok(());
        };
        for path in paths {
            let file = workdir.join(path);
            let dir = file.parent().unwrap_or(workdir);
            remove_stale_temps(dir);
            let refuse = |what: &str, e: std::io::Error| {
                error::config(format!("cannot write {what}: {e}")).hinted(
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
    /// content in `commit`). Called before pushing and before writing.
    /// Returns the paths that differ between HEAD and `commit`.
    pub fn check_can_advance(&self, commit: Oid) -> Result<Vec<String>> {
        let Some(head) = self.head else {
            return Ok(Vec::new());
        };
        let paths = self.changed_paths(head, commit)?;
        let tree = self
            .repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(gerr("could not read the new commit"))?;
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
        self.check_clean_towards(&targets)?;
        Ok(paths)
    }

    /// Moves the checkout from its HEAD to `commit`, which must descend from
    /// it: every path that differs is checked to be clean first (nothing is
    /// written otherwise), then written atomically, then the index is
    /// updated, and the branch ref moves last. A crash in between leaves
    /// the new content as an uncommitted change, never a lost one.
    pub fn advance_checkout(&self, commit: Oid, reflog: &str) -> Result<()> {
        let Some(workdir) = &self.workdir else {
            return Ok(());
        };
        let paths = self.check_can_advance(commit)?;
        let new_tree = self
            .repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(gerr("could not read the new commit"))?;
        let mut index = self
            .repo
            .index()
            .map_err(gerr("could not open the index"))?;
        for path in &paths {
            let file = workdir.join(path);
            match new_tree.get_path(Path::new(path)) {
                Ok(entry) => {
                    let blob = self
                        .repo
                        .find_blob(entry.id())
                        .map_err(gerr(format!("could not read {path}")))?;
                    if let Some(dir) = file.parent() {
                        fs::create_dir_all(dir)
                            .map_err(|e| error::io(Kind::Failure, "create", dir, e))?;
                    }
                    write_atomic(&file, blob.content())?;
                    index
                        .add_path(Path::new(path))
                        .map_err(gerr(format!("could not stage {path}")))?;
                }
                Err(_) => {
                    match fs::remove_file(&file) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(error::io(Kind::Failure, "remove", &file, e)),
                    }
                    let _ = index.remove_path(Path::new(path));
                }
            }
        }
        index
            .write()
            .map_err(|e| self.locked_or(e, "could not write the index"))?;
        let refname = format!("refs/heads/{}", self.branch);
        self.repo
            .reference(&refname, commit, true, reflog)
            .map_err(|e| self.locked_or(e, &format!("could not move {refname}")))?;
        self.step(|| {
            let names: Vec<&str> = paths.iter().map(String::as_str).collect();
            format!(
                "rewrote {} in the work tree and index, moved {refname} to {commit:.10}",
                names.join(", ")
            )
        });
        Ok(())
    }
}

/// Removes the temporary files a killed run of mlops left in `dir`
/// (`.mlops-*.tmp`, see [`write_atomic`]): never anyone else's file, and a
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

impl Workspace {
    /// A git lock file in the way (`index.lock`, `refs/heads/main.lock`)
    /// means another git command is running, or one was killed: say which
    /// file and what to do, as git does, instead of a bare libgit2 error.
    fn locked_or(&self, err: git2::Error, what: &str) -> crate::error::Error {
        if err.code() != git2::ErrorCode::Locked {
            return error::git(what.to_string()).caused_by(err);
        }
        error::git(format!("{what}: a git lock file is in the way"))
            .caused_by(err)
            .hinted("another git command may be running in this checkout; if none is, a killed one left its .lock file behind")
            .hinted("remove the .lock file named above, then run the same mlops command again: the checkout catches up")
    }
}

/// Replaces `path` with `bytes` so that a reader (or a crash) sees either
/// the old file or the new one, never a mix: a temporary file in the same
/// folder, the old file's permissions, fsync, rename, fsync the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let io = |what: &str, e: std::io::Error| error::io(Kind::Failure, what, path, e);
    let mut temp = tempfile::Builder::new()
        .prefix(".mlops-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| io("write a temporary file next to", e))?;
    temp.write_all(bytes).map_err(|e| io("write", e))?;
    if let Ok(meta) = fs::metadata(path) {
        fs::set_permissions(temp.path(), meta.permissions())
            .map_err(|e| io("keep the permissions of", e))?;
    }
    temp.as_file().sync_all().map_err(|e| io("flush", e))?;
    temp.persist(path).map_err(|e| io("replace", e.error))?;
    if let Ok(folder) = fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}
