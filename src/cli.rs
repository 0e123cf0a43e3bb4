//! The command line, as clap types only: no logic lives here.
//!
//! Doc comments are the help text (first line short help, the rest long
//! help). Options are `global` because the contract accepts them before or
//! after the subcommand (`mlops -C repo autoscale enable …` and
//! `mlops autoscale enable … -C repo` are the same call).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use clap_complete::engine::ArgValueCompleter;

/// Switch KServe autoscaling for models in an mlops-gitops repository, commit
/// and push it so Argo CD redeploys them.
///
/// mlops edits `model-deployments/<env>/<model>/config.yaml` without touching
/// anything else in the file, shows the diff, asks before writing (on a
/// terminal), commits only the files it changed and pushes the commit.
#[derive(Debug, Parser)]
#[command(name = "mlops", version, propagate_version = true)]
#[command(after_help = EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "\
Examples:
  mlops autoscale enable --env test jukebox
  mlops autoscale status
  mlops demo";

/// Options shared by every command.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The checkout to work in [default: found from the current directory upward]
    #[arg(
        short = 'C',
        long = "repo",
        value_name = "DIR",
        value_hint = ValueHint::DirPath,
        env = "MLOPS_REPO",
        global = true
    )]
    pub repo: Option<PathBuf>,

    /// Work in a fresh temporary clone of URL instead of a checkout (for CI); nothing is left on disk
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url, global = true, conflicts_with = "repo")]
    pub clone: Option<String>,

    /// Branch to update [default: the checkout's current branch, or the remote's default branch with --clone]
    #[arg(long, value_name = "NAME", global = true)]
    pub branch: Option<String>,

    /// Branch to start from when --branch does not exist on the remote yet [default: the remote's default branch]
    #[arg(long, value_name = "BRANCH", global = true)]
    pub base: Option<String>,

    /// Remote to pull from and push to [default: the branch's upstream, else origin]
    #[arg(long, value_name = "NAME", global = true)]
    pub remote: Option<String>,

    /// Print the diff and change nothing: no file, no commit, no push
    #[arg(short = 'n', long, global = true)]
    pub dry_run: bool,

    /// Do not ask for confirmation
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,

    /// Commit, but do not push
    #[arg(long, global = true)]
    pub no_push: bool,

    /// Commit message [default: names the models and environments]
    #[arg(short = 'm', long, value_name = "MSG", global = true)]
    pub message: Option<String>,

    /// How many times a push rejected because the remote moved is rebuilt on the new tip and retried
    #[arg(long, value_name = "N", default_value_t = 10, global = true)]
    pub retries: u32,

    /// Output format; json prints one JSON document on stdout and nothing else there
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text, global = true)]
    pub output: OutputFormat,

    /// When to colour the diff and tables
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Explain each step, including every git operation
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Turn request-based autoscaling on or off, or show where it is on
    #[command(subcommand, after_help = AUTOSCALE_EXAMPLES)]
    Autoscale(AutoscaleCommand),

    /// Print the script that turns on Tab completion in your shell
    ///
    /// Tab then completes subcommands, options, environment names and model
    /// names from the repository the command would act on (`-C`,
    /// `MLOPS_REPO` or the current directory); `enable` offers the models
    /// where autoscaling is off first, `disable` those where it is on. The
    /// script calls `mlops` back on each Tab, so `mlops` must be on PATH.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),

    /// Print the man page (roff) on stdout, or write all pages to a folder
    #[command(after_help = MAN_EXAMPLES)]
    Man(ManArgs),

    /// Run the whole job on a throwaway demo repository with a local remote
    ///
    /// Builds an mlops-gitops repository from the built-in fixtures in a
    /// temporary folder, with a bare repository as its `origin`, runs
    /// `mlops autoscale enable --env test jukebox` in it and shows the result.
    /// Nothing outside the temporary folder is touched.
    #[command(after_help = DEMO_EXAMPLES)]
    Demo(DemoArgs),
}

#[derive(Debug, Subcommand)]
pub enum AutoscaleCommand {
    /// Set `autoscaling: true` for models in one or more environments
    #[command(after_help = ENABLE_EXAMPLES)]
    Enable(EditArgs),

    /// Set `autoscaling: false` for models in one or more environments
    #[command(after_help = DISABLE_EXAMPLES)]
    Disable(EditArgs),

    /// Show, per environment and model, whether the chart will autoscale
    #[command(after_help = STATUS_EXAMPLES)]
    Status(StatusArgs),
}

