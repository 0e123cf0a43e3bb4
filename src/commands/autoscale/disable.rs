//! `mlops autoscale disable`: the chart renders no autoscaler afterwards.

use super::Render;
use crate::cli::DisableArgs;
use crate::commands::{change, Context};
use crate::error::Result;
use crate::gitops::chart::Autoscaler;

pub(super) fn run(ctx: &Context, args: &DisableArgs) -> Result<u8> {
    change::run(
        ctx,
        &args.targets.envs,
        &args.targets.models,
        &Render(Autoscaler::Off),
    )
}
