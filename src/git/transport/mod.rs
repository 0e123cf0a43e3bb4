//! Reaching remotes the way `git push` does: a libgit2 smart subtransport
//! that runs a program and speaks the git protocol over its stdin/stdout.
//!
//! - A path or `file://` remote runs `git upload-pack PATH` /
//!   `git receive-pack PATH` ([`local`]), as git does, so the remote's
//!   hooks run, their output comes back as `remote:` lines, and the ref
//!   moves under the remote's lock only from the value we saw. (libgit2's
//!   own local transport writes objects and moves the ref itself.)
//! - `ssh://` and scp-like `host:path` remotes run the OpenSSH client (or
//!   `GIT_SSH_COMMAND`, `core.sshCommand`, `GIT_SSH`) with
//!   `git-upload-pack 'PATH'` as the remote command ([`ssh`]), so
//!   `~/.ssh/config`, ProxyJump, agents and certificates all work.
//!
//! The protocol is stateful (`rpc = false`): the process started for the
//! advertisement (`*Ls`) also serves the fetch or push that follows.
//! A program that fails is reported with its own words (stderr, scrubbed)
//! through [`failure`], not as a libgit2 "early EOF".

pub(crate) mod early;
pub(crate) mod local;
pub(crate) mod mux;
mod shell;
pub(crate) mod ssh;
mod ssh_config;
mod stream;

use std::io::{self, Read, Write};
use std::process::Command;
use std::sync::Once;

use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream, Transport};

use super::fail::Failure;
pub(crate) use early::{
    forget as forget_early, leave_upload_pack, receive_pack, start_receive_pack, upload_pack,
};
use stream::Stream;

/// What the transport needs from the repository and the command line,
/// set by [`prepare`] before each network operation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    /// `core.sshCommand` from git config.
    pub ssh_command: Option<String>,
    /// `ssh.variant` from git config.
    pub ssh_variant: Option<String>,
    /// `--quiet`: no `remote:` lines.
    pub quiet: bool,
    /// Shows the `remote:` lines.
    pub renderer: super::progress::Renderer,
}

/// Registers the transport for `file://` and the SSH schemes, and the
/// HTTP client for `http://` and `https://` (src/git/http/, stateless),
/// the first time a network operation is prepared ([`prepare`]): every
/// connection mlops makes goes through a `Session`, so no command can
/// forget it.
fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for scheme in ["file", "ssh", "ssh+git", "git+ssh"] {
            // SAFETY: runs once, before the first transport is created, on
            // the thread that makes all of mlops's connections (git2's
            // requirement: no transport is being created meanwhile).
            let _ = unsafe {
                git2::transport::register(scheme, |remote| Transport::smart(remote, false, Exec))
            };
        }
        for scheme in ["http", "https"] {
            // SAFETY: as above.
            let _ = unsafe {
                git2::transport::register(scheme, |remote| {
                    let name = remote.name().ok().flatten().map(str::to_string);
                    Transport::smart(remote, true, super::http::subtransport::Curl::new(name))
                })
            };
        }
    });
}

/// Records the repository's settings for the connections that follow
/// (and registers the transport, the first time).
pub(crate) fn prepare(settings: Settings) {
    register();
    if let Ok(mut guard) = super::run::run().transport.lock() {
        *guard = Some(settings);
    }
}

fn settings() -> Settings {
    super::run::run()
        .transport
        .lock()
        .ok()
        .and_then(|g| g.clone())
        .unwrap_or_default()
}

/// Why the last connection failed, in the program's own words, when a
/// program of ours failed (taken: asked once per failure).
pub(crate) fn failure(url: &str) -> Option<Failure> {
    let ended = super::run::run().last_program.lock().ok()?.take()?;
    Some(match ended.program.as_str() {
        "ssh" => ssh::classify(url, &ended),
        _ => Failure::Other(ended.summary()),
    })
}

fn record(ended: Ended) {
    if let Ok(mut last) = super::run::run().last_program.lock() {
        *last = Some(ended);
    }
}