const AUTOSCALE_EXAMPLES: &str = "\
Examples:
  mlops autoscale enable --env test jukebox
  mlops autoscale enable            # on a terminal: pick the environment and models
  mlops autoscale status --env test
  mlops autoscale disable --env test jukebox --clone https://git.example.com/team/mlops-gitops.git --yes";

const DEMO_EXAMPLES: &str = "\
Examples:
  mlops demo
  mlops demo --keep";

const ENABLE_EXAMPLES: &str = "\
Examples:
  # The workshop step: autoscale the jukebox model in test
  mlops autoscale enable --env test jukebox

  # Both models in test and prod, in one commit, without asking
  mlops autoscale enable --env test --env prod jukebox jukebox-ui --yes

  # Look first
  mlops autoscale enable --env test jukebox --dry-run

  # On a terminal, pick the environment and the models from a list
  mlops autoscale enable

  # In CI (Tekton, GitHub Actions): a temporary clone, token from the environment
  MLOPS_GIT_USERNAME=bot MLOPS_GIT_TOKEN=*** \\
    mlops autoscale enable --env test jukebox --clone https://git.example.com/team/mlops-gitops.git";

const DISABLE_EXAMPLES: &str = "\
Examples:
  mlops autoscale disable --env test jukebox
  mlops autoscale disable --env prod jukebox --branch jukebox-no-autoscaling   # for a pull request
  mlops autoscale disable --env test jukebox --clone https://git.example.com/team/mlops-gitops.git --yes";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  # bash, also in a code-server terminal: this shell and every new one
  source <(mlops completions bash) && echo 'source <(mlops completions bash)' >> ~/.bashrc

  echo 'source <(mlops completions zsh)' >> ~/.zshrc      # after compinit
  mlops completions fish > ~/.config/fish/completions/mlops.fish
  mlops completions powershell >> $PROFILE
  echo 'eval (mlops completions elvish | slurp)' >> ~/.config/elvish/rc.elv";

const MAN_EXAMPLES: &str = "\
Examples:
  mlops man | man -l -
  mlops man --out-dir ~/.local/share/man/man1";

const STATUS_EXAMPLES: &str = "\
Examples:
  mlops autoscale status
  mlops autoscale status --env test --output json
  mlops autoscale status --output json | jq -r '.[] | select(.autoscaling) | .model'";

/// Which models to change.
#[derive(Debug, Clone, Args)]
pub struct EditArgs {
    /// Environment (folder under model-deployments/); repeat for several
    #[arg(short = 'e', long = "env", value_name = "ENV", add = ArgValueCompleter::new(crate::complete::envs))]
    pub envs: Vec<String>,

    /// Model names (folders under model-deployments/<ENV>/)
    #[arg(value_name = "MODEL", add = ArgValueCompleter::new(crate::complete::models))]
    pub models: Vec<String>,
}

/// Which environments to report.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// Only this environment; repeat for several
    #[arg(short = 'e', long = "env", value_name = "ENV", add = ArgValueCompleter::new(crate::complete::envs))]
    pub envs: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to print the script for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write mlops.1 and one page per subcommand (mlops-autoscale-enable.1, …) into DIR instead
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub out_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Keep the demo folder and print where it is, to look around afterwards
    #[arg(long)]
    pub keep: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own consistency checks on every option and subcommand
    /// (conflicting names, bad defaults, missing value names).
    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }

    /// The contract's spellings parse, options before or after the
    /// subcommand alike.
    #[test]
    fn contract_options_parse_before_and_after_the_subcommand() {
        use clap::Parser;
        let command = "autoscale enable --env test --env prod jukebox jukebox-ui";
        let options = "-C /r --dry-run --yes --no-push -m msg --retries 3 --output json";
        let parse = |line: String| super::Cli::try_parse_from(line.split_whitespace()).unwrap();
        let after = parse(format!("mlops {command} {options}"));
        let before = parse(format!("mlops {options} {command}"));
        for cli in [after, before] {
            let g = &cli.global;
            assert_eq!(g.repo.as_deref(), Some(std::path::Path::new("/r")));
            assert!(g.dry_run && g.yes && g.no_push);
            assert_eq!((g.message.as_deref(), g.retries), (Some("msg"), 3));
            assert_eq!(g.output, super::OutputFormat::Json);
            match cli.command {
                super::Command::Autoscale(super::AutoscaleCommand::Enable(args)) => {
                    assert_eq!(args.envs, ["test", "prod"]);
                    assert_eq!(args.models, ["jukebox", "jukebox-ui"]);
                }
                other => panic!("parsed as {other:?}"),
            }
        }
    }
}
