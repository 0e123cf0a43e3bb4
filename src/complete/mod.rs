//! Tab completion that knows the repository: subcommands and options from
//! the clap types; environments, models (`--env ENV MODEL` or `ENV/MODEL`)
//! and `set` keys from the checkout the command would act on.
//!
//! Why clap_complete's dynamic completion (`CompleteEnv`) and not static
//! scripts: the names live in the repository, not in the binary, so the
//! shell has to call back into `mlops` on every Tab anyway. `CompleteEnv`
//! gives that callback for bash, zsh, fish, elvish and PowerShell from one
//! implementation, keeps subcommands and options in step with `cli`, and
//! passes candidates through in our order (bash gets `-o nosort`, fish
//! `--keep-order`), which the "actionable models first" ordering needs.
//! Its one gap: a value completer sees only the word being completed, not
//! the rest of the line; [`line::Line`] fills it by re-parsing the words.
//!
//! This module is clap glue and a time budget: listing, names and states
//! come from the domain (`gitops`), as for `status` and picking. Every
//! error or panic yields no candidates and no output at all.

mod line;

use std::ffi::OsStr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

use crate::cli::Cli;
use crate::gitops::chart::Autoscaler;
use crate::gitops::layout::Target;
use crate::gitops::models;
use crate::gitops::snapshot::{Snapshot, WorkTree};
use crate::gitops::states::{self, Class, State};
use line::Line;

/// The environment variable the shell scripts set to ask for candidates.
pub const VAR: &str = "COMPLETE";

/// How long after the completion request began reading states must stop,
/// out of the ~20 ms a Tab may cost: process start comes before the clock
/// starts (~1 ms), and ranking and printing the candidates after it.
const BUDGET: Duration = Duration::from_millis(14);

/// What ranking, clap's engine and printing cost per candidate after the
/// states are read, measured at about 0.7 µs (7 ms for 10,000 models);
/// that time is kept out of the reading budget.
fn per_candidate(count: usize) -> Duration {
    Duration::from_nanos(700 * count as u64)
}

/// When this completion request began.
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
    let Some(snap) = line.snapshot() else {
        return Vec::new();
    };
    env_names(&snap, prefix)
        .into_iter()
        .filter(|env| !line.envs.contains(env))
        .map(|env| CompletionCandidate::new(env).tag(Some("ENV".into())))
        .collect()
}

/// Candidates for `MODEL`: with `--env`, the model folders of those
/// environments; without, `ENV/` first and then `ENV/MODEL`. Models come
/// in the order of what the command would do to them: the ones it would
/// change first, then those of unknown state, then the rest.
pub fn models(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(word) = current.to_str() else {
        return Vec::new();
    };
    let line = Line::from_process();
    let Some(snap) = line.snapshot() else {
        return Vec::new();
    };
    model_candidates(&snap, &line, word)
}

