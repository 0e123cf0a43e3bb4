//! A client key's passphrase, asked as git asks it when
//! `http.sslCertPasswordProtected` (or the proxy's) says the key has one:
//! a credential with protocol `cert`, an empty host and user, and the
//! certificate's path, filled by `git credential fill` itself (the
//! helpers, then the askpass program, then the terminal: git's prompt
//! `Password for 'cert:///PATH': `). Asked once a run per certificate,
//! kept in the run (src/git/run.rs), never shown.
//!
//! Not done as git: git tells the helpers afterwards whether the
//! passphrase worked (`approve`/`reject`); mlops does not, so a `store`
//! or `cache` helper is not filled with it by mlops.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The passphrase of the key that goes with `cert`, asked from `git_dir`
/// (its credential helpers); `None` when nobody gave one.
pub(crate) fn of(cert: &Path, git_dir: Option<&Path>) -> Option<String> {
    let known = crate::git::run::run()
        .passphrases
        .lock()
        .ok()
        .and_then(|k| k.iter().find(|(c, _)| c == cert).map(|(_, p)| p.clone()));
    if known.is_some() {
        return known;
    }
    let asked = ask(cert, git_dir)?;
    if let Ok(mut known) = crate::git::run::run().passphrases.lock() {
        known.push((PathBuf::from(cert), asked.clone()));
    }
    Some(asked)
}

/// `git credential fill` for the certificate: its `password=` line.
fn ask(cert: &Path, git_dir: Option<&Path>) -> Option<String> {
    let mut git = Command::new("git");
    if let Some(dir) = git_dir {
        git.current_dir(dir);
    }
    let mut child = git
        .args(["credential", "fill"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let input = format!(
        "protocol=cert\nhost=\nusername=\npath={}\n\n",
        cert.display()
    );
    child.stdin.take()?.write_all(input.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout)
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("password=").map(str::to_string))
}
