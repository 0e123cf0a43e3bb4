//! Broken and hostile servers, one scripted conversation per parser: a
//! small HTTP server on 127.0.0.1 that relays to the real `git
//! receive-pack`/`upload-pack --stateless-rpc` on a bare repository and
//! replaces one answer with what the test scripts (an endless ref
//! advertisement, an `ERR` line, a bad pkt-line length, a flooded report
//! or side band, a fetch answer that never reaches its pack). mlops must
//! end with exit 4 saying what the server did, under 64 MiB of memory,
//! with the server's text masked; `git push` runs beside it on the same
//! server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::common::{config, words, Env};

/// One HTTP request as the server read it.
pub struct Req {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
}

impl Req {
    /// The service the request is for: `git-receive-pack` or `git-upload-pack`.
    pub fn service(&self) -> &str {
        match self.path.contains("upload-pack") {
            true => "git-upload-pack",
            false => "git-receive-pack",
        }
    }

    pub fn is_listing(&self) -> bool {
        self.method == "GET"
    }
}

type Script = dyn Fn(&Req, &Path) -> Answer + Send + Sync;

/// What the server sends back: a body, or bytes streamed from a closure
/// until it returns `None` (or the client hangs up).
pub enum Answer {
    Body(Vec<u8>),
    Stream(Box<dyn FnMut() -> Option<Vec<u8>>>),
}

/// The scripted server: serves the bare repository `repo` at
/// `http://127.0.0.1:PORT/repo.git`, one request per connection.
pub struct Hostile {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Hostile {
    pub fn start(repo: &Path, script: Box<Script>) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let (repo, flag) = (repo.to_path_buf(), stop.clone());
        let script: Arc<Script> = Arc::from(script);
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (repo, script) = (repo.clone(), script.clone());
                std::thread::spawn(move || serve(conn, &repo, &*script));
            }
        });
        Hostile {
            port,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/repo.git", self.port)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(conn: TcpStream, repo: &Path, script: &Script) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let (mut length, mut chunked) = (0usize, false);
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        body.resize(length, 0);
        let _ = reader.read_exact(&mut body);
    }
    if method == "POST" && body.starts_with(&[0x1f, 0x8b]) {
        let mut plain = Vec::new();
        let mut gz = Command::new("gzip")
            .arg("-dc")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = gz.stdin.take().unwrap();
        let data = body.clone();
        let feeder = std::thread::spawn(move || stdin.write_all(&data));
        gz.stdout.take().unwrap().read_to_end(&mut plain).unwrap();
        let _ = feeder.join();
        let _ = gz.wait();
        body = plain;
    }
    let req = Req { method, path, body };
    let kind = match (req.is_listing(), req.service()) {
        (true, s) => format!("application/x-{s}-advertisement"),
        (false, s) => format!("application/x-{s}-result"),
    };
    let mut out = conn;
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
    );
    if out.write_all(head.as_bytes()).is_err() {
        return;
    }
    match script(&req, repo) {
        Answer::Body(body) => {
            let _ = out.write_all(&body);
        }
        Answer::Stream(mut next) => {
            while let Some(chunk) = next() {
                if out.write_all(&chunk).is_err() {
                    break;
                }
            }
        }
    }
    let _ = out.flush();
}

/// The pkt-line of `data`.
pub fn pkt(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:04x}", data.len() + 4).into_bytes();
    out.extend_from_slice(data);
    out
}

/// What the real git answers `req` on `repo` (`extra`: more arguments,
/// e.g. `--reject-thin-pack-for-testing`), with the `# service=` header
/// before a listing.
pub fn relay(req: &Req, repo: &Path, extra: &[&str]) -> Vec<u8> {
    let service = req.service();
    let mut cmd = Command::new("git");
    cmd.arg(&service[4..]).arg("--stateless-rpc").args(extra);
    if req.is_listing() {
        cmd.arg("--advertise-refs");
    }
    let mut child = cmd
        .arg(repo)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let body = req.body.clone();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    let _ = feeder.join();
    let _ = child.wait();
    if req.is_listing() {
        let mut head = pkt(format!("# service={service}\n").as_bytes());
        head.extend_from_slice(b"0000");
        head.extend(out);
        return head;
    }
    out
}

