//! Which environments and models a command acts on: the ones named, or,
//! on a terminal, the ones the user picks.

use super::change::Switch;
use crate::cli::EditArgs;
use crate::commands::Context;
use crate::error::{self, Result};
use crate::layout;

/// The envs and models to change, names checked before anything else.
pub fn targets(
    ctx: &Context,
    args: &EditArgs,
    switch: Switch,
) -> Result<(Vec<String>, Vec<String>)> {
    let _ = (ctx, switch);
    for env in &args.envs {
        layout::check_name("environment", env)?;
    }
    for model in &args.models {
        layout::check_name("model", model)?;
    }
    let mut missing = Vec::new();
    if args.envs.is_empty() {
        missing.push("--env <ENV>");
    }
    if args.models.is_empty() {
        missing.push("<MODEL>...");
    }
    if !missing.is_empty() {
        return Err(error::usage(format!("missing {}", missing.join(" and ")))
            .hinted("for example: mlops autoscale enable --env test jukebox"));
    }
    Ok((args.envs.clone(), args.models.clone()))
}
