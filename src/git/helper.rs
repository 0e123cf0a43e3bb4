//! Talking to git's credential helpers the way git does, through `git
//! credential`: `fill` asks them (prompts off), `approve` tells them
//! credentials worked (so `store` or `cache` keep what was typed at a
//! prompt), `reject` tells them credentials were refused (so a stored
//! password that no longer works is erased instead of being offered on
//! every run). git itself approves after an authenticated request
//! succeeds and rejects after one is refused.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use super::url::strip_userinfo;

/// What the helpers answer for `url`; `None` when none knows it (or git is
/// not installed). Runs in `git_dir`, so repository config applies.
pub(crate) fn fill(git_dir: &Path, url: &str, username: Option<&str>) -> Option<(String, String)> {
    let mut input = format!("url={}\n", strip_userinfo(url));
    if let Some(user) = username {
        input.push_str(&format!("username={user}\n"));
    }
    let out = run(git_dir, "fill", &input)?;
    let text = String::from_utf8(out).ok()?;
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .map(str::to_string)
    };
    // GIT_ASKPASS=true answers with an empty line: that is no answer.
    match (field("username"), field("password")) {
        (Some(u), Some(p)) if !p.is_empty() => Some((u, p)),
        _ => None,
    }
}

/// `git credential approve` (`worked`) or `reject` for these credentials.
/// A failure is not reported: the push's outcome stands either way.
pub(crate) fn tell(git_dir: &Path, worked: bool, url: &str, user: &str, pass: &str) {
    let action = if worked { "approve" } else { "reject" };
    let input = format!(
        "url={}\nusername={user}\npassword={pass}\n",
        strip_userinfo(url)
    );
    let _ = run(git_dir, action, &input);
}

/// [`tell`] that credentials worked, on a thread: it is two git
/// processes (`git credential approve` and the helper it runs; `store`
/// rewrites its file), 9 ms after every HTTP(S) push here, and the
/// checkout update after the push does not depend on it. [`settle`]
/// waits for it before the run ends.
pub(crate) fn approve_meanwhile(git_dir: &Path, url: &str, user: &str, pass: &str) {
    let git_dir = git_dir.to_path_buf();
    let [url, user, pass] = [url, user, pass].map(str::to_string);
    let thread = std::thread::spawn(move || tell(&git_dir, true, &url, &user, &pass));
    if let Ok(mut approving) = super::run::run().approving.lock() {
        if let Some(earlier) = approving.replace(thread) {
            let _ = earlier.join();
        }
    }
}

/// Waits for an `approve` started by [`approve_meanwhile`], if any.
pub(crate) fn settle() {
    let pending = super::run::run()
        .approving
        .lock()
        .ok()
        .and_then(|mut a| a.take());
    if let Some(thread) = pending {
        let _ = thread.join();
    }
}

/// Runs `git credential ACTION` with `input` (and the blank line that
/// ends it); its stdout when it succeeded.
fn run(git_dir: &Path, action: &str, input: &str) -> Option<Vec<u8>> {
    let mut child = Command::new("git")
        .args(["credential", action])
        .current_dir(git_dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "true")
        .env_remove("SSH_ASKPASS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()?
        .write_all(format!("{input}\n").as_bytes())
        .ok()?;
    let out = child.wait_with_output().ok()?;
    out.status.success().then_some(out.stdout)
}
