//! `mlops autoscale enable [--autoscaler hpa|keda]`: the chart renders
//! that autoscaler afterwards.

use super::Render;
use crate::cli::{AutoscalerChoice, EnableArgs};
use crate::commands::{change, Context};
use crate::error::Result;
use crate::gitops::chart::Autoscaler;

pub(super) fn run(ctx: &Context, args: &EnableArgs) -> Result<u8> {
    let want = match args.autoscaler {
        AutoscalerChoice::Hpa => Autoscaler::Hpa,
        AutoscalerChoice::Keda => Autoscaler::Keda,
    };
    change::run(ctx, &args.targets.envs, &args.targets.models, &Render(want))
}