/// The `# service=` header, then `advertisement`.
pub fn listing(req: &Req, advertisement: &[u8]) -> Vec<u8> {
    let mut out = pkt(format!("# service={}\n", req.service()).as_bytes());
    out.extend_from_slice(b"0000");
    out.extend_from_slice(advertisement);
    out
}

/// A run of mlops with its exit code, stderr and peak memory in KiB
/// (GNU time's `%M`, the kernel's `ru_maxrss` of that one process:
/// measured from the test process itself, a child's figure would count
/// the test's own memory, which it inherits until its exec).
pub struct Ran {
    pub code: i32,
    pub stderr: String,
    pub max_kib: i64,
}

const TIME: &str = "/usr/bin/time";

/// `mlops ARGS` in `work`, measured.
pub fn run_measured(env: &Env, work: &Path, args: &str) -> Ran {
    let report = env.path().join("time.txt");
    let mut cmd = Command::new(TIME);
    cmd.arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(env!("CARGO_BIN_EXE_mlops"))
        .args(words(args))
        .current_dir(work);
    env.apply(&mut cmd);
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let max_kib = text
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .next_back()
        .unwrap_or(0);
    Ran {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        max_kib,
    }
}

/// A checkout of a fresh gitops remote, its origin at `server`; the
/// bare remote and the checkout. `models` more models in test (so a
/// changed tree is sent as a delta).
pub fn checkout(env: &Env, models: usize) -> (PathBuf, PathBuf) {
    let (remote, work) = env.gitops(|seed| {
        for i in 0..models {
            let dir = seed.join(format!("model-deployments/test/extra-{i:03}"));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("config.yaml"), format!("---\nversion: v{i}\n")).unwrap();
        }
    });
    (remote, work)
}

/// `mlops autoscale enable --env test jukebox --yes` in `work`, measured.
pub fn enable(env: &Env, work: &Path) -> Ran {
    run_measured(
        env,
        work,
        "--verbose autoscale enable --env test jukebox --yes",
    )
}

/// `git push origin HEAD:main` of a commit like mlops's, in a clone of
/// `work`'s remote named `name`: git's answer to the same server.
pub fn git_push(env: &Env, work: &Path, url: &str) -> std::process::Output {
    let model = config(work, "test", "jukebox");
    let text = std::fs::read_to_string(&model).unwrap();
    std::fs::write(&model, format!("{text}autoscaling: true\n")).unwrap();
    env.git(work, &["commit", "-qam", "git's change"]);
    let out = env.git_output(work, &["push", url, "HEAD:main"]);
    env.git(work, &["reset", "-q", "--hard", "HEAD~1"]);
    out
}

const MIB: i64 = 1024;

