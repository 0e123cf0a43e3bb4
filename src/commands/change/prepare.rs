//! A change planned on the base commit: each target's edit, the checks
//! the checkout must pass for it, and the Argo CD coverage of what
//! changes. Nothing here writes or prints.

use super::{refused, Edit};
use crate::commands::Context;
use crate::error::{self, Result};
use crate::git::quarantine::Written;
use crate::git::{FileChange, Workspace};
use crate::gitops::argo;
use crate::gitops::layout::Target;
use crate::gitops::models;
use crate::gitops::snapshot::{CommitTree, Snapshot, WorkTree};

/// One target's edit.
pub(super) struct Planned {
    pub target: Target,
    pub change: FileChange,
}

/// The edits for one base commit.
pub(super) struct Plan {
    pub changes: Vec<Planned>,
    pub unchanged: Vec<Target>,
}

/// A change ready to show: the plan on the base commit, the checkout
/// checked for it, and (when something changes) which ApplicationSets
/// cover the changed files at the base.
pub(super) struct Prepared {
    pub plan: Plan,
    pub found: Option<Result<argo::Coverage>>,
    /// The new tree, when it was written while the remote was reached
    /// ([`super::ahead::Ahead`]), kept apart until it is used.
    pub tree: Option<Written>,
}

/// Resolves the targets, plans their edits on the base commit, checks the
/// checkout can take them and reads the Argo CD coverage: nothing is
/// written or printed.
pub(super) fn prepare(
    ctx: &Context,
    ws: &Workspace,
    targets: &[Target],
    edit: &dyn Edit,
) -> Result<Prepared> {
    with_snapshot(ws, |snap| models::resolve(snap, targets))?;
    let plan = plan(ws, targets, edit)?;
    check_checkout(ctx, ws, &plan)?;
    let found = (!plan.changes.is_empty()).then(|| {
        let paths: Vec<String> = plan.changes.iter().map(|p| p.change.path.clone()).collect();
        CommitTree::new(ws.repo(), ws.base()).and_then(|tree| argo::coverage(&tree, &paths))
    });
    Ok(Prepared {
        plan,
        found,
        tree: None,
    })
}

/// Calls `f` with the snapshot the targets are checked against: the work
/// tree of a checkout (what the user sees), else the base commit's tree.
pub(super) fn with_snapshot<T>(
    ws: &Workspace,
    f: impl FnOnce(&dyn Snapshot) -> Result<T>,
) -> Result<T> {
    match ws.workdir() {
        Some(dir) => f(&WorkTree::new(dir)),
        None => f(&CommitTree::new(ws.repo(), ws.base())?),
    }
}

/// In a checkout: no target may hold someone's uncommitted work, and every
/// target must be writable, before anything is committed.
fn check_checkout(ctx: &Context, ws: &Workspace, plan: &Plan) -> Result<()> {
    if ws.workdir().is_none() {
        return Ok(());
    }
    let changed = plan
        .changes
        .iter()
        .map(|p| (p.change.path.clone(), Some(p.change.new.clone())));
    let unchanged = plan.unchanged.iter().map(|t| (t.path(), None));
    ws.check_clean_towards(&changed.chain(unchanged).collect::<Vec<_>>())?;
    if !ctx.change.dry_run {
        let paths: Vec<String> = plan.changes.iter().map(|p| p.change.path.clone()).collect();
        ws.check_writable(&paths)?;
    }
    Ok(())
}

/// Runs the edit on each target's content at the base commit.
pub(super) fn plan(ws: &Workspace, targets: &[Target], edit: &dyn Edit) -> Result<Plan> {
    let mut plan = Plan {
        changes: Vec::new(),
        unchanged: Vec::new(),
    };
    for target in targets {
        let path = target.path();
        let Some(old) = ws.read_base(&path)? else {
            return Err(error::config(format!(
                "{path} is not in the commit mlops would build on ({:.10})",
                ws.base().to_string()
            ))
            .hinted(
                "commit the new model's config.yaml (and push it) first, then run mlops again",
            ));
        };
        match edit.apply(&old) {
            Ok(None) => plan.unchanged.push(target.clone()),
            Ok(Some(new)) => plan.changes.push(Planned {
                target: target.clone(),
                change: FileChange { path, old, new },
            }),
            Err(refusal) => return Err(refused(&path, refusal)),
        }
    }
    Ok(plan)
}

pub(super) fn changes(plan: &Plan) -> Vec<FileChange> {
    plan.changes.iter().map(|p| p.change.clone()).collect()
}
