//! Sparse checkouts, as git keeps them: an index entry marked
//! skip-worktree has no file in the work tree, and git never looks there
//! for it. Following a commit, such an entry's index entry takes the new
//! blob and nothing is written on disk (`super::indexonly`); a path the
//! commit adds outside the sparse set (`$GIT_DIR/info/sparse-checkout`,
//! in cone or non-cone mode) is staged the same way.

use std::fs;
use std::path::Path;

use git2::{Oid, Repository};

use super::super::Workspace;
use super::patterns::Patterns;
use super::rawindex::Staged;
use crate::git::error::Result;

impl Workspace {
    /// What the index holds at `path`: from the snapshot's bytes when the
    /// run has one, else from libgit2's loaded index.
    pub(crate) fn staged(&self, path: &str) -> Result<Staged> {
        match self.staged_in_snapshot(path) {
            Some(staged) => Ok(staged),
            None => Ok(Staged::from_index(&self.loaded_index()?, Path::new(path))),
        }
    }

    /// Whether `path` stays out of the work tree: its index entry is
    /// skip-worktree, or it is new and outside the sparse set.
    pub(crate) fn skips_worktree(&self, path: &str) -> Result<bool> {
        let staged = self.staged(path)?;
        Ok(staged.skip_worktree
            || (staged.id.is_none() && Patterns::of(&self.repo).is_some_and(|p| !p.includes(path))))
    }
}

/// A file outside the sparse set: its path, mode and staged blob.
pub(crate) type SkippedFile = (String, u32, Oid);

/// The checkout at `root` when it is sparse, with the files git keeps out
/// of its work tree (skip-worktree entries at stage 0): their paths, modes
/// and staged blobs. `None` when it is not sparse (the common case costs
/// one `stat`: no `.git/info/sparse-checkout`).
pub(crate) fn skipped_files(root: &Path) -> Option<(Repository, Vec<SkippedFile>)> {
    if !git_dir(root)?.join("info/sparse-checkout").is_file() {
        return None;
    }
    let repo = Repository::open(root).ok()?;
    let patterns = Patterns::of(&repo)?;
    let skip = git2::IndexEntryExtendedFlag::SKIP_WORKTREE.bits();
    let files = match repo.index() {
        Ok(index) => index
            .iter()
            .filter(|e| e.flags_extended & skip != 0 && e.flags & 0x3000 == 0)
            .filter_map(|e| Some((String::from_utf8(e.path).ok()?, e.mode, e.id)))
            .collect(),
        // A sparse index, which libgit2 cannot read: HEAD's files outside
        // the sparse set (what its folder entries stand for).
        Err(_) => outside(&repo, &patterns)?,
    };
    Some((repo, files))
}

/// The files of HEAD's tree outside the sparse set.
fn outside(repo: &Repository, patterns: &Patterns) -> Option<Vec<SkippedFile>> {
    let tree = repo.head().ok()?.peel_to_tree().ok()?;
    let mut files = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            if let Ok(name) = entry.name() {
                let path = format!("{dir}{name}");
                if !patterns.includes(&path) {
                    files.push((path, entry.filemode() as u32, entry.id()));
                }
            }
        }
        git2::TreeWalkResult::Ok
    })
    .ok()?;
    Some(files)
}

/// The git directory of the work tree at `root`: `.git`, or where a
/// linked worktree's (or submodule's) `.git` file points.
fn git_dir(root: &Path) -> Option<std::path::PathBuf> {
    let dot_git = root.join(".git");
    if dot_git.is_dir() {
        return Some(dot_git);
    }
    let text = fs::read_to_string(&dot_git).ok()?;
    let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
    Some(root.join(target))
}