/// The end of a long stderr, for a failure message.
fn short(text: &str) -> String {
    let start = text.len().saturating_sub(3000);
    let start = (start..text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    text[start..].to_string()
}

fn assert_small(ran: &Ran) {
    assert!(ran.max_kib > 0, "{TIME} measured nothing");
    eprintln!("mlops peaked at {} KiB", ran.max_kib);
    assert!(
        ran.max_kib < 64 * MIB,
        "mlops took {} MiB: {}",
        ran.max_kib / MIB,
        short(&ran.stderr)
    );
}

fn no_control(text: &str) {
    assert!(
        !text.contains('\x07') && !text.contains("\x1b]") && !text.contains("\x1b[2J"),
        "control characters reached the terminal: {text:?}"
    );
}

/// 96 MiB of refs (valid lines, each naming another branch), then a flush.
fn endless_refs() -> Answer {
    let mut sent = 0usize;
    let mut first = true;
    Answer::Stream(Box::new(move || {
        if sent > 96 << 20 {
            return None;
        }
        let mut chunk = Vec::new();
        if first {
            chunk = pkt(b"# service=git-receive-pack\n");
            chunk.extend(b"0000");
            chunk.extend(pkt(
                b"1111111111111111111111111111111111111111 refs/heads/main\0report-status side-band-64k\n",
            ));
            first = false;
        }
        for i in 0..10_000 {
            chunk.extend(pkt(format!(
                "1111111111111111111111111111111111111111 refs/heads/flood-{sent}-{i}\n"
            )
            .as_bytes()));
        }
        sent += chunk.len();
        Some(chunk)
    }))
}

#[test]
fn an_endless_ref_advertisement_ends_the_run_in_bounded_memory() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    let server = Hostile::start(
        &remote,
        Box::new(|req, repo| match req.is_listing() {
            true => endless_refs(),
            false => Answer::Body(relay(req, repo, &[])),
        }),
    );
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
    assert!(
        ran.stderr.contains("ref advertisement passed"),
        "{}",
        short(&ran.stderr)
    );
    assert_small(&ran);
    // Nothing was pushed (git has no such limit: it reads on).
    assert_eq!(env.subjects(&remote, "main").len(), 1);
}

#[test]
fn an_err_line_in_the_advertisement_is_the_servers_error() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    let server = Hostile::start(
        &remote,
        Box::new(|req, _| {
            Answer::Body(listing(
                req,
                &pkt(b"ERR access denied: \x1b]0;pwned\x07repository archived\n"),
            ))
        }),
    );
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let git = git_push(&env, &work, &server.url());
    let git_err = String::from_utf8_lossy(&git.stderr);
    assert!(!git.status.success());
    assert!(git_err.contains("remote error: access denied"), "{git_err}");
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
    assert!(
        ran.stderr
            .contains("remote error: access denied: ^[]0;pwned^Grepository archived"),
        "{}",
        short(&ran.stderr)
    );
    assert!(!ran.stderr.contains("malformed"), "{}", short(&ran.stderr));
    no_control(&ran.stderr);
}

#[test]
fn pkt_line_lengths_git_refuses_are_refused() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    for head in ["+fff", "0002", "0003", "fff1", " 1a0"] {
        let head = head.to_string();
        let server = Hostile::start(
            &remote,
            Box::new(move |req, _| {
                let mut bad = head.as_bytes().to_vec();
                bad.extend(vec![b'1'; 5000]);
                Answer::Body(listing(req, &bad))
            }),
        );
        let git = git_push(&env, &work, &server.url());
        let git_err = String::from_utf8_lossy(&git.stderr).into_owned();
        assert!(!git.status.success(), "{git_err}");
        env.git(&work, &["remote", "set-url", "origin", &server.url()]);
        let ran = enable(&env, &work);
        assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
        assert!(ran.stderr.contains("pkt-line"), "{}", short(&ran.stderr));
        assert_eq!(env.subjects(&remote, "main").len(), 1);
    }
}

/// The real answer to a push, after `before` (pkt-lines of the side band).
fn push_answer_after(before: Vec<u8>) -> Box<Script> {
    Box::new(move |req, repo| match req.is_listing() {
        true => Answer::Body(relay(req, repo, &[])),
        false => {
            let mut out = before.clone();
            out.extend(relay(req, repo, &[]));
            Answer::Body(out)
        }
    })
}

#[test]
fn remote_lines_are_masked() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    let server = Hostile::start(
        &remote,
        push_answer_after(pkt(
            b"\x02\x1b]0;pwned\x07Create a \x1b[1mpull request\x1b[m\x1b[2J\n",
        )),
    );
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 0, "{}", short(&ran.stderr));
    assert!(
        ran.stderr
            .contains("remote: ^[]0;pwned^GCreate a \x1b[1mpull request\x1b[m^[[2J"),
        "{:?}",
        short(&ran.stderr)
    );
    no_control(&ran.stderr);
}

