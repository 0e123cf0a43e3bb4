//! How the git layer's [`Event`]s look on stderr: on a terminal an
//! indicatif bar per transfer; elsewhere (CI logs) one line per phase, so
//! logs stay readable. What the remote says back (`remote: …` lines, e.g.
//! a forge's "create a pull request" link), what a hook or a helper
//! program prints and git's hints are always shown; `--verbose` steps
//! only when asked for.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::git::mask::mask;
use crate::git::progress::{Event, Progress, Renderer};
use crate::git::url::scrub;

/// The longest `remote:` line shown (git's pkt-line maximum).
const LINE: usize = 65520;

/// The renderer the commands hand to the git layer.
pub(crate) const RENDERER: Renderer = Renderer(start);

fn start(quiet: bool) -> Box<dyn Progress> {
    Box::new(Feedback::new(quiet))
}

/// Renders [`Event`]s.
struct Feedback {
    tty: bool,
    quiet: bool,
    bar: Option<ProgressBar>,
    /// Sideband text not yet ended by a newline.
    pending: Vec<u8>,
}

impl Feedback {
    fn new(quiet: bool) -> Feedback {
        Feedback {
            tty: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
            quiet,
            bar: None,
            pending: Vec::new(),
        }
    }

    fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => crate::stderr::line(format_args!("{text}")),
        }
    }
}

impl Progress for Feedback {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Step(what) => self.line(&format!("git: {}", scrub(what))),
            Event::Said(text) => self.line(text),
            Event::Phase(what) => {
                self.finish();
                if self.quiet {
                    return;
                }
                if self.tty {
                    let bar = ProgressBar::new_spinner().with_message(scrub(what));
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{spinner} {msg} {bar:30} {pos}/{len} objects",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.enable_steady_tick(Duration::from_millis(120));
                    self.bar = Some(bar);
                } else {
                    crate::stderr::line(format_args!("{}", scrub(what)));
                }
            }
            Event::Received { done, total, .. } | Event::Sent { done, total, .. } => {
                if let Some(bar) = &self.bar {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                }
            }
            Event::Remote(data) => self.remote(data),
            Event::Done => self.finish(),
        }
    }
}

impl Feedback {
    /// Prints complete `\n`-ended lines of what the remote says; lines the
    /// remote rewrites in place with `\r` (its own progress) are dropped.
    /// A line longer than [`LINE`] is cut there, so a remote that never
    /// ends its line cannot fill the memory (or the terminal).
    fn remote(&mut self, data: &[u8]) {
        for chunk in data.split_inclusive(|b| *b == b'\n' || *b == b'\r') {
            let room = LINE.saturating_sub(self.pending.len());
            let ends = matches!(chunk.last(), Some(b'\n' | b'\r'));
            if chunk.len() > room && !ends {
                self.pending.extend_from_slice(&chunk[..room]);
            } else if chunk.len() > room {
                self.pending.extend_from_slice(&chunk[..room]);
                self.pending.push(chunk[chunk.len() - 1]);
            } else {
                self.pending.extend_from_slice(chunk);
            }
        }
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n' || *b == b'\r') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            if line.last() == Some(&b'\r') {
                continue;
            }
            let text = mask(&line);
            let text = text.trim_end();
            // The server's own transfer counters ("Counting objects: 100%
            // (3/3), done.", "Total 3 (delta 1)") are noise in a log.
            let counter = text.contains("% (")
                || text.contains(" objects: ")
                || text.trim_start().starts_with("Total ");
            if !text.trim().is_empty() && !counter && !self.quiet {
                self.line(&format!("remote: {}", scrub(text)));
            }
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Feedback {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            self.pending.push(b'\n');
            let rest = std::mem::take(&mut self.pending);
            self.remote(&rest);
        }
        self.finish();
    }
}
