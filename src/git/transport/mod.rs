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

pub(crate) mod local;
pub(crate) mod mux;
pub(crate) mod ssh;

use std::io::{self, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, Once};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream, Transport};

use super::fail::Failure;
use super::progress::{Event, Feedback};
use super::url::scrub;

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
}

static SETTINGS: Mutex<Option<Settings>> = Mutex::new(None);

/// How the last program that failed mid-conversation ended (cleared when
/// the next one starts), for [`failure`].
static LAST: Mutex<Option<Ended>> = Mutex::new(None);

/// Registers the transport for `file://` and the SSH schemes, the first
/// time a network operation is prepared ([`prepare`]): every connection
/// mlops makes goes through a `Session`, so no command can forget it.
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
    });
}

/// Records the repository's settings for the connections that follow
/// (and registers the transport, the first time).
pub(crate) fn prepare(settings: Settings) {
    register();
    if let Ok(mut guard) = SETTINGS.lock() {
        *guard = Some(settings);
    }
}

fn settings() -> Settings {
    SETTINGS
        .lock()
        .ok()
        .and_then(|g| g.clone())
        .unwrap_or_default()
}

/// Why the last connection failed, in the program's own words, when a
/// program of ours failed (taken: asked once per failure).
pub(crate) fn failure(url: &str) -> Option<Failure> {
    let ended = LAST.lock().ok()?.take()?;
    Some(match ended.program.as_str() {
        "ssh" => ssh::classify(url, &ended),
        _ => Failure::Other(ended.summary()),
    })
}

fn record(ended: Ended) {
    if let Ok(mut last) = LAST.lock() {
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
        if let Ok(mut last) = LAST.lock() {
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

/// A receive-pack program started ahead ([`start_receive_pack`]): its
/// URL and the conversation, whose advertisement nobody has read yet.
static EARLY: Mutex<Option<(String, Conversation)>> = Mutex::new(None);

/// Starts the receive-pack program for `url` now, so that its connection
/// (an ssh handshake: most of an SSH run) is made while mlops works on the
/// change; the next [`receive_pack`] for `url` takes it. False when it
/// could not be started (the later call starts it again and reports why).
pub(crate) fn start_receive_pack(url: &str) -> bool {
    let Ok(started) = spawn_receive_pack(url) else {
        return false;
    };
    match EARLY.lock() {
        Ok(mut early) => {
            *early = Some((url.to_string(), started));
            true
        }
        Err(_) => false,
    }
}

/// Ends a program started ahead that nobody took (the run stopped
/// before it pushed): its stdin is closed, it is waited for.
pub(crate) fn forget_early() {
    let taken = EARLY.lock().ok().and_then(|mut e| e.take());
    drop(taken);
}

/// A `git receive-pack` conversation of mlops's own with the remote at
/// `url` (a path, `file://` or SSH): the same program the libgit2
/// transport would run (src/git/push.rs speaks the protocol); the one
/// started ahead for `url`, if any.
pub(crate) fn receive_pack(url: &str) -> Result<Conversation, git2::Error> {
    let early = EARLY.lock().ok().and_then(|mut e| e.take());
    match early {
        Some((started_for, conversation)) if started_for == url => Ok(conversation),
        _ => spawn_receive_pack(url),
    }
}

fn spawn_receive_pack(url: &str) -> Result<Conversation, git2::Error> {
    spawn(url, "git-receive-pack")
}

/// A `git upload-pack` conversation of mlops's own with the remote at
/// `url` (a path, `file://` or SSH), for src/git/fetch.rs.
pub(crate) fn upload_pack(url: &str) -> Result<Conversation, git2::Error> {
    spawn(url, "git-upload-pack")
}

fn spawn(url: &str, service: &str) -> Result<Conversation, git2::Error> {
    if let Ok(mut last) = LAST.lock() {
        *last = None;
    }
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

/// The running program: its stdin and stdout are the connection; its
/// stderr is collected by a thread, to explain a failure.
struct Stream {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    stderr: Option<Collector>,
    name: &'static str,
    _keep: Option<tempfile::TempPath>,
    /// A push: what the remote says after its report (`post-receive`) is
    /// still read and shown before the program is left.
    push: bool,
    /// Set once the program was waited for: `Err` with its message when it
    /// failed.
    ended: Option<Result<(), String>>,
}

impl Stream {
    fn start(mut program: Program, push: bool) -> Result<Stream, git2::Error> {
        let spawned = program
            .command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                let status = match e.kind() {
                    io::ErrorKind::NotFound => {
                        format!(
                            "{} is not installed or not on PATH; {}",
                            program.name, program.missing
                        )
                    }
                    _ => format!("could not start {}: {e}", program.name),
                };
                let ended = Ended {
                    program: program.name.to_string(),
                    status: status.clone(),
                    stderr: String::new(),
                    started: false,
                };
                record(ended);
                return Err(net_error(&status));
            }
        };
        let (Some(stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(net_error("internal: no pipes to the child process"));
        };
        let text = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&text);
        let thread = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = stderr.read(&mut chunk) {
                if let Ok(mut text) = sink.lock() {
                    text.extend_from_slice(&chunk[..n]);
                }
            }
        });
        let collector = Collector { thread, text };
        Ok(Stream {
            child,
            stdin: Some(stdin),
            stdout,
            stderr: Some(collector),
            name: program.name,
            _keep: program.keep,
            push,
            ended: None,
        })
    }

    /// Closes stdin, waits for the program and collects its stderr.
    /// `record` keeps a failure for [`failure`]: only when libgit2 was still
    /// talking to it (a failure while leaving is no failure of ours).
    fn end(&mut self, record_failure: bool) -> io::Result<()> {
        if self.ended.is_none() {
            self.stdin = None;
            // Whatever it still writes is read away, so it cannot block
            // on a full pipe while we wait for it.
            let _ = io::copy(&mut self.stdout, &mut io::sink());
            let status = self.child.wait();
            let stderr = self
                .stderr
                .take()
                .map(Collector::finish)
                .unwrap_or_default();
            let outcome = match status {
                Ok(s) if s.success() => Ok(()),
                Ok(s) => {
                    let ended = Ended {
                        program: self.name.to_string(),
                        status: describe(s),
                        stderr: scrub(&String::from_utf8_lossy(&stderr)),
                        started: true,
                    };
                    let summary = ended.summary();
                    if record_failure {
                        record(ended);
                    }
                    Err(summary)
                }
                Err(e) => Err(format!("could not wait for {}: {e}", self.name)),
            };
            self.ended = Some(outcome);
        }
        match &self.ended {
            Some(Err(message)) => Err(io::Error::other(message.clone())),
            _ => Ok(()),
        }
    }
}