/// A program run for one connection, and how it ended.
#[derive(Debug, Clone)]
pub(crate) struct Ended {
    /// `git` or `ssh` (the word shown to the user).
    pub program: String,
    /// "exit status 255", "killed by signal 9", or why it could not start.
    pub status: String,
    /// Everything it wrote on stderr (scrubbed).
    pub stderr: String,
    /// False when it could not be started (`status` says why).
    pub started: bool,
}

impl Ended {
    /// The lines of stderr worth showing: no `-v` chatter (`debug1:`, the
    /// version banner), no blanks, no repeats.
    pub fn lines(&self) -> Vec<&str> {
        let mut shown: Vec<&str> = Vec::new();
        for line in self.stderr.lines().map(str::trim) {
            let chatter = line.starts_with("debug") || line.starts_with("OpenSSH_");
            if !line.is_empty() && !chatter && !shown.contains(&line) {
                shown.push(line);
            }
        }
        shown
    }

    pub fn summary(&self) -> String {
        if !self.started {
            return self.status.clone();
        }
        let lines = self.lines();
        match lines.is_empty() {
            true => format!("{} failed ({})", self.program, self.status),
            false => format!(
                "{} failed ({}): {}",
                self.program,
                self.status,
                lines.join("; ")
            ),
        }
    }
}

/// A command to run for one connection.
pub(crate) struct Program {
    pub command: Command,
    /// `git` or `ssh`, for messages.
    pub name: &'static str,
    /// A file the program reads while it runs (ssh's `-F` configuration).
    pub keep: Option<tempfile::TempPath>,
    /// How to install it, when it is missing.
    pub missing: &'static str,
}

/// The subtransport: one program per connection.
struct Exec;

impl SmartSubtransport for Exec {
    fn action(
        &self,
        url: &str,
        action: Service,
    ) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        if let Ok(mut last) = super::run::run().last_program.lock() {
            *last = None;
        }
        let (service, push) = match action {
            Service::UploadPackLs | Service::UploadPack => ("git-upload-pack", false),
            Service::ReceivePackLs | Service::ReceivePack => ("git-receive-pack", true),
        };
        let program = match local::path(url) {
            Some(path) => local::program(&path, service),
            None => ssh::program(url, service, &settings()).map_err(|e| net_error(&e))?,
        };
        Stream::start(program, push).map(|s| Box::new(s) as Box<dyn SmartSubtransportStream>)
    }

    fn close(&self) -> Result<(), git2::Error> {
        Ok(())
    }
}

/// Whether `url` is reached through a program of ours (a path,
/// `file://`, SSH) rather than libgit2's HTTP client.
pub(crate) fn is_program(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    if local::path(url).is_some()
        || ["ssh://", "ssh+git://", "git+ssh://"]
            .iter()
            .any(|s| lower.starts_with(s))
    {
        return true;
    }
    // scp-like `host:path` (local::path took the paths).
    !url.contains("://") && url.contains(':')
}

/// Starts the program for `service` at `url`; the last failure recorded
/// is forgotten (this one's will be what is explained).
fn spawn(url: &str, service: &str) -> Result<Conversation, git2::Error> {
    if let Ok(mut last) = super::run::run().last_program.lock() {
        *last = None;
    }
    start(url, service)
}

/// [`spawn`] without forgetting the last failure, for a program started
/// on another thread.
fn start(url: &str, service: &str) -> Result<Conversation, git2::Error> {
    let program = match local::path(url) {
        Some(path) => local::program(&path, service),
        None => ssh::program(url, service, &settings()).map_err(|e| net_error(&e))?,
    };
    Stream::start(program, service == "git-receive-pack").map(Conversation)
}

/// See [`receive_pack`]: the program's stdin and stdout.
pub(crate) struct Conversation(Stream);

impl Read for Conversation {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Conversation {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

fn net_error(message: &str) -> git2::Error {
    git2::Error::new(
        git2::ErrorCode::GenericError,
        git2::ErrorClass::Net,
        message,
    )
}
