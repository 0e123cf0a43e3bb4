//! `mlops man`: the man page in roff, generated from the clap types.

use clap::CommandFactory;

use super::Context;
use crate::cli::Cli;
use crate::error::{failure, Result};

pub fn run(ctx: &Context) -> Result<()> {
    ctx.ui.out(page()?)
}

/// The man page for `mlops`, as committed under man/.
pub fn page() -> Result<String> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .map_err(|e| failure("could not render the man page").caused_by(e))?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
