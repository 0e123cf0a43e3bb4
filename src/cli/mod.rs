//! The command line, as clap types only: no logic lives here.
//!
//! Doc comments are the help text (first line short help, the rest long
//! help). The contract accepts options before or after the subcommand
//! (`mlops -C repo autoscale status` and `mlops autoscale status -C repo`),
//! yet every option must mean something where it is accepted. So each
//! group of options is one struct, flattened into the subcommands that use
//! it (their `--help` shows only those, under a heading) and once more at
//! the top level for the "before" spelling; `commands::options` merges the
//! two and rejects a top-level option the chosen subcommand does not take.
//! Only the output options apply everywhere and are `global`.

mod close;
mod help;
mod merge;

pub use close::CloseArgs;
pub(crate) use merge::merge_repo;

use std::path::PathBuf;

use clap::builder::NonEmptyStringValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use clap_complete::engine::ArgValueCompleter;

use crate::complete;

/// GitOps model deployments: switch KServe autoscaling and set values for
/// models in an mlops-gitops repository, commit and push them for Argo CD.
///
/// mlops edits `model-deployments/<env>/<model>/config.yaml` without touching
/// anything else in the file, shows the diff, asks before writing (on a
/// terminal), commits only the files it changed and pushes the commit.
#[derive(Debug, Parser)]
#[command(name = "mlops", version, propagate_version = true)]
#[command(after_help = help::TOP)]
pub struct Cli {
    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub repo: RepoArgs,

    #[command(flatten)]
    pub change: ChangeArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Output options: they apply to every command.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output format; json prints one JSON document on stdout and nothing else there
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text, global = true)]
    pub output: OutputFormat,

    /// When to colour the diff and tables
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// Print only errors and warnings on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Explain each step, including every git operation
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// Where the repository is.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Repository")]
pub struct RepoArgs {
    /// The checkout to work in [env: MLOPS_REPO] [default: found from the current directory upward]
    #[arg(short = 'C', long = "repo", value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub repo: Option<PathBuf>,

    /// Work in a fresh temporary clone of URL instead of a checkout (for CI); nothing is left on disk
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url, conflicts_with = "repo")]
    pub clone: Option<String>,

    /// Branch to read or update [default: the checkout's current branch, or the remote's default branch with --clone]
    #[arg(long, value_name = "NAME", value_parser = NonEmptyStringValueParser::new())]
    pub branch: Option<String>,

    /// Remote to pull from and push to [default: the branch's upstream, else origin]
    #[arg(long, value_name = "NAME", value_parser = NonEmptyStringValueParser::new())]
    pub remote: Option<String>,
}

/// How a change is made: asked, written, committed and pushed.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Change")]
pub struct ChangeArgs {
    /// Print the diff and change nothing: no file, no commit, no push
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Do not ask for confirmation (needed without a terminal, e.g. in CI)
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Commit, but do not push
    #[arg(long)]
    pub no_push: bool,

    /// Commit message [default: names what changed, the models and environments]
    #[arg(short = 'm', long, value_name = "MSG", value_parser = NonEmptyStringValueParser::new())]
    pub message: Option<String>,

    /// How many times a push rejected because the remote moved is rebuilt on the new tip and retried [default: 10]
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,

    /// Where a new --branch starts from when it does not exist on the remote yet [default: the remote's default branch]
    #[arg(long, value_name = "BRANCH", value_parser = NonEmptyStringValueParser::new())]
    pub base: Option<String>,

    /// Skip the repository's pre-commit, commit-msg and pre-push hooks, as git commit/push --no-verify do
    #[arg(long)]
    pub no_verify: bool,

    #[command(flatten)]
    pub close: CloseArgs,
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

/// Which autoscaler `enable` turns on (what the chart renders).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum AutoscalerChoice {
    /// Kubernetes HPA (`autoscaling: true`; the chart's memory target, maxReplicas 2)
    #[default]
    Hpa,
    /// KEDA (`keda: true`; the chart's Prometheus request metric, maxReplicas 5)
    Keda,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Turn autoscaling (HPA or KEDA) on or off, or show what the chart renders
    #[command(subcommand, after_help = help::AUTOSCALE)]
    Autoscale(AutoscaleCommand),

    /// Set values (version, image.tag, env[0].value, …) in models' config.yaml
    ///
    /// `PATH=STRING` sets the value at a Helm `--set` path (`image.tag`,
    /// `a\.b` for a dotted key, `env[0].value`) to exactly that string
    /// (quoted when YAML would read it as something else); `PATH:=SCALAR`
    /// sets a typed value (`true`, `3`, `null`). Absent keys and mappings
    /// are added; only the values' bytes change.
    #[command(after_help = help::SET)]
    Set(SetArgs),

    /// Show who changed which value of which model, and when
    ///
    /// One entry per commit of the branch that changed a value of a listed
    /// model, newest first, with each `key: old -> new` as the chart reads
    /// it, and the rendered autoscaler when it changed.
    #[command(after_help = help::LOG)]
    Log(LogArgs),

