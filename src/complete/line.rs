//! What the rest of the command line says, as far as completion cares:
//! the words re-parsed with clap in lenient mode, so `-C`, `MLOPS_REPO`,
//! `--env`, `ENV/MODEL` and the subcommand are understood exactly as the
//! real parse would.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{merge_repo, AutoscaleCommand, AutoscalerChoice, Cli, Command, RepoArgs};
use crate::gitops::chart::Autoscaler;
use crate::gitops::layout::{self, Target, DEPLOYMENTS};
use crate::gitops::snapshot::WorkTree;

#[derive(Debug, Default)]
pub(crate) struct Line {
    pub repo: RepoArgs,
    pub envs: Vec<String>,
    /// The model words (`MODEL` or `ENV/MODEL`) already typed.
    pub models: Vec<String>,
    /// What the chart should render after the command (enable/disable).
    pub want: Option<Autoscaler>,
}

impl Line {
    /// The line of this completion request: the words after `--`, without
    /// the one being completed (`_CLAP_COMPLETE_INDEX` where the shell
    /// gives it, else the last).
    pub fn from_process() -> Line {
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
            // the options before it matter.
            line.repo.repo = matches.get_one::<PathBuf>("repo").cloned();
            line.repo = merge_repo(line.repo, RepoArgs::default()).unwrap_or_default();
            return line;
        };
        let sub = match cli.command {
            Command::Autoscale(AutoscaleCommand::Enable(a)) => {
                (line.envs, line.models) = (a.targets.envs, a.targets.models);
                line.want = Some(match a.autoscaler {
                    AutoscalerChoice::Hpa => Autoscaler::Hpa,
                    AutoscalerChoice::Keda => Autoscaler::Keda,
                });
                a.repo
            }
            Command::Autoscale(AutoscaleCommand::Disable(a)) => {
                (line.envs, line.models) = (a.targets.envs, a.targets.models);
                line.want = Some(Autoscaler::Off);
                a.repo
            }
            Command::Autoscale(AutoscaleCommand::Status(a)) => {
                line.envs = a.envs;
                a.repo
            }
            Command::Set(a) => {
                line.envs = a.envs;
                line.models = a.words.into_iter().filter(|w| !w.contains('=')).collect();
                a.repo
            }
            Command::Log(a) => {
                (line.envs, line.models) = (a.targets.envs, a.targets.models);
                a.repo
            }
            _ => RepoArgs::default(),
        };
        line.repo = merge_repo(cli.repo, sub).unwrap_or_default();
        line
    }

    /// The targets already on the line (none when they don't parse yet).
    pub fn targets(&self) -> Vec<Target> {
        layout::targets(&self.envs, &self.models).unwrap_or_default()
    }

    /// The work tree the command would act on: `-C`/`MLOPS_REPO` or the
    /// current directory, then upward to the first folder holding
    /// model-deployments/ (stopping at a `.git`). None with `--clone`: the
    /// names are in a remote we will not contact on a Tab.
    pub fn snapshot(&self) -> Option<WorkTree> {
        if self.repo.clone.is_some() {
            return None;
        }
        let start = self.repo.repo.clone().unwrap_or_else(|| PathBuf::from("."));
        find_root(&start).map(|root| WorkTree::new(&root))
    }
}

/// The folder at or above `start` holding model-deployments/, without
/// opening git: the checkout's root for any real mlops-gitops checkout.
fn find_root(start: &Path) -> Option<PathBuf> {
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
        assert_eq!(l.repo.repo, Some(PathBuf::from("/r")));
        assert_eq!(l.envs, ["test", "prod"]);
        assert_eq!(l.models, ["jukebox"]);
        assert_eq!(l.want, Some(Autoscaler::Off));
        let l = line("mlops autoscale enable --env=test --repo=/x --autoscaler keda");
        assert_eq!(l.repo.repo, Some(PathBuf::from("/x")));
        assert_eq!(l.envs, ["test"]);
        assert_eq!(l.want, Some(Autoscaler::Keda));
        assert_eq!(line("mlops -C /r").repo.repo, Some(PathBuf::from("/r")));
        let l = line("mlops set --env test jukebox version=1");
        assert_eq!(l.targets(), [Target::new("test", "jukebox")]);
        let l = line("mlops autoscale enable test/jukebox");
        assert_eq!(l.targets(), [Target::new("test", "jukebox")]);
    }
}
