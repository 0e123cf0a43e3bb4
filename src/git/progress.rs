//! What the git layer has to say while it works, as [`Event`]s: transfer
//! phases and counts, what the remote says, `--verbose` steps, what a hook
//! or a helper program prints, git's hints. The git layer never prints:
//! each operation starts a [`Progress`] from the [`Renderer`] in its
//! [`super::Options`], which the caller chose (the commands give `ui`'s;
//! the default shows nothing).

/// Something to show.
pub enum Event<'a> {
    /// A phase starts, e.g. "Fetching main from https://…".
    Phase(&'a str),
    /// Objects received so far (fetch).
    Received { done: usize, total: usize },
    /// Objects sent so far (push).
    Sent { done: usize, total: usize },
    /// Raw sideband bytes from the remote (masked when shown).
    Remote(&'a [u8]),
    /// The phase ended.
    Done,
    /// One git step, for `--verbose` (only sent when asked for).
    Step(&'a str),
    /// A line a hook, an askpass program or git's advice says, already
    /// masked: shown as it is, also with `--quiet` (as git shows them).
    Said(&'a str),
}

/// Shows [`Event`]s.
pub trait Progress {
    fn event(&mut self, event: Event<'_>);
}

/// Starts a [`Progress`] for one operation (`--quiet` or not).
#[derive(Clone, Copy)]
pub struct Renderer(pub fn(quiet: bool) -> Box<dyn Progress>);

impl Renderer {
    pub fn start(&self, quiet: bool) -> Box<dyn Progress> {
        (self.0)(quiet)
    }
}

/// Shows nothing.
struct Silent;

impl Progress for Silent {
    fn event(&mut self, _: Event<'_>) {}
}

impl Default for Renderer {
    fn default() -> Renderer {
        Renderer(|_| Box::new(Silent))
    }
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Renderer")
    }
}