    /// Print the script that turns on Tab completion in your shell
    ///
    /// Tab then completes subcommands, options, environment names, model
    /// names and keys from the repository the command would act on (`-C`,
    /// `MLOPS_REPO` or the current directory); `enable` offers the models
    /// where the chart renders no autoscaler first, `disable` those where it
    /// renders one. The script calls `mlops` back on each Tab, so `mlops`
    /// must be on PATH.
    #[command(after_help = help::COMPLETIONS)]
    Completions(CompletionsArgs),

    /// Print the man page (roff) on stdout, or write all pages to a folder
    #[command(after_help = help::MAN)]
    Man(ManArgs),

    /// Run the whole job on a throwaway demo repository with a local remote
    ///
    /// Builds an mlops-gitops repository from the built-in fixtures in a
    /// temporary folder, with a bare repository as its `origin`, then runs
    /// `autoscale enable`, `autoscale enable --autoscaler keda`, `set` and
    /// `log` in it. Nothing outside the temporary folder is touched.
    #[command(after_help = help::DEMO)]
    Demo(DemoArgs),
}

#[derive(Debug, Subcommand)]
pub enum AutoscaleCommand {
    /// Make the chart render an autoscaler (HPA by default, or KEDA) for models
    ///
    /// `--autoscaler hpa`: `autoscaling: true`, and a truthy `keda` becomes
    /// `keda: false`. `--autoscaler keda`: `keda: true`. A file whose chart
    /// already renders that autoscaler is not changed.
    #[command(after_help = help::ENABLE)]
    Enable(EnableArgs),

    /// Make the chart render no autoscaler for models
    ///
    /// Each of `autoscaling` and `keda` that the chart reads as true becomes
    /// `false`; absent or false keys are left as they are.
    #[command(after_help = help::DISABLE)]
    Disable(DisableArgs),

    /// Show, per environment and model, which autoscaler the chart renders
    #[command(after_help = help::STATUS)]
    Status(StatusArgs),
}

/// Which models: `--env ENV MODEL...` or `ENV/MODEL...`.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// Environment (folder under model-deployments/); repeat for several
    #[arg(short = 'e', long = "env", value_name = "ENV", add = ArgValueCompleter::new(complete::envs))]
    pub envs: Vec<String>,

    /// Model names (folders under model-deployments/<ENV>/), or ENV/MODEL without --env
    #[arg(value_name = "MODEL", add = ArgValueCompleter::new(complete::models))]
    pub models: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct EnableArgs {
    #[command(flatten)]
    pub targets: TargetArgs,

    /// The autoscaler the chart should render
    #[arg(long, value_enum, value_name = "KIND", default_value_t = AutoscalerChoice::Hpa)]
    pub autoscaler: AutoscalerChoice,

    #[command(flatten)]
    pub repo: RepoArgs,

    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DisableArgs {
    #[command(flatten)]
    pub targets: TargetArgs,

    #[command(flatten)]
    pub repo: RepoArgs,

    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Clone, Args)]
pub struct SetArgs {
    /// Environment (folder under model-deployments/); repeat for several
    #[arg(short = 'e', long = "env", value_name = "ENV", add = ArgValueCompleter::new(complete::envs))]
    pub envs: Vec<String>,

    /// Models (MODEL, or ENV/MODEL without --env), then KEY=STRING or KEY:=SCALAR assignments
    #[arg(value_name = "MODEL|KEY=VALUE", required = true, add = ArgValueCompleter::new(complete::set_words))]
    pub words: Vec<String>,

    #[command(flatten)]
    pub repo: RepoArgs,

    #[command(flatten)]
    pub change: ChangeArgs,
}

/// Which environments to report.
#[derive(Debug, Clone, Default, Args)]
pub struct StatusArgs {
    /// Only this environment; repeat for several
    #[arg(short = 'e', long = "env", value_name = "ENV", add = ArgValueCompleter::new(complete::envs))]
    pub envs: Vec<String>,

    /// Read the upstream branch after a fetch (what Argo CD deploys) instead of the work tree
    #[arg(long, conflicts_with = "clone")]
    pub remote_branch: bool,

    #[command(flatten)]
    pub repo: RepoArgs,
}

#[derive(Debug, Clone, Default, Args)]
pub struct LogArgs {
    #[command(flatten)]
    pub targets: TargetArgs,

    /// Only changes of this key (`autoscaler` for the rendered autoscaler); repeat for several
    #[arg(long, value_name = "KEY")]
    pub key: Vec<String>,

    /// Show at most N entries
    #[arg(long, value_name = "N")]
    pub max_count: Option<usize>,

    #[command(flatten)]
    pub repo: RepoArgs,
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

    /// Only the part on disk: no Gitea and no Kubernetes API, even when scripts/test-servers.sh built them
    #[arg(long)]
    pub local: bool,
}

#[cfg(test)]
mod tests;
