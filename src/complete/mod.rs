//! Tab completion that knows the repository: subcommands and options from
//! the clap types, environment and model names from the checkout the
//! command would act on.
//!
//! Why clap_complete's dynamic completion (`CompleteEnv`) and not static
//! scripts: the names live in the repository, not in the binary, so the
//! shell has to call back into `mlops` on every Tab anyway. `CompleteEnv`
//! gives that callback for bash, zsh, fish, elvish and PowerShell from one
//! implementation, keeps subcommands and options in step with `cli.rs`, and
//! passes candidates through in our order (bash gets `-o nosort`, fish
//! `--keep-order`), which the "actionable models first" ordering needs.
//! Its one gap: a value completer sees only the word being completed, not
//! the rest of the line. [`Line`] fills it by re-parsing the words with
//! clap in lenient mode, so `-C`, `MLOPS_REPO`, `--env` and
//! `enable`/`disable` are understood exactly as the real parse would.
//!
//! Completion runs on every Tab and prints into the user's prompt, so it
//! must be fast and silent: listing reads folder names only, the state
//! that orders models is read under a time budget ([`state`]), and every
//! error or panic yields no candidates and no output at all.

pub mod state;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use clap::{CommandFactory, FromArgMatches};
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

use crate::cli::{AutoscaleCommand, Cli, Command};
use crate::commands::autoscale::change::Switch;
use crate::layout::{check_name, DEPLOYMENTS};
use state::{Class, State};

/// The environment variable the shell scripts set to ask for candidates.
pub const VAR: &str = "COMPLETE";

/// When this completion request began, so the state budget counts the
/// time already spent starting up, parsing and listing.
static STARTED: OnceLock<Instant> = OnceLock::new();

/// Answers a completion request and exits, when this process is one
/// (`COMPLETE=bash mlops -- mlops autoscale …`); returns otherwise.
///
/// Failure of any kind exits 1 with nothing printed: the bash script then
/// drops the candidates, and the user's prompt stays clean.
pub fn run_if_requested() {
    if std::env::var_os(VAR).is_none_or(|v| v.is_empty() || v == "0") {
        return;
    }
    let _ = STARTED.set(Instant::now());
    std::panic::set_hook(Box::new(|_| {}));
    let answered = std::panic::catch_unwind(|| {
        clap_complete::CompleteEnv::with_factory(Cli::command)
            .var(VAR)
            .bin("mlops")
            .completer("mlops")
            .try_complete(std::env::args_os(), std::env::current_dir().ok().as_deref())
    });
    match answered {
        Ok(Ok(true)) => std::process::exit(0),
        Ok(Ok(false)) => {}
        _ => std::process::exit(1),
    }
}

/// The registration script for `shell`: sourced once, it makes the shell
/// call `mlops` back on every Tab. It names the binary `mlops` (found on
/// PATH), so the same text works from `source <(mlops completions bash)`
/// and from the committed file under completions/.
pub fn script(shell: clap_complete::Shell) -> String {
    let completer: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Elvish => &Elvish,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::PowerShell => &Powershell,
        clap_complete::Shell::Zsh => &Zsh,
        _ => &Bash,
    };
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = completer.write_registration(VAR, "mlops", "mlops", "mlops", &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Candidates for `--env`: the environment folders, sorted.
pub fn envs(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(prefix) = current.to_str() else {
        return Vec::new();
    };
    let line = Line::from_process();
    let Some(root) = line.root() else {
        return Vec::new();
    };
    folders_starting(&root.join(DEPLOYMENTS), prefix)
        .into_iter()
        .filter(|env| !line.envs.contains(env))
        .map(|env| CompletionCandidate::new(env).tag(Some("ENV".into())))
        .collect()
}

/// Candidates for `MODEL`: the model folders of the named environments
/// (of every environment when none is named yet), the ones the command
/// would change first, then those of unknown state, then the rest.
pub fn models(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(prefix) = current.to_str() else {
        return Vec::new();
    };
    let line = Line::from_process();
    let Some(root) = line.root() else {
        return Vec::new();
    };
    let base = root.join(DEPLOYMENTS);
    let envs = if line.envs.is_empty() {
        folders(&base)
    } else {
        line.envs.clone()
    };
    let names = candidates(&base, &envs, !line.envs.is_empty(), prefix, &line.models);
    let started = STARTED.get().copied().unwrap_or_else(Instant::now);
    let deadline = (started + state::BUDGET).checked_sub(state::per_candidate(names.len()));
    let states = state::read(&base, &envs, &names, deadline.unwrap_or(started));
    rank(names, &states, line.switch)
}

/// Model folder names starting with `prefix` and not yet on the line: in
/// every env of `envs` when `all`, else in any of them. Sorted, no repeats.
fn candidates(
    base: &Path,
    envs: &[String],
    all: bool,
    prefix: &str,
    typed: &[String],
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, env) in envs.iter().enumerate() {
        let here = folders_starting(&base.join(env), prefix);
        if all && i > 0 {
            names.retain(|n| here.binary_search(n).is_ok());
        } else {
            names.extend(here);
        }
    }
    names.sort_unstable();
    names.dedup();
    names.retain(|n| !typed.contains(n));
    names
}

/// Orders `names` by what the command would do to them, with the state as
/// help text (shown by zsh, fish and PowerShell). Models found to have no
/// config.yaml in any env are dropped.
fn rank(names: Vec<String>, states: &[State], switch: Option<Switch>) -> Vec<CompletionCandidate> {
    let mut ranked: Vec<(Class, String, State)> = names
        .into_iter()
        .zip(states.iter().copied())
        .filter(|(_, s)| *s != State::Missing)
        .map(|(name, s)| (s.class(switch), name, s))
        .collect();
    ranked.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    ranked
        .into_iter()
        .enumerate()
        .map(|(i, (_, name, s))| {
            // An explicit tag: without one, clap renders the argument's
            // name anew for every candidate (a third of the time with
            // 10,000 models).
            CompletionCandidate::new(name)
                .help(s.label().map(Into::into))
                .tag(Some("MODEL".into()))
                .display_order(Some(i))
        })
        .collect()
}

