//! One SSH connection per run: OpenSSH's connection sharing
//! (`ControlMaster`), for a run that must fetch before it pushes.
//!
//! Why: a checkout behind its remote lists on the push service (the
//! `git-receive-pack` session, kept for the push), then fetches over a
//! `git-upload-pack` session. Each new ssh connection is a TCP handshake,
//! a key exchange and an authentication: about 8 round trips, and on the
//! benchmark's machine 0.5 s of CPU on both ends, where a second session
//! over the same connection took 0.21 s on loopback (measured with the
//! benchmark's sshd, OpenSSH 9.2). git itself makes a new connection per
//! command; people who want sharing configure it, so a `ControlMaster` or
//! `ControlPath` of the user's (asked with `ssh -G`, which git runs too to
//! tell OpenSSH from other programs, when their files mention sharing at
//! all: [`super::ssh_config`]) is left alone.
//!
//! The shape avoids a wait on each other: only the receive-pack session
//! may become the master (`ControlMaster=auto`), the upload-pack session
//! only joins it (`ControlMaster=no`: without a socket it connects on its
//! own). A master waits for the sessions that joined it before it exits,
//! and a run's fetch always ends before the push session it joined.
//! `ControlPersist=no`: the master is the first ssh itself, so nothing
//! outlives the run. The socket lives in a folder of the run's own (mode
//! 0700), removed when the run ends or is interrupted.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::ssh::Address;

/// The run's connection sharing (kept in the run, src/git/run.rs).
pub(crate) struct Shared {
    /// The run's socket folder, made when the first ssh is started.
    folder: Option<tempfile::TempDir>,
    /// Per ssh command line and host: whether mlops may share the
    /// connection (the user configured no sharing of their own). Asked
    /// once per run.
    asked: Vec<(String, bool)>,
}

impl Shared {
    pub(crate) const fn new() -> Shared {
        Shared {
            folder: None,
            asked: Vec::new(),
        }
    }
}

fn shared() -> std::sync::MutexGuard<'static, Shared> {
    let run = crate::git::run::run();
    run.mux.lock().unwrap_or_else(|e| e.into_inner())
}

thread_local! {
    /// Set while [`ahead`] starts a session nobody may need yet.
    static AHEAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Starts (with `start`) a session joining the master ahead of need.
/// A server may allow one session per connection (sshd's `MaxSessions
/// 1`): the master then refuses this one, and ssh, instead of failing,
/// would make a connection of its own, which an up-to-date run never
/// uses. So this one's fallback is a `ProxyCommand` that fails at once:
/// the session joins the master or ends, and a fetch that needs it makes
/// its own connection later, as git would.
pub(crate) fn ahead<T>(start: impl FnOnce() -> T) -> T {
    AHEAD.with(|a| a.set(true));
    let started = start();
    AHEAD.with(|a| a.set(false));
    started
}

/// `ControlPath` is a socket path: at most 104 bytes on some systems
/// (108 on Linux), and ssh adds `.` and 16 random characters while
/// making it; `%C` is 40.
const SOCKET_ROOM: usize = 104 - 40 - 17 - 1;

/// The options that share one connection among the run's ssh sessions
/// to one host, for `service`; none when the user shares connections
/// already (`users_sharing`: `Some(false)` when surely not), ssh can't
/// say (not OpenSSH), or `MLOPS_SSH_SHARE=0`.
pub(crate) fn options(
    line: &str,
    address: &Address,
    service: &str,
    users_sharing: impl FnOnce() -> Option<bool>,
) -> Vec<OsString> {
    if std::env::var_os("MLOPS_SSH_SHARE").is_some_and(|v| v == "0") {
        return Vec::new();
    }
    let key = format!(
        "{line}\0{}\0{}",
        address.host,
        address.port.as_deref().unwrap_or("")
    );
    let known = (shared().asked.iter())
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v);
    let ours = known.unwrap_or_else(|| {
        let ours = users_sharing() == Some(false);
        shared().asked.push((key, ours));
        ours
    });
    let Some(folder) = ours.then(folder).flatten() else {
        return Vec::new();
    };
    let master = if service == "git-receive-pack" {
        "auto"
    } else {
        "no"
    };
    let mut options = vec![
        format!("ControlMaster={master}"),
        format!("ControlPath={}/%C", folder.display()),
        "ControlPersist=no".to_string(),
    ];
    if master == "no" && AHEAD.with(|a| a.get()) {
        options.push("ProxyCommand=false".to_string());
    }
    options
        .into_iter()
        .flat_map(|o| [OsString::from("-o"), OsString::from(o)])
        .collect()
}

/// Whether the user's configuration for this host shares connections
/// itself, as `ssh -G` (`probe`) says: `Some(true)` or `Some(false)`,
/// `None` when it failed.
pub(crate) fn users_own(mut probe: Command) -> Option<bool> {
    let out = probe
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(str::trim).map(str::to_string))
    };
    let master = value("controlmaster ")?;
    let path = value("controlpath ");
    Some(master != "false" || path.is_some_and(|p| p != "none"))
}

/// The run's socket folder (made now if needed), when its path is short
/// and plain enough to be a `ControlPath`.
fn folder() -> Option<PathBuf> {
    let mut shared = shared();
    if shared.folder.is_none() {
        let made = crate::interrupt::scratch_dir("mlops-ssh-").ok()?;
        shared.folder = Some(made);
    }
    usable(shared.folder.as_ref()?.path())
}

/// The socket folder, when this run's ssh sessions share a connection
/// (the receive-pack session's ssh is its master).
pub(crate) fn shared_folder() -> Option<PathBuf> {
    usable(shared().folder.as_ref()?.path())
}

fn usable(path: &std::path::Path) -> Option<PathBuf> {
    let text = path.to_str()?;
    let plain = !text.contains(['"', '%', '\'', '\\']) && !text.contains(char::is_whitespace);
    (plain && text.len() <= SOCKET_ROOM).then(|| path.to_path_buf())
}

/// Removes the socket folder: the run's ssh sessions have ended.
pub(crate) fn finish() {
    let taken = shared().folder.take();
    if let Some(folder) = taken {
        crate::interrupt::forget(folder.path());
    }
}
