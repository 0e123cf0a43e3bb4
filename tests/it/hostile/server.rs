//! The scripted server of the hostile-server tests: HTTP on 127.0.0.1,
//! relaying to the real `git receive-pack`/`upload-pack --stateless-rpc`
//! unless a test's script answers otherwise, and a run of mlops with its
//! peak memory measured.

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

pub type Script = dyn Fn(&Req, &Path) -> Answer + Send + Sync;

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

pub const TIME: &str = "/usr/bin/time";

/// `mlops ARGS` in `work`, measured.
pub fn run_measured(env: &Env, work: &Path, args: &str) -> Ran {
    let report = env.path().join("time.txt");
    let mut cmd = match Path::new(TIME).exists() {
        true => {
            let mut cmd = Command::new(TIME);
            cmd.arg("-f").arg("%M").arg("-o").arg(&report);
            cmd.arg(env!("CARGO_BIN_EXE_mlops"));
            cmd
        }
        false => Command::new(env!("CARGO_BIN_EXE_mlops")),
    };
    cmd.args(words(args)).current_dir(work);
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

/// A receive-pack that says `no-thin` and means it (git's own
/// `--reject-thin-pack-for-testing`, which git 2.39 lacks): the pack is
/// indexed without `--fix-thin` first, and a thin one is refused as
/// receive-pack refuses it (`unpack index-pack abnormal exit`).
pub fn refusing_thin(req: &Req, repo: &Path) -> Answer {
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
