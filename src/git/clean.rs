//! Whether the checkout is in the way of an edit: a target file (or a file
//! the branch update would rewrite) with uncommitted changes is refused,
//! naming it, so an edit never mixes with or loses someone's work.

use std::path::Path;

use git2::{FileMode, ObjectType, Oid, Status};

use super::local::gerr;
use super::worktree::Staged;
use super::Workspace;
use crate::git::error::{self, Kind, Result};

impl Workspace {
    /// Refuses when any of the files has uncommitted changes in the work
    /// tree or the index, naming them, so an edit never mixes with (or
    /// loses) someone's work in progress; other files are not looked at.
    /// A file which already holds exactly its final content (the second
    /// item) is not in the way:
    /// overwriting it loses nothing. That is what a run stopped between
    /// writing the file and moving the branch leaves behind, so the next
    /// identical run can finish the job instead of refusing its own edit.
    pub fn check_clean_towards(&self, targets: &[(String, Option<Vec<u8>>)]) -> Result<()> {
        self.clean_towards(targets).map(|_| ())
    }

    /// [`Self::check_clean_towards`], returning whether every file holds
    /// HEAD's blob exactly, staged as it is in HEAD (not merely its final
    /// content, nor clean only through a filter).
    pub(crate) fn clean_towards(&self, targets: &[(String, Option<Vec<u8>>)]) -> Result<bool> {
        let Some(workdir) = &self.workdir else {
            return Ok(true);
        };
        let head_tree = match self.head {
            Some(head) => Some(
                self.repo
                    .find_commit(head)
                    .and_then(|c| c.tree())
                    .map_err(gerr("could not read HEAD's tree"))?,
            ),
            None => None,
        };
        let mut dirty = Vec::new();
        let mut as_head = true;
        for (path, wanted) in targets {
            match self.is_clean(workdir, head_tree.as_ref(), path, wanted.as_deref())? {
                Clean::AsHead => {}
                Clean::Otherwise => as_head = false,
                Clean::No => dirty.push(path.clone()),
            }
        }
        if dirty.is_empty() {
            self.step(|| {
                let paths: Vec<&str> = targets.iter().map(|(p, _)| p.as_str()).collect();
                format!("no local changes in {}", paths.join(", "))
            });
            return Ok(as_head);
        }
        Err(self::dirty(&dirty))
    }

    /// Whether `path` matches HEAD in the index and the work tree (or
    /// already holds `wanted`). The common case is decided by hashing the
    /// one file and looking up what is staged there (in the index's bytes,
    /// [`Workspace::staged_in_snapshot`]), instead of a status scan whose
    /// cost grows with the repository; only when the bytes differ from the
    /// blob does libgit2's status decide, because content filters
    /// (core.autocrlf, .gitattributes eol) can make a clean file's bytes
    /// differ from its blob.
    fn is_clean(
        &self,
        workdir: &Path,
        head_tree: Option<&git2::Tree<'_>>,
        path: &str,
        wanted: Option<&[u8]>,
    ) -> Result<Clean> {
        if let Some(link) = super::worktree::leading_link(workdir, path) {
            return Err(super::worktree::through_link(&link));
        }
        let rel = Path::new(path);
        let hash = |bytes: &[u8]| {
            Oid::hash_object(ObjectType::Blob, bytes).map_err(gerr("could not hash a file"))
        };
        let staged = match self.staged_in_snapshot(path) {
            Some(staged) => staged,
            None => Staged::from_index(&self.loaded_index()?, rel),
        };
        if staged.conflicted {
            return Ok(Clean::No);
        }
        let head_entry = head_tree.and_then(|t| t.get_path(rel).ok());
        if head_entry
            .as_ref()
            .is_some_and(|e| e.filemode() == i32::from(FileMode::Commit))
        {
            // A gitlink: without --recurse-submodules git never looks into
            // the submodule, whose state is not a local change in the way.
            return Ok(Clean::Otherwise);
        }
        let head_id = head_entry.map(|e| e.id());
        let index_id = staged.id;
        if staged.skip_worktree {
            // Outside a sparse checkout's set: git does not look at the
            // work tree here, so only what is staged counts.
            let final_id = wanted.map(hash).transpose()?;
            return Ok(if index_id == head_id {
                Clean::AsHead
            } else if final_id.is_some() && final_id == index_id {
                Clean::Otherwise
            } else {
                Clean::No
            });
        }
        let file = workdir.join(rel);
        let content = match std::fs::read(&file) {
            Ok(bytes) => Some(bytes),
            // A folder: the empty one of a submodule not set up, or one in
            // the way of a file, which the checkout's dry run then names.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::IsADirectory
                ) =>
            {
                None
            }
            Err(e) => return Err(error::io(Kind::Other, "read", &file, e)),
        };
        let content_id = content.as_deref().map(hash).transpose()?;
        if head_id == index_id && index_id == content_id {
            return Ok(Clean::AsHead);
        }
        if let (Some(wanted), Some(content)) = (wanted, &content) {
            if content.as_slice() == wanted
                && (index_id == head_id || index_id == Some(hash(wanted)?))
            {
                return Ok(Clean::Otherwise);
            }
        }
        self.loaded_index()?;
        let status = self
            .repo
            .status_file(rel)
            .map_err(gerr(format!("could not read the status of {path}")))?;
        Ok(match (status - Status::IGNORED).is_empty() {
            true => Clean::Otherwise,
            false => Clean::No,
        })
    }
}

/// How a file is clean, if it is.
enum Clean {
    /// It holds HEAD's blob, staged as in HEAD.
    AsHead,
    /// It holds its final content, or is clean through a filter.
    Otherwise,
    No,
}

/// The refusal for files with local changes in the way, naming them.
pub(crate) fn dirty(paths: &[String]) -> error::Error {
    error::checkout(format!("uncommitted changes in {}", paths.join(", "))).advised(
        "commit or stash them first (git stash), then run mlops again; nothing was changed",
    )
}
