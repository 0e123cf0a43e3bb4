//! Real git servers for the push tests, started on 127.0.0.1 with free
//! ports and always stopped (Drop kills and waits): smart HTTP through
//! `git http-backend` behind lighttpd with basic auth (plain, or HTTPS
//! through mod_openssl with a test CA made by the `openssl` CLI), and
//! OpenSSH's sshd with key auth. A missing server binary skips the test with a note,
//! except in CI (`CI=true`), where nothing may be skipped.

#![allow(dead_code)]

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::Env;

pub const HTTP_BACKEND: &str = "/usr/lib/git-core/git-http-backend";
pub const LIGHTTPD: &str = "/usr/sbin/lighttpd";
pub const SSHD: &str = "/usr/sbin/sshd";
pub const MOD_OPENSSL: &str = "/usr/lib/lighttpd/mod_openssl.so";

/// Whether `program` exists; else panics in CI and prints a note elsewhere.
pub fn available(programs: &[&str]) -> bool {
    for program in programs {
        let found = if program.starts_with('/') {
            Path::new(program).exists()
        } else {
            Command::new("sh")
                .args(["-c", &format!("command -v {program}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !found {
            crate::skipped::skip(program);
            return false;
        }
    }
    true
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn wait_for_port(port: u16, child: &mut Child, log: &Path) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "server exited with {status}: {}",
                fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server did not listen on {port} within 10 s");
}

/// A running server process, killed and reaped on drop.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// lighttpd serving every repository under `root` at
/// `http://127.0.0.1:PORT/git/<name>.git` (or `https://` from
/// [`Http::start_tls`]), pushes allowed, basic auth required for everything.
pub struct Http {
    pub port: u16,
    /// `http` or `https`.
    pub scheme: &'static str,
    /// For HTTPS: the test CA's certificate (PEM) that signed the server's.
    pub ca: Option<PathBuf>,
    /// lighttpd's access log: one line per request, see [`Http::requests`].
    pub access_log: PathBuf,
    /// A second port of the same server, where `/moved/<name>` on
    /// [`Http::port`] redirects to (`/git/<name>`): [`Http::moved_url`].
    pub other_port: u16,
    _server: Running,
}

/// One request as lighttpd logged it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The port it came in on.
    pub port: u16,
    /// `GET /git/remote.git/info/refs?service=git-receive-pack HTTP/1.1`
    pub line: String,
    pub status: u16,
    /// Bytes received for it, headers and body.
    pub bytes_in: u64,
    /// The client's port: requests with the same one came over one
    /// kept-alive connection.
    pub client_port: u16,
    /// Whether it carried an `Authorization` header.
    pub authorization: bool,
}

impl Http {
    pub fn start(dir: &Path, root: &Path, user: &str, password: &str) -> Option<Http> {
        if !available(&[LIGHTTPD, HTTP_BACKEND]) {
            return None;
        }
        Some(lighttpd(dir, root, user, password, None, ""))
    }

    /// The same over HTTPS: a fresh test CA (`ca`, trusted by nobody but
    /// the tests that hand it out) and a certificate for 127.0.0.1 (IP
    /// subject alternative name) signed by it.
    pub fn start_tls(dir: &Path, root: &Path, user: &str, password: &str) -> Option<Http> {
        if !available(&[LIGHTTPD, HTTP_BACKEND, MOD_OPENSSL, "openssl"]) {
            return None;
        }
        let pki = test_pki(&dir.join("pki"));
        Some(lighttpd(dir, root, user, password, Some(pki), ""))
    }

    /// [`Http::start_tls`], and a client certificate required too: the
    /// test CA's `client.pem` and `client.key` (beside `ca`).
    pub fn start_tls_client_cert(
        dir: &Path,
        root: &Path,
        user: &str,
        password: &str,
    ) -> Option<Http> {
        if !available(&[LIGHTTPD, HTTP_BACKEND, MOD_OPENSSL, "openssl"]) {
            return None;
        }
        let pki = test_pki(&dir.join("pki"));
        let extra = format!(
            "ssl.verifyclient.activate = \"enable\"\nssl.verifyclient.enforce = \"enable\"\nssl.verifyclient.ca-file = \"{}\"\n",
            pki.ca.display()
        );
        Some(lighttpd(dir, root, user, password, Some(pki), &extra))
    }

    /// The URL of `name` (e.g. `remote.git`), without credentials.
    pub fn url(&self, name: &str) -> String {
        format!("{}://127.0.0.1:{}/git/{name}", self.scheme, self.port)
    }

    /// A URL of `name` that redirects (302) to the same repository on
    /// [`Http::other_port`].
    pub fn moved_url(&self, name: &str) -> String {
        format!("{}://127.0.0.1:{}/moved/{name}", self.scheme, self.port)
    }

    /// Every request served so far, oldest first. (The log goes through a
    /// pipe, which lighttpd writes at once; a file it buffers for seconds.)
    pub fn requests(&self) -> Vec<Request> {
        std::thread::sleep(Duration::from_millis(100));
        let text = fs::read_to_string(&self.access_log).unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                // 12345|GET /x HTTP/1.1|401|180|45678|Basic …
                let mut parts = line.splitn(6, '|');
                let port = parts.next()?.trim().parse().ok()?;
                let line = parts.next()?.to_string();
                let status = parts.next()?.trim().parse().ok()?;
                let bytes_in = parts.next()?.trim().parse().ok()?;
                let client_port = parts.next()?.trim().parse().ok()?;
                let auth = parts.next().unwrap_or("").trim();
                Some(Request {
                    port,
                    line,
                    status,
                    bytes_in,
                    client_port,
                    authorization: !auth.is_empty() && auth != "-",
                })
            })
            .collect()
    }

    /// Forgets the requests logged so far.
    pub fn clear_requests(&self) {
        fs::write(&self.access_log, "").unwrap();
    }
}