/// What a program writes on stderr, gathered by a thread.
struct Collector {
    thread: JoinHandle<()>,
    text: Arc<Mutex<Vec<u8>>>,
}

impl Collector {
    /// The text, once the program has ended. A process it left behind
    /// can hold the pipe open long after: an ssh `ControlPersist` master
    /// of the user's, started with `-v`, keeps its stderr. So the pipe's
    /// end is awaited only briefly, and what came until then is taken.
    fn finish(self) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_millis(300);
        while !self.thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let text = self.text.lock().map(|t| t.clone()).unwrap_or_default();
        text
    }
}

fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => status.to_string(),
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.stdout.read(buf) {
            // The program closed its output: fine if it succeeded.
            Ok(0) => self.end(true).map(|()| 0),
            Ok(n) => Ok(n),
            Err(e) => Err(self.end(true).err().unwrap_or(e)),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(io::Error::other(format!("{} has ended", self.name)));
        };
        match stdin.write(buf) {
            Ok(n) => Ok(n),
            Err(e) => Err(self.end(true).err().unwrap_or(e)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.stdin.as_mut() {
            Some(stdin) => stdin.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for Stream {
    /// Leaves the program as git does: stdin closed, the rest of its output
    /// read (a push's `post-receive` messages are shown), then waited for,
    /// so hooks finish before mlops goes on.
    fn drop(&mut self) {
        self.stdin = None;
        let mut rest = Vec::new();
        let _ = self.stdout.read_to_end(&mut rest);
        if self.push {
            show_sideband(&rest, settings().quiet);
        }
        let _ = self.end(false);
    }
}

/// Shows the progress band (2) of pkt-lines as `remote:` lines.
fn show_sideband(mut data: &[u8], quiet: bool) {
    let mut feedback = Feedback::new(quiet);
    while data.len() >= 4 {
        let Some(len) = std::str::from_utf8(&data[..4])
            .ok()
            .and_then(|h| usize::from_str_radix(h, 16).ok())
        else {
            return;
        };
        // flush-pkt and friends carry no payload.
        let len = len.max(4);
        if len > data.len() {
            return;
        }
        if data.get(4) == Some(&2) {
            feedback.event(Event::Remote(&data[5..len]));
        }
        data = &data[len..];
    }
}
