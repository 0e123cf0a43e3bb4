//! The change's plan made while the push service's connection is being
//! made ([`Workspace::start_listing`]: an ssh handshake is most of an SSH
//! run). In a checkout that is up to date, the commit the change builds
//! on is the one the checkout already has, so the plan, the checkout's
//! checks and the Argo CD coverage are what they will be after the
//! listing; they are used only when the listing says so (the same base),
//! else made again on the remote's tip. Nothing here prints.
//!
//! When no question will be asked (`--yes`), the new blob and trees are
//! written too, into a quarantine ([`Quarantine`]): an up-to-date run
//! moves them into the repository after the listing instead of building
//! and compressing them then; in any other run they are removed with it.
//! A run that asks first writes nothing before the answer.

use git2::Oid;

use super::prepare::{changes, prepare, Prepared};
use crate::commands::Context;
use crate::error::Result;
use crate::git::quarantine::{Quarantine, Written};
use crate::git::Workspace;
use crate::gitops::layout::Target;

use super::Edit;

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
            base: ws.base,
            outcome,
        }
    }

    /// The prepared change, when the sync left the base where it was.
    pub(super) fn take(self, base: Oid) -> Option<Result<Prepared>> {
        (self.base == base).then_some(self.outcome)
    }
}
