use super::Context;
use crate::cli::DemoArgs;
use crate::error::Result;
pub fn run(_ctx: &Context, _args: &DemoArgs) -> Result<()> {
    Ok(())
}
