//! `mlops autoscale enable|disable|status`.

pub mod announce;
pub mod change;
pub mod disable;
pub mod enable;
pub mod pick;
pub mod status;

use super::Context;
use crate::cli::AutoscaleCommand;
use crate::error::Result;

pub fn run(ctx: &Context, cmd: AutoscaleCommand) -> Result<u8> {
    match cmd {
        AutoscaleCommand::Enable(args) => enable::run(ctx, &args),
        AutoscaleCommand::Disable(args) => disable::run(ctx, &args),
        AutoscaleCommand::Status(args) => status::run(ctx, &args),
    }
}
