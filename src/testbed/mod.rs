//! The real servers behind `--pull-request` and `--wait`, started on
//! 127.0.0.1 for `mlops demo` and the tests: Gitea, and a Kubernetes API
//! (etcd and kube-apiserver) with the Argo CD `Application` and KServe
//! `InferenceService` resource types. Gitea and kube-apiserver are built
//! from their Go modules by `scripts/test-servers.sh` into
//! `$MLOPS_TEST_SERVERS` (default `~/.cache/mlops-test-servers`); etcd
//! and the `openssl` CLI come from the system. Every server is stopped
//! (killed and reaped) when its value is dropped. Nothing here prints.

mod cluster;
mod gitea;
mod pki;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::forge::http::{request, Settings};

pub use cluster::{Cluster, ADMIN_TOKEN, NOBODY_TOKEN};
pub use gitea::{Gitea, ADMIN};
pub use pki::{pki, Pki};

/// The Gitea release scripts/test-servers.sh builds.
pub const GITEA_VERSION: &str = "1.26.0";
/// The Kubernetes release scripts/test-servers.sh builds.
pub const KUBE_VERSION: &str = "1.37.2";

/// What a testbed call says when it fails.
pub type Result<T> = std::result::Result<T, String>;

/// Where scripts/test-servers.sh puts the servers.
pub fn servers_dir() -> PathBuf {
    std::env::var_os("MLOPS_TEST_SERVERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_default();
            PathBuf::from(home).join(".cache/mlops-test-servers")
        })
}

/// The Gitea binary (it may not be built).
pub fn gitea_binary() -> PathBuf {
    servers_dir().join(format!("gitea-{GITEA_VERSION}/gitea"))
}

/// The kube-apiserver binary (it may not be built).
pub fn apiserver_binary() -> PathBuf {
    servers_dir().join(format!("kube-apiserver-{KUBE_VERSION}/kube-apiserver"))
}

/// What is missing to start both servers, each with how to get it.
pub fn missing() -> Vec<String> {
    let mut out = Vec::new();
    for (bin, name) in [
        (gitea_binary(), "gitea"),
        (apiserver_binary(), "kube-apiserver"),
    ] {
        if !bin.exists() {
            out.push(format!(
                "{} (scripts/test-servers.sh {name} builds it)",
                bin.display()
            ));
        }
    }
    for program in ["etcd", "openssl"] {
        if !on_path(program) {
            out.push(format!(
                "{program} (Debian: apt-get install etcd-server openssl)"
            ));
        }
    }
    out
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// A port nobody listens on right now.
pub fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

/// A running server process, killed and reaped on drop.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd` with its output in `log`.
fn spawn(cmd: &mut Command, log: &Path) -> Result<Running> {
    let file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err))
        .spawn()
        .map(Running)
        .map_err(|e| format!("could not start {:?}: {e}", cmd.get_program()))
}

/// Runs a setup command; its output is the error when it fails.
fn run(cmd: &mut Command) -> Result<()> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run {:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{:?} failed: {}{}",
        cmd.get_program(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// Calls `ready` until it is true, the server in `server` exits (its
/// `log` is the error), or `limit` passes.
fn wait_until(
    what: &str,
    server: &mut Running,
    log: &Path,
    limit: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<()> {
    let start = Instant::now();
    loop {
        if ready() {
            return Ok(());
        }
        if let Ok(Some(status)) = server.0.try_wait() {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(20)..].join("\n");
            return Err(format!("{what} exited with {status}: {tail}"));
        }
        if start.elapsed() > limit {
            return Err(format!(
                "{what} was not ready within {} s (log: {})",
                limit.as_secs(),
                log.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// One JSON request to a server on 127.0.0.1 (never through a proxy),
/// its certificate signed by `ca`, with `auth` as the `Authorization`
/// value: the answer's JSON (2xx), else the status and body.
fn call(
    method: &str,
    url: &str,
    ca: Option<&Path>,
    auth: Option<&str>,
    body: Option<&Value>,
) -> Result<Value> {
    let answer = call_raw(method, url, ca, auth, body)?;
    Ok(serde_json::from_slice(&answer).unwrap_or(Value::Null))
}

/// [`call`], the answer's bytes as they came.
fn call_raw(
    method: &str,
    url: &str,
    ca: Option<&Path>,
    auth: Option<&str>,
    body: Option<&Value>,
) -> Result<Vec<u8>> {
    let mut settings = Settings::read(None, url, None);
    settings.proxy = Some(String::new());
    settings.ca_info = ca.map(Path::to_path_buf);
    let auth = auth.map(|a| format!("Authorization: {a}"));
    let answer = request(&settings, method, url, auth.as_deref(), body)
        .map_err(|e| format!("{method} {url}: {e}"))?;
    if !(200..300).contains(&answer.status) {
        return Err(format!(
            "{method} {url}: {} {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        ));
    }
    Ok(answer.body)
}