#[test]
fn a_flooded_side_band_ends_the_run_in_bounded_memory() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    let server = Hostile::start(
        &remote,
        Box::new(|req, repo| match req.is_listing() {
            true => Answer::Body(relay(req, repo, &[])),
            false => {
                let mut sent = 0usize;
                let line = pkt(&[&[2u8][..], &[b'x'; 65000][..]].concat());
                Answer::Stream(Box::new(move || {
                    sent += 1;
                    (sent < 1600).then(|| line.repeat(16))
                }))
            }
        }),
    );
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
    assert!(
        ran.stderr.contains("messages passed 16 MiB"),
        "{}",
        short(&ran.stderr)
    );
    assert_small(&ran);
}

#[test]
fn a_flooded_report_ends_the_run_in_bounded_memory() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    let server = Hostile::start(
        &remote,
        Box::new(|req, repo| match req.is_listing() {
            true => Answer::Body(relay(req, repo, &[])),
            false => {
                let mut sent = 0usize;
                let mut report = pkt(b"unpack ok\n");
                for i in 0..1000 {
                    report.extend(pkt(format!("ok refs/heads/x{i:060}\n").as_bytes()));
                }
                let band = pkt(&[&[1u8][..], &report[..60000]].concat());
                Answer::Stream(Box::new(move || {
                    sent += 1;
                    (sent < 1600).then(|| band.repeat(16))
                }))
            }
        }),
    );
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
    assert!(
        ran.stderr.contains("report passed 1 MiB"),
        "{}",
        short(&ran.stderr)
    );
    assert_small(&ran);
}

#[test]
fn an_ng_reason_is_masked() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    let server = Hostile::start(
        &remote,
        Box::new(|req, repo| match req.is_listing() {
            true => Answer::Body(relay(req, repo, &[])),
            false => {
                let mut report = pkt(b"unpack ok\n");
                report.extend(pkt(b"ng refs/heads/main hook \x1b]0;pwned\x07declined\n"));
                report.extend(b"0000");
                let mut out = pkt(&[&[1u8][..], &report[..]].concat());
                out.extend(b"0000");
                Answer::Body(out)
            }
        }),
    );
    let git = git_push(&env, &work, &server.url());
    assert!(!git.status.success());
    assert!(String::from_utf8_lossy(&git.stderr).contains("[remote rejected]"));
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
    assert!(
        ran.stderr.contains("hook ^[]0;pwned^Gdeclined"),
        "{:?}",
        short(&ran.stderr)
    );
    no_control(&ran.stderr);
}

/// A receive-pack that says `no-thin` and means it (git's own
/// `--reject-thin-pack-for-testing`, which git 2.39 lacks): the pack is
/// indexed without `--fix-thin` first, and a thin one is refused as
/// receive-pack refuses it (`unpack index-pack abnormal exit`).
fn refusing_thin(req: &Req, repo: &Path) -> Answer {
    if req.is_listing() {
        // The service header, then the first ref line: `no-thin` joins
        // its capabilities (after the NUL), and its length is made anew.
        let real = relay(req, repo, &[]);
        let header = real.windows(4).position(|w| w == b"0000").unwrap() + 4;
        let rest = &real[header..];
        let len = usize::from_str_radix(std::str::from_utf8(&rest[..4]).unwrap(), 16).unwrap();
        let first = &rest[4..len];
        let nul = first.iter().position(|b| *b == 0).unwrap();
        let mut out = real[..header].to_vec();
        out.extend(pkt(
            &[&first[..=nul], b"no-thin ", &first[nul + 1..]].concat()
        ));
        out.extend_from_slice(&rest[len..]);
        return Answer::Body(out);
    }
    let pack = &req.body[req.body.windows(4).position(|w| w == b"PACK").unwrap()..];
    let scratch = tempfile::tempdir().unwrap();
    let scratch_repo = scratch.path().join("scratch.git");
    Command::new("git")
        .args(["init", "-q", "--bare"])
        .arg(&scratch_repo)
        .status()
        .unwrap();
    let mut index = Command::new("git")
        .args(["index-pack", "--stdin"])
        .current_dir(&scratch_repo)
        .env("GIT_DIR", &scratch_repo)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    index.stdin.take().unwrap().write_all(pack).unwrap();
    if index.wait().unwrap().success() {
        return Answer::Body(relay(req, repo, &[]));
    }
    let mut report = pkt(b"unpack index-pack abnormal exit\n");
    report.extend(pkt(b"ng refs/heads/main unpacker error\n"));
    report.extend(b"0000");
    let mut out = pkt(&[&[1u8][..], &report[..]].concat());
    out.extend(b"0000");
    Answer::Body(out)
}

