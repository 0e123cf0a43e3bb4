//! What happens on Ctrl-C (SIGINT) or SIGTERM, in one place: a temporary
//! clone is removed, the git lock files mlops holds in a checkout are
//! removed (as git does), a terminal whose cursor a prompt hid gets it
//! back, and the process exits with 128 + the signal number (130, 143), as a
//! shell reports a process killed by it. Without this, the signal would
//! end the process without running any destructor.
//!
//! What is said names what was interrupted and the state the checkout
//! and the remote are left in: the run tells [`state`] as it goes (opened,
//! pushing, pushed), so an interrupted checkout run never speaks of a
//! temporary clone it did not have.
//!
//! The handler is installed on first use, by a temporary clone, a prompt,
//! the checkout's locks or the first [`state`]; a run that needs none
//! keeps the default action.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Temporary clones to remove if a signal arrives.
static TEMP_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The run's scratch folders ([`scratch_dir`]), removed silently.
static SCRATCH: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Lock files this process holds (`index.lock`, a ref's `.lock`).
static LOCKS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// What the run is doing and where that leaves the checkout and the
/// remote, in words ([`state`]).
static STATE: Mutex<Option<String>> = Mutex::new(None);

/// Whether a prompt is on the terminal (with the cursor hidden).
static PROMPTING: AtomicBool = AtomicBool::new(false);

/// Removes `dir` if a signal arrives before [`forget`] is called.
pub(crate) fn remove_on_signal(dir: PathBuf) {
    register(&TEMP_DIRS, dir);
}

/// Removes `dir` (a folder of the run's own in the repository) if a signal
/// arrives before [`forget`] is called, without a word: the state said is
/// the run's ([`state`]).
pub(crate) fn remove_quietly_on_signal(dir: PathBuf) {
    register(&SCRATCH, dir);
}

/// What the run is doing now, and the state of the checkout and remote if
/// it ends here: said after "interrupted: " when a signal ends the run
/// (e.g. "while pushing 1a2b3c4d5e to origin/main: …").
pub(crate) fn state(words: impl Into<String>) {
    if let Ok(mut state) = STATE.lock() {
        *state = Some(words.into());
    }
    watch();
}

/// A temporary folder of the run's own: mode 0700 (it may hold a copy of
/// a private repository's index, or ssh's control socket), removed, without
/// a word, if a signal arrives before [`forget`] is called.
pub(crate) fn scratch_dir(prefix: &str) -> std::io::Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    watch();
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()?;
    register(&SCRATCH, dir.path().to_path_buf());
    Ok(dir)
}

/// `dir` is gone (or kept on purpose): nothing to remove any more.
pub(crate) fn forget(dir: &Path) {
    unregister(&TEMP_DIRS, dir);
    unregister(&SCRATCH, dir);
}

/// `lock` is this process's lock file until [`release_lock`]: removed if
/// a signal arrives. Call [`watch`] before creating it.
pub(crate) fn hold_lock(lock: PathBuf) {
    register(&LOCKS, lock);
}

/// `lock` is no longer ours (committed or removed).
pub(crate) fn release_lock(lock: &Path) {
    unregister(&LOCKS, lock);
}

fn register(list: &Mutex<Vec<PathBuf>>, path: PathBuf) {
    if let Ok(mut paths) = list.lock() {
        paths.push(path);
    }
    watch();
}

fn unregister(list: &Mutex<Vec<PathBuf>>, path: &Path) {
    if let Ok(mut paths) = list.lock() {
        paths.retain(|p| p != path);
    }
}

/// A prompt starts (`true`) or ends (`false`).
pub(crate) fn prompting(on: bool) {
    PROMPTING.store(on, Ordering::SeqCst);
    if on {
        watch();
    }
}

/// Starts the watcher thread, once.
pub(crate) fn watch() {
    static WATCHER: Once = Once::new();
    WATCHER.call_once(|| {
        let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                let prompting = PROMPTING.load(Ordering::SeqCst);
                if prompting {
                    let _ = console::Term::stderr().show_cursor();
                    eprintln!("\nInterrupted: nothing was written.");
                }
                let clone = TEMP_DIRS.lock().is_ok_and(|dirs| {
                    for dir in dirs.iter() {
                        let _ = std::fs::remove_dir_all(dir);
                    }
                    !dirs.is_empty()
                });
                if let Ok(dirs) = SCRATCH.lock() {
                    for dir in dirs.iter() {
                        let _ = std::fs::remove_dir_all(dir);
                    }
                }
                let state = STATE.lock().ok().and_then(|s| s.clone());
                match (state, clone) {
                    _ if prompting => {}
                    (Some(state), true) => {
                        eprintln!("interrupted {state}; the temporary clone was removed")
                    }
                    (Some(state), false) => eprintln!("interrupted {state}"),
                    (None, true) => eprintln!("interrupted: the temporary clone was removed; the push may or may not have reached the remote (run again to find out: a change already made is not made twice)"),
                    (None, false) => {}
                }
                if let Ok(locks) = LOCKS.lock() {
                    if locks.iter().filter(|l| std::fs::remove_file(l).is_ok()).count() > 0 {
                        eprintln!("interrupted: mlops removed the git lock files it held; run the same command again (a change already pushed is not made twice)");
                    }
                }
                std::process::exit(128 + signal);
            }
        });
    });
}
