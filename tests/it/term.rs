//! A real terminal for tests: bash in a detached tmux session, driven by
//! keystrokes and read back from the screen, the way a person in a
//! code-server terminal would use mlops.
//!
//! Every wait is bounded and the tmux server is killed on drop, so a hung
//! prompt fails its test instead of hanging CI. Without tmux the tests are
//! skipped with a note, except under CI=true, where that is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{words, Env};

/// How long any one expected screen may take to appear.
const WAIT: Duration = Duration::from_secs(15);

pub struct Term {
    socket: PathBuf,
}

impl Term {
    /// bash without rc files in a 160x40 terminal, in `dir`, with the
    /// sandboxed environment of `env` and the built mlops first on PATH.
    /// `None` (after a note) when tmux is missing outside CI.
    pub fn start(env: &Env, dir: &Path) -> Option<Term> {
        if Command::new("tmux").arg("-V").output().is_err() {
            crate::skipped::skip("tmux");
            return None;
        }
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_mlops")).parent().unwrap();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let term = Term {
            socket: env.path().join("tmux.sock"),
        };
        let mut cmd = term.tmux();
        env.apply(&mut cmd);
        cmd.env("PATH", path)
            .env("TERM", "xterm-256color")
            .env("PS1", "$ ")
            .env_remove("COMPLETE")
            .current_dir(dir)
            .args(words("-f /dev/null new-session -d -x 160 -y 40"))
            .args(["bash", "--norc", "--noprofile"]);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        term.wait_for(|s| s.contains('$'));
        Some(term)
    }

    fn tmux(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S").arg(&self.socket);
        cmd
    }

    /// Types `text` literally.
    pub fn type_text(&self, text: &str) {
        let ok = self
            .tmux()
            .args(["send-keys", "-l", text])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Presses keys by tmux name: "Tab", "Enter", "Space", "Down", "C-u".
    pub fn press(&self, key: &str) {
        let ok = self.tmux().args(["send-keys", key]).status().unwrap();
        assert!(ok.success());
    }

    /// Types a command line and runs it.
    pub fn run(&self, line: &str) {
        self.type_text(line);
        self.press("Enter");
    }

    /// The visible screen, trailing blank lines removed.
    /// Whether the terminal's cursor becomes (or stays) `visible`
    /// (tmux's `cursor_flag`) within the wait: a program hides or shows it
    /// a moment after drawing, so one look could come too early.
    pub fn cursor_becomes(&self, visible: bool) -> bool {
        let start = Instant::now();
        loop {
            let out = self
                .tmux()
                .args(["display-message", "-p", "#{cursor_flag}"])
                .output()
                .unwrap();
            if (String::from_utf8_lossy(&out.stdout).trim() == "1") == visible {
                return true;
            }
            if start.elapsed() > WAIT {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn screen(&self) -> String {
        let out = self.tmux().args(["capture-pane", "-p"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// Waits until the screen satisfies `ok`, and returns it; panics with
    /// the screen after [`WAIT`].
    pub fn wait_for(&self, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < WAIT,
                "timed out waiting; the screen is:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// At the model picker titled `prompt`: checks that `first` is listed
    /// above `then`, picks the first row, confirms, and checks that the
    /// equivalent command line `picked` was printed.
    pub fn pick_first_model(&self, prompt: &str, first: &str, then: &str, picked: &str) {
        let screen = self.expect(prompt);
        let a = screen.find(first).expect(&screen);
        let b = screen.find(then).expect(&screen);
        assert!(a < b, "{screen}");
        self.press("Space");
        self.press("Enter");
        self.expect("Commit these changes?");
        assert!(self.screen().contains(picked), "{}", self.screen());
        self.type_text("y");
        self.expect("rc=0");
    }

    /// Waits for `text` on the screen.
    pub fn expect(&self, text: &str) -> String {
        self.wait_for(|s| s.contains(text))
    }

    /// The last non-empty line on the screen (where the cursor's line is).
    pub fn last_line(&self) -> String {
        self.screen().lines().last().unwrap_or("").to_string()
    }

    /// Clears the screen and the line being edited.
    pub fn clear(&self) {
        self.press("C-u");
        self.run("clear");
        self.wait_for(|s| s.trim() == "$");
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").output();
    }
}
