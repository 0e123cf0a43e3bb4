//! Talking to the remote: fetch, push, retry. (Pushing is built in a
//! separate step; until then these say plainly that nothing was pushed.)

use git2::{Commit, Oid, Signature, Tree};

use super::local::gerr;
use super::Workspace;
use crate::error::{self, Result};

/// What a successful push did.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The commit now at the tip of the remote branch.
    pub commit: Oid,
    /// `origin/main`-style name of the branch that moved.
    pub remote_branch: String,
    /// How many push attempts it took (1 when nobody else pushed first).
    pub attempts: u32,
}

impl Workspace {
    /// Fetches the branch's upstream and moves [`Workspace::base`] to its tip.
    pub fn sync(&mut self) -> Result<()> {
        Err(error::git(
            "pushing is not available in this version of mlops: nothing was committed or pushed",
        )
        .hinted("run again with --no-push to commit locally, then push with git push"))
    }

    /// Pushes `commit`; when the remote moved, `rebuild` composes the change
    /// again on the new base and returns the new commit (or `None` when the
    /// change is no longer needed).
    pub fn publish(
        &mut self,
        commit: Oid,
        rebuild: &mut dyn FnMut(&Workspace) -> Result<Option<Oid>>,
    ) -> Result<Option<Pushed>> {
        let _ = (commit, rebuild);
        Err(error::git(
            "pushing is not available in this version of mlops",
        ))
    }
}

/// Creates the commit object (not moving any ref).
pub(crate) fn create_commit(
    ws: &Workspace,
    author: &Signature<'_>,
    committer: &Signature<'_>,
    message: &str,
    tree: &Tree<'_>,
    parent: &Commit<'_>,
) -> Result<Oid> {
    ws.repo
        .commit(None, author, committer, message, tree, &[parent])
        .map_err(gerr("could not write the commit"))
}
