//! `mlops completions SHELL`: the completion script, generated from the
//! clap types so it can never drift from the real options.

use clap::CommandFactory;

use super::Context;
use crate::cli::{Cli, CompletionsArgs};
use crate::error::Result;

pub fn run(ctx: &Context, args: &CompletionsArgs) -> Result<()> {
    ctx.ui.out(script(args.shell))
}

/// The script for `shell`, as committed under completions/.
pub fn script(shell: clap_complete::Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "mlops", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}
