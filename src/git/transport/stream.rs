//! One program run for one connection: its stdin and stdout are the
//! conversation, its stderr is kept to explain a failure, and leaving it
//! is done as git does (stdin closed, the rest of its output read, a
//! push's `remote:` lines shown, the program waited for).

use std::io::{self, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::super::progress::Event;
use super::super::url::scrub;
use super::{net_error, record, settings, Ended, Program};

/// The running program: its stdin and stdout are the connection; its
/// stderr is collected by a thread, to explain a failure.
pub(super) struct Stream {
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
    pub(super) fn start(mut program: Program, push: bool) -> Result<Stream, git2::Error> {
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
        let text = Arc::new(Mutex::new(Kept::default()));
        let sink = Arc::clone(&text);
        let thread = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = stderr.read(&mut chunk) {
                if let Ok(mut text) = sink.lock() {
                    text.push(&chunk[..n]);
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
            if self.push {
                // Its ssh may be the master of a session started ahead,
                // which it waits for before it exits.
                super::early::settle();
            }
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
                        stderr: scrub(&crate::git::mask::mask(&stderr)),
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
    text: Arc<Mutex<Kept>>,
}

/// The most of a program's stderr kept: its start and its end. The
/// remote side writes there through ssh, so a server could send without
/// end; everything is still read (the program must not block on a full
/// pipe), the middle is left out.
const KEPT: usize = 32 << 10;

/// The first and the last [`KEPT`] bytes of a stream, and how many
/// between them were left out.
#[derive(Default)]
struct Kept {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    left_out: u64,
}

impl Kept {
    fn push(&mut self, mut data: &[u8]) {
        let room = KEPT - self.head.len();
        let first = data.len().min(room);
        self.head.extend_from_slice(&data[..first]);
        data = &data[first..];
        self.tail.extend(data);
        while self.tail.len() > KEPT {
            let over = self.tail.len() - KEPT;
            self.tail.drain(..over);
            self.left_out += over as u64;
        }
    }

    /// The bytes kept, the middle marked when some were left out.
    fn text(&self) -> Vec<u8> {
        let mut out = self.head.clone();
        if self.left_out > 0 {
            out.extend_from_slice(format!("\n[{} bytes left out]\n", self.left_out).as_bytes());
        }
        out.extend(self.tail.iter());
        out
    }
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
        let text = self.text.lock().map(|t| t.text()).unwrap_or_default();
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
        let _ = (&mut self.stdout).take(16 << 20).read_to_end(&mut rest);
        if self.push {
            let settings = settings();
            let mut shown = settings.renderer.start(settings.quiet);
            show_sideband(&rest, &mut *shown);
        }
        let _ = self.end(false);
    }
}

/// Shows the progress band (2) of pkt-lines as `remote:` lines.
fn show_sideband(mut data: &[u8], feedback: &mut dyn super::super::progress::Progress) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endless_stderr_keeps_its_start_and_end() {
        let mut kept = Kept::default();
        kept.push(b"ssh: first words\n");
        for _ in 0..10_000 {
            kept.push(&[b'x'; 1000]);
        }
        kept.push(b"\nfatal: last words\n");
        let text = kept.text();
        assert!(text.len() < 2 * KEPT + 64, "{}", text.len());
        assert!(text.starts_with(b"ssh: first words\n"));
        assert!(text.ends_with(b"fatal: last words\n"));
        let shown = String::from_utf8_lossy(&text);
        assert!(shown.contains("bytes left out]"), "{}", &shown[..100]);
        let mut short = Kept::default();
        short.push(b"fatal: no\n");
        assert_eq!(short.text(), b"fatal: no\n");
    }
}