/// A test CA and a server certificate it signed.
pub use mlops::testbed::Pki;

/// A CA, a server certificate for 127.0.0.1 and a client certificate
/// (`client.pem`/`client.key`) under `dir`, made with the `openssl` CLI
/// by the library's testbed.
pub fn test_pki(dir: &Path) -> Pki {
    mlops::testbed::pki(dir).unwrap()
}

fn lighttpd(
    dir: &Path,
    root: &Path,
    user: &str,
    password: &str,
    tls: Option<Pki>,
    extra: &str,
) -> Http {
    let conf_dir = dir.join("lighttpd");
    fs::create_dir_all(&conf_dir).unwrap();
    fs::write(conf_dir.join("users"), format!("{user}:{password}\n")).unwrap();
    let port = free_port();
    let other_port = free_port();
    let log = conf_dir.join("error.log");
    let access_log = conf_dir.join("access.log");
    fs::write(&access_log, "").unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut conf = format!(
        r#"server.modules = ("mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi", "mod_redirect", "mod_accesslog")
server.document-root = "{root}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{log}"
accesslog.filename = "|exec /bin/cat >> '{access}'"
accesslog.format = "%p|%r|%s|%I|%{{remote}}p|%{{Authorization}}i"
$SERVER["socket"] == "127.0.0.1:{other_port}" {{ {other_tls} }}
url.redirect = ("^/moved/(.*)$" => "{scheme}://127.0.0.1:{other_port}/git/$1")
alias.url = ("/git" => "{backend}")
$HTTP["url"] =~ "^/git" {{
  cgi.assign = ("" => "")
  setenv.set-environment = ("GIT_PROJECT_ROOT" => "{root}", "GIT_HTTP_EXPORT_ALL" => "1", "GIT_CONFIG_NOSYSTEM" => "1", "HOME" => "{root}")
  auth.backend = "plain"
  auth.backend.plain.userfile = "{users}"
  auth.require = ("" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))
}}
"#,
        root = root.display(),
        log = log.display(),
        access = access_log.display(),
        other_tls = match &tls {
            Some(pki) => format!(
                "ssl.engine = \"enable\" ssl.pemfile = \"{}\" ssl.privkey = \"{}\"",
                pki.server_cert.display(),
                pki.server_key.display()
            ),
            None => String::new(),
        },
        backend = HTTP_BACKEND,
        users = conf_dir.join("users").display(),
    );
    if let Some(pki) = &tls {
        conf.push_str(&format!(
            "server.modules += (\"mod_openssl\")\nssl.engine = \"enable\"\nssl.pemfile = \"{}\"\nssl.privkey = \"{}\"\n",
            pki.server_cert.display(),
            pki.server_key.display(),
        ));
    }
    conf.push_str(extra);
    fs::write(conf_dir.join("lighttpd.conf"), conf).unwrap();
    let mut child = Command::new(LIGHTTPD)
        .arg("-D")
        .arg("-f")
        .arg(conf_dir.join("lighttpd.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port, &mut child, &log);
    Http {
        port,
        scheme,
        ca: tls.map(|pki| pki.ca),
        access_log,
        other_port,
        _server: Running(child),
    }
}

/// sshd on 127.0.0.1 running as the current user, accepting `client_key`
/// (a public key file). `host_public` is its host key, for known_hosts.
pub struct Sshd {
    pub port: u16,
    pub host_public: String,
    log: PathBuf,
    _server: Running,
}

impl Sshd {
    pub fn start(dir: &Path, client_key: &Path) -> Option<Sshd> {
        Sshd::start_with(dir, client_key, "")
    }

    /// [`Sshd::start`] with `extra` lines of sshd_config.
    pub fn start_with(dir: &Path, client_key: &Path, extra: &str) -> Option<Sshd> {
        if !available(&[SSHD, "ssh-keygen"]) {
            return None;
        }
        let conf_dir = dir.join("sshd");
        fs::create_dir_all(&conf_dir).unwrap();
        let host_key = conf_dir.join("host_key");
        keygen(&host_key);
        fs::copy(client_key, conf_dir.join("authorized_keys")).unwrap();
        // sshd running as root wants its privilege separation folder.
        if is_root() {
            let _ = fs::create_dir_all("/run/sshd");
        }
        let port = free_port();
        let log = conf_dir.join("sshd.log");
        let conf = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nAuthorizedKeysFile {keys}\nPidFile {pid}\nStrictModes no\nPubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUsePAM no\nLogLevel VERBOSE\n{extra}",
            host = host_key.display(),
            keys = conf_dir.join("authorized_keys").display(),
            pid = conf_dir.join("sshd.pid").display(),
        );
        fs::write(conf_dir.join("sshd_config"), conf).unwrap();
        let mut child = Command::new(SSHD)
            .arg("-D")
            .arg("-f")
            .arg(conf_dir.join("sshd_config"))
            .arg("-E")
            .arg(&log)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(port, &mut child, &log);
        let public = fs::read_to_string(host_key.with_extension("pub")).unwrap();
        let host_public = public
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        Some(Sshd {
            port,
            host_public,
            log,
            _server: Running(child),
        })
    }

    /// `ssh://USER@127.0.0.1:PORT/ABSOLUTE/PATH`.
    pub fn url(&self, repo: &Path) -> String {
        format!(
            "ssh://{}@127.0.0.1:{}{}",
            whoami(),
            self.port,
            repo.display()
        )
    }

    /// What sshd logged so far (LogLevel VERBOSE: each accepted key).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The known_hosts line for this server.
    pub fn known_hosts_line(&self) -> String {
        format!("[127.0.0.1]:{} {}\n", self.port, self.host_public)
    }
}

