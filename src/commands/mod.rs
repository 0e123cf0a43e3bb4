//! The one dispatch: builds the context every command needs and runs the
//! chosen command. Each command lives in its own file.

pub mod autoscale;
pub mod completions;
pub mod demo;
pub mod man;

use std::path::PathBuf;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::error::{Kind, Result};
use crate::ui::Ui;

/// What every command gets: the global options and the output object.
pub struct Context {
    pub global: GlobalArgs,
    pub ui: Ui,
}

impl Context {
    pub fn new(global: GlobalArgs) -> Self {
        let ui = Ui::new(&global);
        Context { global, ui }
    }

    /// The folder to look for the checkout from: `-C`/`MLOPS_REPO`, else
    /// the current directory.
    pub fn start_dir(&self) -> PathBuf {
        self.global
            .repo
            .clone()
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// The git options of the contract, from the global flags.
    pub fn git_options(&self) -> crate::git::Options {
        crate::git::Options {
            remote: self.global.remote.clone(),
            branch: self.global.branch.clone(),
            base: self.global.base.clone(),
            retries: self.global.retries,
            quiet: self.global.quiet,
        }
    }
}

/// Runs the command line and returns the process exit status. Errors are
/// printed here, in one place.
pub fn run(cli: Cli) -> u8 {
    let ctx = Context::new(cli.global);
    match dispatch(&ctx, cli.command) {
        Ok(code) => code,
        Err(err) => {
            ctx.ui.error(&err);
            err.kind.exit_code()
        }
    }
}

fn dispatch(ctx: &Context, command: Command) -> Result<u8> {
    match command {
        Command::Autoscale(cmd) => autoscale::run(ctx, cmd),
        Command::Completions(args) => completions::run(ctx, &args).map(|()| 0),
        Command::Man => man::run(ctx).map(|()| 0),
        Command::Demo(args) => demo::run(ctx, &args).map(|()| 0),
    }
}

/// Exit status 0, or the status of `kind` when some part failed after the
/// command went on to report everything else (e.g. `status` with one
/// unreadable file).
pub fn exit_code(failed: Option<Kind>) -> u8 {
    failed.map_or(0, Kind::exit_code)
}
