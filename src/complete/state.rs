//! The autoscaling state of candidate models, read fast enough for a Tab.
//!
//! Ordering models by state means reading their config files, and a Tab
//! must answer in about 20 ms even with 10,000 models. Three things keep it
//! there: only the candidates matching what was typed are read (after
//! `ju<Tab>` that is a handful, not 10,000); the reads are spread over the
//! machine's cores; and a time budget stops reading once spent, leaving
//! the rest as [`State::Unknown`], which orders them after the models known
//! to need the change. A file without the word `autoscaling` is settled
//! without running the YAML engine at all.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::commands::autoscale::change::Switch;
use crate::edit;
use crate::layout::CONFIG;

/// How long after the completion request began reading states must stop,
/// out of the ~20 ms a Tab may cost: process start comes before the clock
/// starts (~1 ms), and ranking and printing the candidates after it
/// ([`per_candidate`]).
pub const BUDGET: Duration = Duration::from_millis(14);

/// What ranking, clap's engine and printing cost per candidate after the
/// states are read, measured at about 0.7 µs (7 ms for 10,000 models);
/// that time is kept out of the reading budget.
pub fn per_candidate(count: usize) -> Duration {
    Duration::from_nanos(700 * count as u64)
}

/// What the chart sees for `autoscaling` in one model's config (over all
/// the envs asked about: `On` only when on in every one of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    On,
    Off,
    /// No `autoscaling` key: the chart default applies.
    Unset,
    /// Envs disagree, a file could not be read or parsed, or the time
    /// budget ran out before it was read.
    Unknown,
    /// No config.yaml in any of the envs: not a model.
    Missing,
}

/// How a model ranks for a command: lower comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// The command would change it.
    Actionable,
    Unknown,
    /// The command would leave it as it is.
    Done,
}

impl State {
    /// The state one file's bytes give.
    pub fn of(bytes: &[u8]) -> State {
        if !contains(bytes, b"autoscaling") {
            return State::Unset;
        }
        match edit::read_autoscaling(bytes) {
            Ok(reading) => match reading.effective {
                Some(true) => State::On,
                Some(false) => State::Off,
                None => State::Unset,
            },
            Err(_) => State::Unknown,
        }
    }

    /// Where a model in this state ranks for `switch` (no switch: `status`
    /// or a line without a subcommand yet, where every model is alike).
    pub fn class(self, switch: Option<Switch>) -> Class {
        match (self, switch) {
            (State::Unknown | State::Missing, _) | (_, None) => Class::Unknown,
            (State::On, Some(Switch::Off)) => Class::Actionable,
            (State::Off | State::Unset, Some(Switch::On)) => Class::Actionable,
            _ => Class::Done,
        }
    }

    /// Words for people: the help text next to a candidate, the label in
    /// the multi-select.
    pub fn label(self) -> Option<&'static str> {
        match self {
            State::On => Some("autoscaling on"),
            State::Off => Some("autoscaling off"),
            State::Unset => Some("autoscaling unset"),
            State::Unknown => None,
            State::Missing => Some("no config.yaml"),
        }
    }

    /// Combines the states of one model in several envs.
    pub fn merge(self, other: State) -> State {
        match (self, other) {
            (State::Missing, s) | (s, State::Missing) => s,
            (a, b) if a == b => a,
            _ => State::Unknown,
        }
    }
}

/// The states of `models` over `envs` under `base` (model-deployments/),
/// in the order of `models`, read in parallel until `deadline`.
pub fn read(base: &Path, envs: &[String], models: &[String], deadline: Instant) -> Vec<State> {
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
        .min(models.len().div_ceil(64).max(1));
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= models.len() || Instant::now() >= deadline {
                return done;
            }
            done.push((i, one(base, envs, &models[i])));
        }
    };
    let mut states = vec![State::Unknown; models.len()];
    let results: Vec<Vec<(usize, State)>> = if threads == 1 {
        vec![work()]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };
    for (i, state) in results.into_iter().flatten() {
        states[i] = state;
    }
    states
}

/// One model's state over `envs`.
fn one(base: &Path, envs: &[String], model: &str) -> State {
    let mut state = State::Missing;
    for env in envs {
        let path = base.join(env).join(model).join(CONFIG);
        let here = match std::fs::read(&path) {
            Ok(bytes) => State::of(&bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::Missing,
            Err(_) => State::Unknown,
        };
        state = state.merge(here);
    }
    state
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_decides_what_comes_first() {
        assert_eq!(State::Off.class(Some(Switch::On)), Class::Actionable);
        assert_eq!(State::Unset.class(Some(Switch::On)), Class::Actionable);
        assert_eq!(State::On.class(Some(Switch::On)), Class::Done);
        assert_eq!(State::On.class(Some(Switch::Off)), Class::Actionable);
        assert_eq!(State::Unset.class(Some(Switch::Off)), Class::Done);
        assert_eq!(State::Unknown.class(Some(Switch::Off)), Class::Unknown);
        assert_eq!(State::On.class(None), Class::Unknown);
    }

    #[test]
    fn a_file_without_the_key_is_unset_without_the_engine() {
        assert_eq!(State::of(b"name: jukebox\nreplicas: 1\n"), State::Unset);
    }

    #[test]
    fn envs_that_disagree_make_the_state_unknown() {
        assert_eq!(State::Missing.merge(State::On), State::On);
        assert_eq!(State::On.merge(State::On), State::On);
        assert_eq!(State::On.merge(State::Off), State::Unknown);
    }
}
