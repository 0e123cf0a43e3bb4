//! `mlops autoscale enable --env ENV MODEL...`: `autoscaling: true`.

use super::change::{self, Switch};
use crate::cli::EditArgs;
use crate::commands::Context;
use crate::error::Result;

pub fn run(ctx: &Context, args: &EditArgs) -> Result<u8> {
    change::run(ctx, args, Switch::On)
}
