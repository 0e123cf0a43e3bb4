//! Tests that could not run because a program is missing (outside CI,
//! where nothing may be skipped) say so at the very end of the run, after
//! libtest's summary, with the one command that installs what they need:
//! libtest captures a passing test's own output, so a note printed by the
//! test alone would never be seen, and a green run on a fresh laptop would
//! hide what was not tested.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};

/// What the tests need, as Debian packages (what .ci/run installs).
pub const INSTALL: &str = "apt-get install -y git lighttpd lighttpd-mod-openssl openssl openssh-server openssh-client tinyproxy stunnel4 tmux";

static MISSING: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
static COUNT: AtomicUsize = AtomicUsize::new(0);

/// Records that a test is skipped because `program` is missing, and
/// arranges for the report at exit. In CI this is a failure instead.
pub fn skip(program: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{program} is missing: CI must install it (.ci/run: {INSTALL})");
    }
    eprintln!("note: skipping this test: {program} is not installed");
    COUNT.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut missing) = MISSING.lock() {
        missing.insert(program.to_string());
    }
    static AT_EXIT: Once = Once::new();
    AT_EXIT.call_once(|| {
        // SAFETY: registers a plain `extern "C" fn` with no captured
        // state; it runs once, after main returns.
        unsafe {
            libc::atexit(report);
        }
    });
}

extern "C" fn report() {
    let missing = MISSING
        .lock()
        .map(|m| m.iter().cloned().collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    let text = format!(
        "\nnote: {} test(s) were SKIPPED, not run, because these are missing: {missing}\nnote: install them and run the tests again: sudo {INSTALL}\n",
        COUNT.load(Ordering::SeqCst)
    );
    // Straight to fd 2: at exit, nothing of std's output machinery is
    // needed.
    // SAFETY: writes a valid buffer of its stated length.
    unsafe {
        libc::write(2, text.as_ptr().cast(), text.len());
    }
}
