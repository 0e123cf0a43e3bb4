//! The change's plan made while the push service's connection is being
//! made ([`Workspace::start_listing`]: an ssh handshake is most of an SSH
//! run). In a checkout that is up to date, the commit the change builds
//! on is the one the checkout already has, so the plan, the checkout's
//! checks and the Argo CD coverage are what they will be after the
//! listing; they are used only when the listing says so (the same base),
//! else made again on the remote's tip. Nothing here writes or prints.

use git2::Oid;

use super::prepare::{prepare, Prepared};
use crate::commands::Context;
use crate::error::Result;
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
        Ahead {
            base: ws.base,
            outcome: prepare(ctx, ws, targets, edit),
        }
    }

    /// The prepared change, when the sync left the base where it was.
    pub(super) fn take(self, base: Oid) -> Option<Result<Prepared>> {
        (self.base == base).then_some(self.outcome)
    }
}
