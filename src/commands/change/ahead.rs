//! The change's plan made while the push service's connection is being
//! made ([`Workspace::start_listing`]: an ssh handshake is most of an SSH
//! run). In a checkout that is up to date, the commit the change builds
//! on is the one the checkout already has, so the plan, the checkout's
//! checks and the Argo CD coverage are what they will be after the
//! listing; they are used when the listing says so (the same base), or
//! when the remote's new commits change none of the files they read,
//! else made again on the remote's tip. Nothing here prints.
//!
//! When no question will be asked (`--yes`), the new blob and trees are
//! written too, into a quarantine ([`Quarantine`]): an up-to-date run
//! moves them into the repository after the listing instead of building
//! and compressing them then; in any other run they are removed with it.
//! A run that asks first writes nothing before the answer. [`plan`] is
//! the one call `change::run` makes for all of it.

use git2::Oid;

use super::prepare::{changes, prepare, Prepared};
use crate::commands::Context;
use crate::error::Result;
use crate::git::quarantine::{Quarantine, Written};
use crate::git::Workspace;
use crate::gitops::argo;
use crate::gitops::layout::Target;

use super::Edit;

/// The targets (named, else picked) and their plan on the base the
/// change builds on.
pub(super) struct Planned {
    pub targets: Vec<Target>,
    pub prepared: Prepared,
}

/// From the opened checkout to the plan, arranged for latency in one
/// place: the push service is reached first (an ssh handshake is most of
/// an SSH run); meanwhile the index copy is taken and the change is
/// prepared on the checkout's base ([`Ahead`]); then the listing's answer
/// (and a fetch when the remote moved) decides whether that plan stands
/// or is made again on the remote's tip. Targets not named are picked
/// once the base is known.
pub(super) fn plan(
    ctx: &Context,
    ws: &mut Workspace,
    named: Vec<Target>,
    pushing: bool,
    (envs, models): (&[String], &[String]),
    edit: &dyn Edit,
) -> Result<Planned> {
    let listing = pushing && !named.is_empty() && ws.start_listing();
    if !ctx.change.dry_run {
        ws.use_index_copy()?;
    }
    let ahead = listing.then(|| Ahead::prepare(ctx, ws, &named, edit));
    if ws.needs_sync(pushing) {
        ws.sync(pushing)?;
    }
    let targets = match named.is_empty() {
        false => named,
        true => super::pick::targets(ctx, ws, envs, models, edit)?,
    };
    let prepared = match ahead.and_then(|a| a.take(ws)) {
        Some(prepared) => prepared?,
        None => prepare(ctx, ws, &targets, edit)?,
    };
    Ok(Planned { targets, prepared })
}

/// The plan, checks and coverage for one base, with their outcome (an
/// error is the one the same steps give after the listing).
pub(super) struct Ahead {
    base: Oid,
    outcome: Result<Prepared>,
}

impl Ahead {
    /// Prepares the change on the base the checkout has, while the
    /// listing started by [`Workspace::start_listing`] is under way.
    pub(super) fn prepare(
        ctx: &Context,
        ws: &Workspace,
        targets: &[Target],
        edit: &dyn Edit,
    ) -> Ahead {
        let mut outcome = prepare(ctx, ws, targets, edit);
        if let Ok(prepared) = &mut outcome {
            let asks = !ctx.change.yes || ctx.change.dry_run;
            if !asks && !prepared.plan.changes.is_empty() {
                // A failure is met again, and reported, when the commit
                // is composed.
                prepared.tree = Quarantine::new(ws).ok().flatten().and_then(|quarantine| {
                    let tree = ws
                        .write_tree_in(quarantine.repo(), &changes(&prepared.plan))
                        .ok()?;
                    Some(Written { tree, quarantine })
                });
            }
        }
        Ahead {
            base: ws.base(),
            outcome,
        }
    }

    /// The prepared change, when the sync left the base where it was;
    /// in a checkout whose remote moved, also when the new commits change
    /// none of the files it read (the targets, and the files the Argo CD
    /// coverage reads: [`argo::may_read`]): the plan, the checks (of the
    /// work tree and index, not of the base) and the coverage are then
    /// what they would be made again, only the tree written ahead is not.
    pub(super) fn take(self, ws: &Workspace) -> Option<Result<Prepared>> {
        if self.base == ws.base() {
            return Some(self.outcome);
        }
        let mut prepared = self.outcome.ok().filter(|_| ws.workdir().is_some())?;
        let read: Vec<String> = prepared
            .plan
            .changes
            .iter()
            .map(|p| p.change.path.clone())
            .chain(prepared.plan.unchanged.iter().map(|t| t.path()))
            .collect();
        let changed = ws.changed_paths(self.base, ws.base()).ok()?;
        if changed
            .iter()
            .any(|path| read.contains(path) || argo::may_read(path))
        {
            return None;
        }
        prepared.tree = None;
        ws.step(|| {
            format!(
                "the change prepared on {:.10} holds on {:.10}: its commits change none of the files it read",
                self.base, ws.base()
            )
        });
        Some(Ok(prepared))
    }
}
