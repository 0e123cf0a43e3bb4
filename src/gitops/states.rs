//! The chart's rendering for many models at once: status reads thousands
//! of files, and a Tab must answer in about 20 ms even with 10,000 models.
//! Reads are spread over the machine's cores, may stop at a deadline
//! (what was not read in time is [`State::Unknown`]), and a file without
//! the words `autoscaling` or `keda` is settled without parsing it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use super::chart::{Autoscaler, Rendering};

/// What the chart renders for one model (over all the environments asked
/// about: a rendering only when they all agree).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Rendered(Autoscaler),
    /// Environments disagree, a file could not be read or parsed, or the
    /// time ran out before it was read.
    Unknown,
    /// No config.yaml in any of the environments: not a model there.
    Missing,
}

/// How a model ranks for a command: lower comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Class {
    /// The command would change it.
    Actionable,
    Unknown,
    /// The command would leave it as it is.
    Done,
}

impl State {
    /// The state one file's bytes give.
    pub fn of(bytes: &[u8]) -> State {
        if !contains(bytes, b"autoscaling") && !contains(bytes, b"keda") {
            return State::Rendered(Autoscaler::Off);
        }
        match Rendering::read(bytes) {
            Ok(r) => State::Rendered(r.autoscaler()),
            Err(_) => State::Unknown,
        }
    }

    /// Where a model in this state ranks for a command that makes the
    /// chart render `want` (none: status, or no subcommand yet).
    pub fn class(self, want: Option<Autoscaler>) -> Class {
        match (self, want) {
            (State::Rendered(have), Some(want)) if have == want => Class::Done,
            (State::Rendered(_), Some(_)) => Class::Actionable,
            _ => Class::Unknown,
        }
    }

    /// Words for people: the help text next to a candidate, the label in
    /// the multi-select.
    pub fn label(self) -> Option<&'static str> {
        match self {
            State::Rendered(Autoscaler::Off) => Some("autoscaler off"),
            State::Rendered(Autoscaler::Hpa) => Some("autoscaler hpa"),
            State::Rendered(Autoscaler::Keda) => Some("autoscaler keda"),
            State::Unknown => None,
            State::Missing => Some("no config.yaml"),
        }
    }

    /// Combines the states of one model in several environments.
    pub fn merge(self, other: State) -> State {
        match (self, other) {
            (State::Missing, s) | (s, State::Missing) => s,
            (a, b) if a == b => a,
            _ => State::Unknown,
        }
    }
}

/// `f(0) … f(count - 1)` on up to `threads` threads, stopping at
/// `deadline`: the results in order, `None` where time ran out first.
/// Each item is one small read and one parse, so two cores halve the time.
/// Results go straight to their place: status over 60,000 models held
/// them twice (the threads' lists, then the ordered one).
pub(crate) fn map<T: Send>(
    count: usize,
    threads: usize,
    deadline: Option<Instant>,
    f: impl Fn(usize) -> T + Sync,
) -> Vec<Option<T>> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<T>>> = Mutex::new((0..count).map(|_| None).collect());
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= count || deadline.is_some_and(|d| Instant::now() >= d) {
            return;
        }
        let value = f(i);
        // A thread that panicked in `f` held no lock: the list is whole.
        out.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(value);
    };
    let threads = threads.clamp(1, count.max(1));
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
            // Joined by hand: a thread that panicked loses only its item.
            for h in handles {
                let _ = h.join();
            }
        });
    }
    out.into_inner().unwrap_or_else(PoisonError::into_inner)
}

/// The number of threads worth starting for `count` items of about
/// `per_thread` each, at most `cap`.
pub(crate) fn threads(count: usize, per_thread: usize, cap: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(cap)
        .min(count.div_ceil(per_thread.max(1)).max(1))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_decides_what_comes_first() {
        let off = State::Rendered(Autoscaler::Off);
        let hpa = State::Rendered(Autoscaler::Hpa);
        let keda = State::Rendered(Autoscaler::Keda);
        assert_eq!(off.class(Some(Autoscaler::Hpa)), Class::Actionable);
        assert_eq!(keda.class(Some(Autoscaler::Hpa)), Class::Actionable);
        assert_eq!(hpa.class(Some(Autoscaler::Hpa)), Class::Done);
        assert_eq!(hpa.class(Some(Autoscaler::Off)), Class::Actionable);
        assert_eq!(off.class(Some(Autoscaler::Off)), Class::Done);
        assert_eq!(State::Unknown.class(Some(Autoscaler::Off)), Class::Unknown);
        assert_eq!(hpa.class(None), Class::Unknown);
    }

    #[test]
    fn a_file_without_the_keys_renders_nothing_without_the_engine() {
        assert_eq!(
            State::of(b"name: jukebox\n"),
            State::Rendered(Autoscaler::Off)
        );
        assert_eq!(
            State::of(b"keda: true\n"),
            State::Rendered(Autoscaler::Keda)
        );
    }

    #[test]
    fn environments_that_disagree_make_the_state_unknown() {
        let hpa = State::Rendered(Autoscaler::Hpa);
        assert_eq!(State::Missing.merge(hpa), hpa);
        assert_eq!(hpa.merge(hpa), hpa);
        assert_eq!(hpa.merge(State::Rendered(Autoscaler::Off)), State::Unknown);
    }

    #[test]
    fn map_keeps_order_and_stops_at_the_deadline() {
        let all = map(100, 2, None, |i| i * 2);
        assert!(all.iter().enumerate().all(|(i, v)| *v == Some(i * 2)));
        let none = map(10, 2, Some(Instant::now()), |i| i);
        assert!(none.iter().all(Option::is_none));
    }
}