#[test]
fn a_server_that_refuses_thin_packs_gets_whole_objects() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 60);
    let server = Hostile::start(&remote, Box::new(refusing_thin));
    let git = git_push(&env, &work, &server.url());
    assert!(
        git.status.success(),
        "{}",
        String::from_utf8_lossy(&git.stderr)
    );
    env.git(&remote, &["update-ref", "refs/heads/main", "main~1"]);
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 0, "{}", short(&ran.stderr));
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Enable autoscaling for jukebox in test"
    );
}

#[test]
fn a_fetch_answer_without_a_pack_ends_the_run() {
    let env = Env::new();
    let (remote, work) = checkout(&env, 0);
    // The remote moves on: the checkout is behind and fetches.
    let other = env.clone_of(&remote, "other");
    std::fs::write(other.join("NOTES.md"), "moved\n").unwrap();
    env.git(&other, &["add", "NOTES.md"]);
    env.git(&other, &["commit", "-qm", "Moved on"]);
    env.git(&other, &["push", "-q", "origin", "main"]);
    let server = Hostile::start(
        &remote,
        Box::new(|req, repo| match (req.is_listing(), req.service()) {
            (false, "git-upload-pack") => {
                let mut sent = 0usize;
                let line = pkt(b"shallow 1111111111111111111111111111111111111111\n");
                Answer::Stream(Box::new(move || {
                    sent += 1;
                    (sent < 100).then(|| line.repeat(1000))
                }))
            }
            _ => Answer::Body(relay(req, repo, &[])),
        }),
    );
    env.git(&work, &["remote", "set-url", "origin", &server.url()]);
    let ran = enable(&env, &work);
    assert_eq!(ran.code, 4, "{}", short(&ran.stderr));
    // mlops's own fetch stops, and says why (--verbose); libgit2's fetch,
    // tried next, fails too.
    assert!(
        ran.stderr
            .contains("the remote sent more than 10000 lines before the pack"),
        "{}",
        short(&ran.stderr)
    );
    assert_small(&ran);
}

#[test]
fn ssh_stderr_is_masked() {
    let env = Env::new();
    let (_remote, work) = checkout(&env, 0);
    // The ssh program: refuses with a message carrying control characters.
    let ssh = env.path().join("ssh.sh");
    std::fs::write(
        &ssh,
        "#!/bin/sh\nprintf 'Permission denied \\033]0;pwned\\007(publickey)\\033[2J\\n' >&2\nexit 255\n",
    )
    .unwrap();
    crate::clone::make_executable(&ssh);
    env.git(
        &work,
        &[
            "remote",
            "set-url",
            "origin",
            "ssh://git@127.0.0.1/repo.git",
        ],
    );
    let mut git = Command::new("git");
    git.args(["push", "origin", "HEAD:main"]).current_dir(&work);
    env.apply(&mut git);
    let git = git.env("GIT_SSH_COMMAND", &ssh).output().unwrap();
    assert!(!git.status.success());
    let mut cmd = env.mlops(&work);
    let out = cmd
        .env("GIT_SSH_COMMAND", &ssh)
        .args(words("autoscale enable --env test jukebox --yes"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("Permission denied ^[]0;pwned^G(publickey)^[[2J"),
        "{stderr:?}"
    );
    no_control(&stderr);
}