/// Sub-folders of `dir` that are valid names, sorted.
pub fn folders(dir: &Path) -> Vec<String> {
    folders_starting(dir, "")
}

/// Sub-folders of `dir` whose names start with `prefix` and are valid
/// names, sorted. Reads only the folder listing (the file type comes with
/// it), never a file; any error is an empty list. Names are compared as
/// bytes before anything is allocated, so after `model-01<Tab>` among
/// 10,000 models only the hundred that match cost more than the kernel's
/// listing.
fn folders_starting(dir: &Path, prefix: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .as_encoded_bytes()
                .starts_with(prefix.as_bytes())
        })
        .filter(|e| {
            e.file_type()
                .is_ok_and(|t| t.is_dir() || (t.is_symlink() && e.path().is_dir()))
        })
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| check_name("", n).is_ok())
        .collect();
    names.sort_unstable();
    names
}

/// What the rest of the command line says, as far as completion cares.
#[derive(Debug, Default, PartialEq)]
pub struct Line {
    pub repo: Option<PathBuf>,
    pub clone: bool,
    pub envs: Vec<String>,
    pub models: Vec<String>,
    pub switch: Option<Switch>,
}

impl Line {
    /// The line of this completion request: the words after `--`, without
    /// the one being completed (`_CLAP_COMPLETE_INDEX` where the shell
    /// gives it, else the last).
    fn from_process() -> Line {
        let args: Vec<OsString> = std::env::args_os().collect();
        let start = args
            .iter()
            .position(|a| a == "--")
            .map_or(args.len(), |i| i + 1);
        let mut words = args[start..].to_vec();
        let index = std::env::var("_CLAP_COMPLETE_INDEX")
            .ok()
            .and_then(|i| i.parse::<usize>().ok())
            .filter(|i| *i < words.len())
            .or_else(|| words.len().checked_sub(1));
        if let Some(i) = index {
            words.remove(i);
        }
        Line::parse(words)
    }

    /// Parses `words` (starting with the program name) the way the real
    /// command would, ignoring errors, since a line being typed is rarely
    /// complete.
    pub fn parse(words: Vec<OsString>) -> Line {
        let matches = Cli::command()
            .ignore_errors(true)
            .try_get_matches_from(words);
        let Ok(matches) = matches else {
            return Line::default();
        };
        let mut line = Line::default();
        let Ok(cli) = Cli::from_arg_matches(&matches) else {
            // The subcommand is not there yet (`mlops -C dir <Tab>`): only
            // the globals matter.
            line.repo = matches.get_one::<PathBuf>("repo").cloned();
            return line;
        };
        line.repo = cli.global.repo;
        line.clone = cli.global.clone.is_some();
        if let Command::Autoscale(cmd) = cli.command {
            match cmd {
                AutoscaleCommand::Enable(args) => {
                    (line.envs, line.models) = (args.envs, args.models);
                    line.switch = Some(Switch::On);
                }
                AutoscaleCommand::Disable(args) => {
                    (line.envs, line.models) = (args.envs, args.models);
                    line.switch = Some(Switch::Off);
                }
                AutoscaleCommand::Status(args) => line.envs = args.envs,
            }
        }
        line
    }

    /// The repository root the command would act on: `-C`/`MLOPS_REPO` or
    /// the current directory, then upward to the first folder holding
    /// model-deployments/ (stopping at a `.git`). None with `--clone`: the
    /// names are in a remote we will not contact on a Tab.
    fn root(&self) -> Option<PathBuf> {
        if self.clone {
            return None;
        }
        let start = self.repo.clone().unwrap_or_else(|| PathBuf::from("."));
        find_root(&start)
    }
}

/// The folder at or above `start` holding model-deployments/, without
/// opening git: the checkout's root for any real mlops-gitops checkout.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).ok()?;
    for dir in start.ancestors() {
        if dir.join(DEPLOYMENTS).is_dir() {
            return Some(dir.to_path_buf());
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(words: &str) -> Line {
        Line::parse(words.split_whitespace().map(OsString::from).collect())
    }

    #[test]
    fn the_line_is_read_like_the_real_parse() {
        let l = line("mlops -C /r autoscale disable --env test -e prod jukebox");
        assert_eq!(l.repo, Some(PathBuf::from("/r")));
        assert_eq!(l.envs, ["test", "prod"]);
        assert_eq!(l.models, ["jukebox"]);
        assert_eq!(l.switch, Some(Switch::Off));
        let l = line("mlops autoscale enable --env=test --repo=/x");
        assert_eq!(l.repo, Some(PathBuf::from("/x")));
        assert_eq!(l.envs, ["test"]);
        assert_eq!(l.switch, Some(Switch::On));
        assert_eq!(line("mlops -C /r").repo, Some(PathBuf::from("/r")));
        assert_eq!(
            line("mlops autoscale enable --env"),
            Line {
                switch: Some(Switch::On),
                ..Line::default()
            }
        );
    }

    #[test]
    fn every_shell_gets_a_script_that_calls_mlops_back() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
            clap_complete::Shell::Elvish,
        ] {
            let text = script(shell);
            assert!(text.contains("COMPLETE"), "{shell}: {text}");
            assert!(text.contains("mlops"), "{shell}");
        }
    }
}