/// Candidates for `set`'s words: the paths of the single values of the
/// models on the line (`ver` -> `version=`, `image.t` -> `image.tag=`),
/// then models as for [`models`].
pub fn set_words(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(word) = current.to_str() else {
        return Vec::new();
    };
    if word.contains('=') {
        return Vec::new();
    }
    let line = Line::from_process();
    let Some(snap) = line.snapshot() else {
        return Vec::new();
    };
    let mut keys: Vec<String> = Vec::new();
    for target in line.targets() {
        let Ok(Some(bytes)) = snap.read(&target.path()) else {
            continue;
        };
        let Ok(paths) = crate::edit::scalar_paths(&bytes, 10_000) else {
            continue;
        };
        for key in paths {
            if key.starts_with(word) && !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    let mut out: Vec<CompletionCandidate> = keys
        .into_iter()
        .map(|k| CompletionCandidate::new(format!("{k}=")).tag(Some("KEY".into())))
        .collect();
    out.extend(model_candidates(&snap, &line, word));
    out
}

fn env_names(snap: &WorkTree, prefix: &str) -> Vec<String> {
    let all = models::envs(snap).unwrap_or_default();
    all.into_iter().filter(|e| e.starts_with(prefix)).collect()
}

fn model_candidates(snap: &WorkTree, line: &Line, word: &str) -> Vec<CompletionCandidate> {
    let typed = line.targets();
    if !line.envs.is_empty() {
        let names = folders_in_all(snap, &line.envs, word);
        let names: Vec<String> = names
            .into_iter()
            .filter(|m| !line.envs.iter().all(|e| typed.contains(&Target::new(e, m))))
            .collect();
        let states = read_states(snap, &line.envs, &names);
        return rank(names, &states, line.want, |m| m.to_string());
    }
    let Some((env, prefix)) = word.split_once('/') else {
        return env_names(snap, word)
            .into_iter()
            .map(|e| CompletionCandidate::new(format!("{e}/")).tag(Some("ENV".into())))
            .collect();
    };
    let envs = [env.to_string()];
    let names: Vec<String> = models::folders(snap, env, prefix)
        .unwrap_or_default()
        .into_iter()
        .filter(|m| !typed.contains(&Target::new(env, m)))
        .collect();
    let states = read_states(snap, &envs, &names);
    rank(names, &states, line.want, |m| format!("{env}/{m}"))
}

/// Model folders starting with `prefix` present in every env of `envs`.
fn folders_in_all(snap: &WorkTree, envs: &[String], prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (i, env) in envs.iter().enumerate() {
        let here = models::folders(snap, env, prefix).unwrap_or_default();
        if i == 0 {
            names = here;
        } else {
            names.retain(|n| here.binary_search(n).is_ok());
        }
    }
    names
}

/// A handful of candidates is always read whole (a few ms at most), so
/// their order never depends on how busy the machine is; the budget is
/// for the thousands.
const ALWAYS_READ: usize = 32;

/// The states of `models` over `envs`, read until the budget is spent.
fn read_states(snap: &WorkTree, envs: &[String], names: &[String]) -> Vec<State> {
    let started = STARTED.get().copied().unwrap_or_else(Instant::now);
    let deadline = (names.len() > ALWAYS_READ).then(|| {
        (started + BUDGET)
            .checked_sub(per_candidate(names.len()))
            .unwrap_or(started)
    });
    let threads = states::threads(names.len(), 64, 4);
    states::map(names.len(), threads, deadline, |i| {
        envs.iter().fold(State::Missing, |state, env| {
            let here = match snap.read(&Target::new(env, &names[i]).path()) {
                Ok(Some(bytes)) => State::of(&bytes),
                Ok(None) => State::Missing,
                // Not a file mlops would edit (a symlink on the way, a
                // folder): not offered, as set would refuse it.
                Err(_) => State::Missing,
            };
            state.merge(here)
        })
    })
    .into_iter()
    .map(|s| s.unwrap_or(State::Unknown))
    .collect()
}

/// Orders `names` by what the command would do to them, with the state as
/// help text (shown by zsh, fish and PowerShell). Folders found to have no
/// config.yaml are dropped.
fn rank(
    names: Vec<String>,
    states: &[State],
    want: Option<Autoscaler>,
    show: impl Fn(&str) -> String,
) -> Vec<CompletionCandidate> {
    let mut ranked: Vec<(Class, String, State)> = names
        .into_iter()
        .zip(states.iter().copied())
        .filter(|(_, s)| *s != State::Missing)
        .map(|(name, s)| (s.class(want), name, s))
        .collect();
    ranked.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    ranked
        .into_iter()
        .enumerate()
        .map(|(i, (_, name, s))| {
            // An explicit tag: without one, clap renders the argument's
            // name anew for every candidate (a third of the time with
            // 10,000 models).
            CompletionCandidate::new(show(&name))
                .help(s.label().map(Into::into))
                .tag(Some("MODEL".into()))
                .display_order(Some(i))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
