//! What goes out with each request, beside git (see httpconfig.rs):
//! `http.userAgent`, `http.extraHeader` and `http.cookieFile` (with
//! `http.saveCookies`), seen by a small recording server on 127.0.0.1
//! that answers every request with 404 (and a cookie), so both git and
//! mlops fail, mlops with exit 4, having sent what they send.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::Env;
use crate::httpconfig::both;

/// Records each request's head; answers 404 and sets a cookie.
struct Recorder {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, stopped) = (Arc::clone(&heads), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stopped.load(Ordering::SeqCst) {
                let Ok((mut conn, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let _ = conn.set_nonblocking(false);
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
                    match conn.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => break,
                    }
                }
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).into_owned());
                let _ = conn.write_all(
                    b"HTTP/1.1 404 Not Found\r\nSet-Cookie: fresh=from-server; Path=/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        Recorder { port, heads, stop }
    }

    /// The request heads received so far, forgotten.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.heads.lock().unwrap())
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The value of `name` in the first request of `heads` that has it.
fn header(heads: &[String], name: &str) -> Option<String> {
    heads.iter().find_map(|head| {
        head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    })
}

fn cookie_file(path: &Path) {
    fs::write(
        path,
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tabc123\n",
    )
    .unwrap();
}

#[test]
fn the_user_agent_extra_headers_and_cookies_go_out_as_with_git() {
    let env = Env::new();
    let (_remote, work) = env.gitops(|_| {});
    let server = Recorder::start();
    let url = format!("http://127.0.0.1:{}/git/remote.git", server.port);
    env.git(&work, &["remote", "set-url", "origin", &url]);
    env.git(&work, &["config", "http.userAgent", "fleet-agent/7"]);
    env.git(
        &work,
        &["config", "--add", "http.extraHeader", "X-Team: ml"],
    );
    env.git(&work, &["config", "--add", "http.extraHeader", "X-Run: 42"]);
    let cookies = env.path().join("cookies.txt");
    cookie_file(&cookies);
    env.git(
        &work,
        &["config", "http.cookieFile", cookies.to_str().unwrap()],
    );
    env.git(&work, &["config", "http.saveCookies", "true"]);

    // git first (its requests, then the cookie file it saved), then mlops
    // with a fresh cookie file.
    let git = crate::httpconfig::git_probe(&env, &work, &[]);
    assert!(!git.status.success());
    let theirs = server.take();
    let git_saved = fs::read_to_string(&cookies).unwrap();
    cookie_file(&cookies);
    both_fail_again(&env, &work);
    let ours = server.take();
    let mlops_saved = fs::read_to_string(&cookies).unwrap();

    for name in ["User-Agent", "X-Team", "X-Run", "Cookie"] {
        assert_eq!(
            header(&ours, name),
            header(&theirs, name),
            "{name}: mlops sent {ours:?}, git {theirs:?}"
        );
    }
    assert_eq!(
        header(&ours, "User-Agent").as_deref(),
        Some("fleet-agent/7")
    );
    assert_eq!(header(&ours, "Cookie").as_deref(), Some("session=abc123"));
    // http.saveCookies: the cookie the server set is kept, with the one
    // read. (git writes its jar when it ends normally, so after this
    // refused listing it left the file as it was.)
    assert!(mlops_saved.contains("fresh\tfrom-server"), "{mlops_saved}");
    assert!(mlops_saved.contains("session\tabc123"), "{mlops_saved}");
    assert!(!git_saved.contains("fresh"), "{git_saved}");

    // GIT_HTTP_USER_AGENT over http.userAgent, for both.
    let vars = [("GIT_HTTP_USER_AGENT", "env-agent/1")];
    let git = crate::httpconfig::git_probe(&env, &work, &vars);
    assert!(!git.status.success());
    let theirs = server.take();
    let _ = crate::httpconfig::mlops_run(&env, &work, "enable", &vars);
    let ours = server.take();
    assert_eq!(
        header(&theirs, "User-Agent").as_deref(),
        Some("env-agent/1")
    );
    assert_eq!(header(&ours, "User-Agent").as_deref(), Some("env-agent/1"));
}

/// mlops on the same setup fails with exit 4 (the server has no
/// repository), as git did.
fn both_fail_again(env: &Env, work: &Path) {
    let out = crate::httpconfig::mlops_run(env, work, "enable", &[]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_server_without_the_repository_fails_both() {
    let env = Env::new();
    let (_remote, work) = env.gitops(|_| {});
    let server = Recorder::start();
    let url = format!("http://127.0.0.1:{}/git/remote.git", server.port);
    env.git(&work, &["remote", "set-url", "origin", &url]);
    let stderr = both(&env, &work, &[], false, "404");
    assert!(stderr.contains("not found"), "{stderr}");
}
