//! The one dispatch: builds the context every command needs (merged
//! options, the output object) and runs the chosen command. Each command
//! lives in its own file.

pub(crate) mod autoscale;
pub(crate) mod change;
mod completions;
mod demo;
mod git_error;
mod log;
mod man;
mod options;
mod set;

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::cli::{ChangeArgs, Cli, Command, RepoArgs};
use crate::error::{self, Kind, Result};
use crate::gitops::layout::DEPLOYMENTS;
use crate::ui::Ui;

/// What every command gets: the output object and the options that apply
/// to it (given before or after the subcommand, merged).
pub(crate) struct Context {
    pub ui: Ui,
    pub repo: RepoArgs,
    pub change: ChangeArgs,
}

impl Context {
    /// The folder to look for the checkout from: `-C`/`MLOPS_REPO`, else
    /// the current directory.
    pub fn start_dir(&self) -> PathBuf {
        self.repo.repo.clone().unwrap_or_else(|| PathBuf::from("."))
    }

    /// The checkout's root folder, for the commands that read the work
    /// tree or its history (status, log).
    pub fn root(&self) -> Result<PathBuf> {
        find_root(&self.start_dir())
    }

    /// The git options of the contract.
    pub fn git_options(&self) -> crate::git::Options {
        crate::git::Options {
            remote: self.repo.remote.clone(),
            branch: self.repo.branch.clone(),
            base: self.change.base.clone(),
            retries: self.change.retries.unwrap_or(options::RETRIES),
            quiet: self.ui.verbosity == crate::ui::Verbosity::Quiet,
            verbose: self.ui.verbosity == crate::ui::Verbosity::Verbose,
            history: false,
            no_verify: self.change.no_verify,
            renderer: crate::ui::progress::RENDERER,
        }
    }

    /// The same context pointed at another checkout (the demo's).
    pub fn with_repo(&self, dir: PathBuf) -> Context {
        Context {
            ui: self.ui.clone(),
            repo: RepoArgs {
                repo: Some(dir),
                ..RepoArgs::default()
            },
            change: self.change.clone(),
        }
    }
}

/// The work tree enclosing `start`, or `start` itself when it holds a
/// model-deployments folder without being a git checkout.
fn find_root(start: &Path) -> Result<PathBuf> {
    if !start.exists() {
        return Err(
            error::failure(format!("{} does not exist", start.display()))
                .hinted("pass -C DIR (or MLOPS_REPO) naming your clone of mlops-gitops"),
        );
    }
    match crate::git::local::discover(start) {
        Ok(repo) => {
            if let Some(dir) = repo.workdir() {
                return Ok(dir.to_path_buf());
            }
        }
        Err(e) => {
            if let Some(refusal) = crate::git::local::dubious_ownership(start, &e) {
                return Err(refusal.into());
            }
        }
    }
    if start.join(DEPLOYMENTS).is_dir() {
        return Ok(start.to_path_buf());
    }
    Err(error::failure(format!(
        "{} is not inside an mlops-gitops checkout (no git repository and no {DEPLOYMENTS}/ folder)",
        start.display()
    ))
    .hinted("run mlops inside your clone of mlops-gitops, or pass -C DIR or set MLOPS_REPO"))
}

/// Parses `args` and runs them. A usage error clap finds (unknown option,
/// bad value) is exit 2 as clap prints it, and, when the line asked for
/// `--output json`, also the contract's JSON error document on stdout, so
/// a pipeline that parses stdout always gets JSON.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    match Cli::try_parse_from(&args) {
        Ok(cli) => run(cli),
        Err(err) => {
            let code = u8::try_from(err.exit_code()).unwrap_or(2);
            if code != 0 && wants_json(&args) {
                let text = err.render().to_string();
                let first = text.lines().next().unwrap_or("usage error");
                let message = first.trim_start_matches("error: ");
                let doc = serde_json::json!({
                    "error": message,
                    "hints": ["run mlops --help"],
                    "exit_code": code,
                });
                // No Ui exists before parsing; a closed stdout is ignored.
                let _ = writeln!(std::io::stdout(), "{doc:#}");
            }
            let _ = err.print();
            code
        }
    }
}

/// Whether the raw arguments ask for `--output json` (before any `--`).
fn wants_json(args: &[std::ffi::OsString]) -> bool {
    let words: Vec<&str> = args
        .iter()
        .map(|a| a.to_str().unwrap_or(""))
        .take_while(|a| *a != "--")
        .collect();
    words.contains(&"--output=json") || words.windows(2).any(|w| w == ["--output", "json"])
}

/// Runs the command line and returns the process exit status. Errors are
/// printed here, in one place.
pub fn run(cli: Cli) -> u8 {
    let ui = Ui::new(&cli.output);
    match dispatch(ui.clone(), cli) {
        Ok(code) => code,
        Err(err) => {
            ui.error(&err);
            err.kind.exit_code()
        }
    }
}

fn dispatch(ui: Ui, cli: Cli) -> Result<u8> {
    let (repo, change) = options::merge(cli.repo, cli.change, &cli.command)?;
    let ctx = Context { ui, repo, change };
    if matches!(
        cli.command,
        Command::Autoscale(_) | Command::Set(_) | Command::Demo(_)
    ) {
        crate::git::treepath::change_settings();
    }
    match cli.command {
        Command::Autoscale(cmd) => autoscale::run(&ctx, cmd),
        Command::Set(args) => set::run(&ctx, &args),
        Command::Log(args) => log::run(&ctx, &args),
        Command::Completions(args) => completions::run(&ctx, &args).map(|()| 0),
        Command::Man(args) => man::run(&ctx, &args).map(|()| 0),
        Command::Demo(args) => demo::run(&ctx, &args).map(|()| 0),
    }
}

/// Exit status 0, or the status of `kind` when some part failed after the
/// command went on to report everything else (e.g. `status` with one
/// unreadable file).
pub(crate) fn exit_code(failed: Option<Kind>) -> u8 {
    failed.map_or(0, Kind::exit_code)
}
