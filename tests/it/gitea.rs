//! A real Gitea for the `--pull-request` tests (tests/it/forge.rs),
//! built from its Go module by scripts/test-servers.sh and started on
//! 127.0.0.1 with sqlite, an admin user, a token and repositories made
//! through its API.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::Env;
use crate::servers::{free_port, Running};

pub const ADMIN: &str = "root";
const PASSWORD: &str = "gitea-test-pass-1";
const GITEA_VERSION: &str = "1.26.0";

/// Where scripts/test-servers.sh puts the servers.
pub fn test_servers() -> PathBuf {
    std::env::var_os("MLOPS_TEST_SERVERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/mlops-test-servers")
        })
}

/// A Gitea on 127.0.0.1 with sqlite, killed on drop.
pub struct Gitea {
    pub port: u16,
    pub token: String,
    _server: Running,
}

impl Gitea {
    /// Starts Gitea under `dir`; `None` (a SKIP note, a failure in CI)
    /// when scripts/test-servers.sh has not built it.
    pub fn start(dir: &Path) -> Option<Gitea> {
        let home = test_servers().join(format!("gitea-{GITEA_VERSION}"));
        let bin = home.join("gitea");
        if !bin.exists() {
            crate::skipped::skip(&format!(
                "Gitea {GITEA_VERSION} ({} not built: run scripts/test-servers.sh gitea)",
                bin.display()
            ));
            return None;
        }
        let port = free_port();
        let work = dir.join("gitea");
        fs::create_dir_all(&work).unwrap();
        let ini = work.join("app.ini");
        let w = work.display();
        fs::write(
            &ini,
            format!(
                "APP_NAME = test\nRUN_MODE = prod\nWORK_PATH = {w}\nI_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true\n\
                 [server]\nHTTP_ADDR = 127.0.0.1\nHTTP_PORT = {port}\nROOT_URL = http://127.0.0.1:{port}/\n\
                 DISABLE_SSH = true\nOFFLINE_MODE = true\nLFS_START_SERVER = false\n\
                 STATIC_ROOT_PATH = {src}\nAPP_DATA_PATH = {w}/data\n\
                 [database]\nDB_TYPE = sqlite3\nPATH = {w}/gitea.db\n\
                 [repository]\nROOT = {w}/repos\n\
                 [security]\nINSTALL_LOCK = true\nSECRET_KEY = test-secret-key-0123456789\n\
                 [service]\nDISABLE_REGISTRATION = true\n\
                 [cron]\nENABLED = false\n\
                 [log]\nMODE = file\nROOT_PATH = {w}/log\nLEVEL = Warn\n",
                src = home.join("src").display()
            ),
        )
        .unwrap();
        let gitea = |args: &[&str]| {
            let mut cmd = Command::new(&bin);
            cmd.args([
                "--config",
                ini.to_str().unwrap(),
                "--work-path",
                &w.to_string(),
            ])
            .args(args)
            .env("GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT", "true")
            .env("HOME", &work)
            .env("GITEA_WORK_DIR", &work)
            .current_dir(&work);
            cmd
        };
        let run = |args: &[&str]| {
            let out = gitea(args).output().unwrap();
            assert!(
                out.status.success(),
                "gitea {args:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&["migrate"]);
        run(&[
            "admin",
            "user",
            "create",
            "--admin",
            "--username",
            ADMIN,
            "--password",
            PASSWORD,
            "--email",
            "root@example.com",
            "--must-change-password=false",
        ]);
        let log = work.join("web.log");
        let out = fs::File::create(&log).unwrap();
        let mut child = gitea(&["web"])
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .unwrap();
        let start = Instant::now();
        loop {
            let up = request(
                &format!("http://127.0.0.1:{port}/api/v1/version"),
                None,
                None,
            );
            if matches!(up, Ok((200, _))) {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "gitea exited with {status}: {}",
                    fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "gitea did not answer within 120 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let server = Running(child);
        let token = send(
            &format!("http://127.0.0.1:{port}/api/v1/users/{ADMIN}/tokens"),
            &basic(ADMIN, PASSWORD),
            json!({"name": "mlops", "scopes": ["write:repository", "write:user"]}),
        );
        Some(Gitea {
            port,
            token: token["sha1"].as_str().unwrap().to_string(),
            _server: server,
        })
    }

    pub fn api(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/api/v1{path}", self.port)
    }

    pub fn get(&self, path: &str) -> Value {
        let auth = format!("token {}", self.token);
        match request(&self.api(path), Some(&auth), None) {
            Ok((200, body)) => serde_json::from_str(&body).unwrap(),
            Ok((code, body)) => panic!("GET {path}: {code} {body}"),
            Err(e) => panic!("GET {path}: {e}"),
        }
    }

    pub fn post(&self, path: &str, body: Value) -> Value {
        send(&self.api(path), &format!("token {}", self.token), body)
    }

    /// A repository `name` of the admin, holding the fixture's main
    /// (pushed with git), and a checkout of it whose origin is Gitea's
    /// URL (no secret in it).
    pub fn gitops(&self, env: &Env, name: &str, private: bool) -> PathBuf {
        self.post(
            "/user/repos",
            json!({"name": name, "private": private, "default_branch": "main"}),
        );
        let (_remote, work) = env.gitops(|_| {});
        let url = format!("http://127.0.0.1:{}/{ADMIN}/{name}.git", self.port);
        let with_auth = format!(
            "http://{ADMIN}:{}@127.0.0.1:{}/{ADMIN}/{name}.git",
            self.token, self.port
        );
        env.git(&work, &["push", "-q", &with_auth, "main"]);
        env.git(&work, &["remote", "set-url", "origin", &url]);
        // Gitea takes the pushed branch in through its hooks: wait until
        // the repository no longer counts as empty.
        let start = Instant::now();
        while self.get(&format!("/repos/{ADMIN}/{name}"))["empty"] != false {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "gitea still calls {name} empty"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        work
    }

    /// `git fetch` of `repo`'s branches into `work`'s `origin/*`, with
    /// the token in the URL (the checkout's origin has none).
    pub fn fetch(&self, env: &Env, work: &Path, repo: &str) {
        let url = format!(
            "http://{ADMIN}:{}@127.0.0.1:{}/{ADMIN}/{repo}.git",
            self.token, self.port
        );
        env.git(
            work,
            &["fetch", "-q", &url, "+refs/heads/*:refs/remotes/origin/*"],
        );
    }

    /// The open pull requests of `repo`.
    pub fn open_pulls(&self, repo: &str) -> Vec<Value> {
        self.get(&format!("/repos/{ADMIN}/{repo}/pulls?state=open"))
            .as_array()
            .unwrap()
            .clone()
    }
}

/// POSTs `body` as JSON with `auth`; the answer's JSON (a 2xx status).
pub fn send(url: &str, auth: &str, body: Value) -> Value {
    match request(url, Some(auth), Some(&body.to_string())) {
        Ok((code, answer)) if (200..300).contains(&code) => serde_json::from_str(&answer).unwrap(),
        Ok((code, answer)) => panic!("POST {url}: {code} {answer}"),
        Err(e) => panic!("POST {url}: {e}"),
    }
}

/// One request through libcurl (GET, or POST of a JSON `body`): the
/// status and the body.
fn request(url: &str, auth: Option<&str>, body: Option<&str>) -> Result<(u32, String), String> {
    let mut easy = curl::easy::Easy::new();
    let mut headers = curl::easy::List::new();
    let fail = |e: curl::Error| e.to_string();
    easy.url(url).map_err(fail)?;
    if let Some(auth) = auth {
        headers
            .append(&format!("Authorization: {auth}"))
            .map_err(fail)?;
    }
    if let Some(body) = body {
        headers
            .append("Content-Type: application/json")
            .map_err(fail)?;
        easy.post(true).map_err(fail)?;
        easy.post_fields_copy(body.as_bytes()).map_err(fail)?;
    }
    easy.http_headers(headers).map_err(fail)?;
    let mut answer = Vec::new();
    {
        let mut transfer = easy.transfer();
        transfer
            .write_function(|data| {
                answer.extend_from_slice(data);
                Ok(data.len())
            })
            .map_err(fail)?;
        transfer.perform().map_err(fail)?;
    }
    let code = easy.response_code().map_err(fail)?;
    Ok((code, String::from_utf8_lossy(&answer).into_owned()))
}

fn basic(user: &str, pass: &str) -> String {
    use std::io::Write;
    let mut enc = Vec::new();
    write!(enc, "{user}:{pass}").unwrap();
    format!("Basic {}", base64(&enc))
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