/// A fresh ed25519 key pair at `path` and `path.pub`, no passphrase.
pub fn keygen(path: &Path) -> PathBuf {
    keygen_with_passphrase(path, "")
}

fn is_root() -> bool {
    whoami() == "root"
}

pub fn whoami() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// An ssh-agent of the test's own on a socket under `dir`, stopped on drop.
pub struct Agent {
    pub socket: PathBuf,
    _agent: Running,
}

impl Agent {
    pub fn start(dir: &Path) -> Option<Agent> {
        if !available(&["ssh-agent", "ssh-add"]) {
            return None;
        }
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while !socket.exists() {
            assert!(start.elapsed() < Duration::from_secs(10), "no agent socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Agent {
            socket,
            _agent: Running(child),
        })
    }

    /// `ssh-add KEY`, the passphrase given by an askpass script (no
    /// terminal involved).
    pub fn add(&self, key: &Path, passphrase: &str) {
        let askpass = key.with_extension("askpass");
        fs::write(&askpass, format!("#!/bin/sh\necho '{passphrase}'\n")).unwrap();
        crate::clone::make_executable(&askpass);
        let out = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .env("SSH_ASKPASS", &askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .env("DISPLAY", ":0")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ssh-add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A fresh ed25519 key pair at `path` and `path.pub`, protected by
/// `passphrase` (none when empty).
pub fn keygen_with_passphrase(path: &Path, passphrase: &str) -> PathBuf {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", passphrase, "-C", "test", "-f"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
    path.with_extension("pub")
}

/// The fixture's remote (receive-pack enabled) served over HTTP or, with
/// `tls`, HTTPS with basic auth `bot`/`token`, and a checkout whose
/// origin is the served URL (no secret in it). `None`: no lighttpd.
pub fn served_gitops(env: &Env, tls: bool, token: &str) -> Option<(PathBuf, PathBuf, Http)> {
    let (remote, work) = env.gitops(|_| {});
    env.git(&remote, &["config", "http.receivepack", "true"]);
    let http = match tls {
        true => Http::start_tls(env.path(), env.path(), "bot", token)?,
        false => Http::start(env.path(), env.path(), "bot", token)?,
    };
    env.git(
        &work,
        &["remote", "set-url", "origin", &http.url("remote.git")],
    );
    Some((remote, work, http))
}

/// The requests, a line each, for a failure message (also on stderr).
pub fn shown(requests: &[Request]) -> String {
    let text = requests
        .iter()
        .map(|r| {
            format!(
                "{} {} {} in={} client={} auth={}",
                r.port, r.status, r.line, r.bytes_in, r.client_port, r.authorization
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    eprintln!("{text}\n--");
    text
}

/// tinyproxy on 127.0.0.1, any port reachable through CONNECT, each
/// request in its log; stopped on drop.
pub struct Proxy {
    pub port: u16,
    log: PathBuf,
    /// Where [`Proxy::requests`] starts reading (tinyproxy keeps its own
    /// offset: the log is not truncated).
    seen: std::cell::Cell<usize>,
    _server: Running,
}

impl Proxy {
    /// With `login`, only requests that give it (`BasicAuth`) pass.
    pub fn start(dir: &Path, login: Option<(&str, &str)>) -> Option<Proxy> {
        if !available(&["tinyproxy"]) {
            return None;
        }
        let port = free_port();
        let log = dir.join("tinyproxy.log");
        let conf = dir.join("tinyproxy.conf");
        let mut text = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 60\nLogFile \"{}\"\nLogLevel Info\nMaxClients 20\nAllow 127.0.0.1\nDisableViaHeader Yes\n",
            log.display()
        );
        if let Some((user, password)) = login {
            text.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        fs::write(&conf, text).unwrap();
        let mut child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(port, &mut child, &log);
        Some(Proxy {
            port,
            log,
            seen: std::cell::Cell::new(0),
            _server: Running(child),
        })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The requests it carried, e.g. `CONNECT 127.0.0.1:PORT HTTP/1.1`.
    pub fn requests(&self) -> Vec<String> {
        let log = fs::read_to_string(&self.log).unwrap_or_default();
        log.get(self.seen.get()..)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once("): ").map(|(_, r)| r.to_string()))
            .filter(|r| !r.starts_with("No ") && !r.is_empty())
            .collect()
    }

    /// From now on, [`Proxy::requests`] shows only new requests.
    pub fn clear(&self) {
        self.seen
            .set(fs::read_to_string(&self.log).unwrap_or_default().len());
    }
}
