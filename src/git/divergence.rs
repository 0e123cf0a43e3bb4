//! How a checkout differs from its upstream branch as of the last fetch
//! (no network): local commits, commits it is behind, and which files
//! differ, so `status` can say when the work tree is not what Argo CD
//! deploys.

use std::collections::BTreeSet;

use git2::{BranchType, Oid, Repository};

use super::treediff::changed_files;

/// The checkout against its upstream.
#[derive(Debug, Clone, Default)]
pub struct Divergence {
    /// `origin/main`, when the branch has an upstream.
    pub upstream: Option<String>,
    /// Commits on the branch that the upstream lacks.
    pub ahead: usize,
    /// Commits on the upstream that the branch lacks.
    pub behind: usize,
    /// Files that differ between HEAD and the upstream's tip.
    pub committed: BTreeSet<String>,
}

/// Compares HEAD of `repo` with its branch's upstream; `None` when HEAD is
/// not on a branch with an upstream.
pub fn divergence(repo: &Repository) -> Option<Divergence> {
    let head = repo.head().ok()?;
    let name = head.shorthand().ok()?.to_string();
    let head_id = head.peel_to_commit().ok()?.id();
    let branch = repo.find_branch(&name, BranchType::Local).ok()?;
    let upstream = branch.upstream().ok()?;
    let up_name = upstream.name().ok()??.to_string();
    let up_id = upstream.get().peel_to_commit().ok()?.id();
    let (ahead, behind) = repo.graph_ahead_behind(head_id, up_id).ok()?;
    let tree = |id: Oid| repo.find_commit(id).and_then(|c| c.tree()).ok();
    let committed = changed_files(repo, &tree(head_id)?, &tree(up_id)?)
        .ok()?
        .into_iter()
        .collect();
    Some(Divergence {
        upstream: Some(up_name),
        ahead,
        behind,
        committed,
    })
}
