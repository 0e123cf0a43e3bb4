//! git's HTTP settings, each tried on a real server beside git itself
//! (git, the referee: `git push --dry-run`, which lists the push service
//! with the same settings): where git gets through, mlops pushes; where
//! git fails, mlops fails with exit 4. TLS (`http.sslVerify`,
//! `GIT_SSL_NO_VERIFY`, `http.sslCAInfo`/`sslCAPath` also per URL,
//! `GIT_SSL_CAINFO`/`CAPATH`), `http.extraHeader` (GitHub Actions'
//! way of authenticating), and the low-speed limits against a server
//! that stalls. Proxies: httpconfig_proxy.rs.

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::common::{words, Env};
use crate::servers::{served_gitops, Http};

pub const TOKEN: &str = "c0nf1g-t0ken";

/// git's verdict on `work`'s remote with `vars`: a dry-run push of HEAD.
pub fn git_probe(env: &Env, work: &Path, vars: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("git");
    cmd.args(["push", "--dry-run", "origin", "HEAD:main"])
        .current_dir(work);
    env.apply(&mut cmd);
    cmd.envs(vars.iter().copied());
    cmd.output().unwrap()
}

/// `mlops autoscale <verb> --env test jukebox --yes` in `work`.
pub fn mlops_run(env: &Env, work: &Path, verb: &str, vars: &[(&str, &str)]) -> Output {
    env.mlops(work)
        .args(words(&format!("autoscale {verb} --env test jukebox --yes")))
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

/// Runs git and mlops on the same setup; both must get through (`ok`) or
/// both fail, mlops with exit 4. Alternates enable and disable, so each
/// successful run pushes. Returns mlops's stderr.
pub fn both(env: &Env, work: &Path, vars: &[(&str, &str)], ok: bool, what: &str) -> String {
    let git = git_probe(env, work, vars);
    let git_err = String::from_utf8_lossy(&git.stderr).to_string();
    assert_eq!(git.status.success(), ok, "git, {what}: {git_err}");
    let enabled = fs::read_to_string(crate::common::config(work, "test", "jukebox"))
        .unwrap()
        .contains("autoscaling: true");
    let verb = if enabled { "disable" } else { "enable" };
    let ours = mlops_run(env, work, verb, vars);
    let stderr = String::from_utf8_lossy(&ours.stderr).to_string();
    match ok {
        true => assert!(ours.status.success(), "mlops, {what}: {stderr}"),
        false => assert_eq!(
            ours.status.code(),
            Some(4),
            "mlops, {what}: {stderr}\ngit said: {git_err}"
        ),
    }
    stderr
}

/// Credentials for `url`'s server through git's `store` helper in the
/// sandbox's HOME, which git and mlops (through `git credential fill`)
/// both ask.
pub fn store_credentials(env: &Env, url: &str) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.split('/').next().unwrap();
    fs::write(
        env.home().join(".git-credentials"),
        format!("{scheme}://bot:{TOKEN}@{host}\n"),
    )
    .unwrap();
    let config = env.home().join(".gitconfig");
    let mut text = fs::read_to_string(&config).unwrap();
    text.push_str("[credential]\n\thelper = store\n");
    fs::write(config, text).unwrap();
}

fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The folder of `ca` as OpenSSL's `CApath` wants it (`openssl rehash`).
fn hashed_dir(env: &Env, ca: &Path) -> PathBuf {
    let dir = env.path().join("cas");
    fs::create_dir_all(&dir).unwrap();
    fs::copy(ca, dir.join("test-ca.pem")).unwrap();
    let out = Command::new("openssl")
        .arg("rehash")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    dir
}

#[test]
fn extra_headers_authenticate_as_github_actions_sets_them() {
    let env = Env::new();
    let Some((remote, work, http)) = served_gitops(&env, false, TOKEN) else {
        return;
    };
    let base = format!("http://127.0.0.1:{}/", http.port);
    let right = format!(
        "AUTHORIZATION: basic {}",
        base64(format!("bot:{TOKEN}").as_bytes())
    );
    let wrong = format!("AUTHORIZATION: basic {}", base64(b"bot:nope"));
    // For another server only: nothing is sent, both fail (no prompt).
    let elsewhere = "http.http://127.0.0.1:1/.extraheader";
    env.git(&work, &["config", elsewhere, &right]);
    both(&env, &work, &[], false, "a header for another URL");
    // actions/checkout's way: the header for this server's URL.
    env.git(&work, &["config", "--unset", elsewhere]);
    let here = format!("http.{base}.extraheader");
    env.git(&work, &["config", &here, &right]);
    both(&env, &work, &[], true, "http.<url>.extraHeader");
    // Several values; an empty one drops those before it.
    env.git(&work, &["config", "--add", "http.extraheader", &wrong]);
    env.git(&work, &["config", "--add", "http.extraheader", ""]);
    env.git(
        &work,
        &["config", "--add", "http.extraheader", "X-Team: ml"],
    );
    both(&env, &work, &[], true, "the wrong header reset");
    env.git(&work, &["config", "--unset-all", "http.extraheader"]);
    env.git(&work, &["config", "--add", "http.extraheader", &wrong]);
    env.git(&work, &["config", "--unset-all", &here]);
    both(&env, &work, &[], false, "only the wrong header");
    // The two runs that got through pushed.
    assert_eq!(
        env.subjects(&remote, "main")[..2],
        [
            "Disable autoscaling for jukebox in test",
            "Enable autoscaling for jukebox in test"
        ]
    );
}

#[test]
fn an_extra_header_from_git_config_global_or_behind_include_if_is_sent_as_by_git() {
    let env = Env::new();
    let Some((_remote, work, http)) = served_gitops(&env, false, TOKEN) else {
        return;
    };
    let right = format!(
        "AUTHORIZATION: basic {}",
        base64(format!("bot:{TOKEN}").as_bytes())
    );
    let url = format!("http://127.0.0.1:{}/", http.port);
    // A global file named by GIT_CONFIG_GLOBAL (libgit2 alone reads only
    // ~/.gitconfig): what a CI job that prepares its own config does.
    let global = env.path().join("ci.gitconfig");
    fs::write(
        &global,
        format!("[http \"{url}\"]\n\textraHeader = {right}\n"),
    )
    .unwrap();
    let global = global.display().to_string();
    both(
        &env,
        &work,
        &[("GIT_CONFIG_GLOBAL", &global)],
        true,
        "GIT_CONFIG_GLOBAL",
    );
    // The same header in a file included only for checkouts whose remote
    // is on this server (includeIf hasconfig, which libgit2 does not read).
    let header = env.path().join("header.gitconfig");
    fs::rename(&global, &header).unwrap();
    let gate = format!(
        "[includeIf \"hasconfig:remote.*.url:{url}**\"]\n\tpath = {}\n",
        header.display()
    );
    fs::write(&global, gate).unwrap();
    both(
        &env,
        &work,
        &[("GIT_CONFIG_GLOBAL", &global)],
        true,
        "includeIf hasconfig",
    );
    both(&env, &work, &[], false, "no header");
}

#[test]
fn tls_settings_are_read_as_git_reads_them() {
    let env = Env::new();
    let Some((_remote, work, https)) = served_gitops(&env, true, TOKEN) else {
        return;
    };
    store_credentials(&env, &https.url("remote.git"));
    let ca = https.ca.clone().unwrap();
    let ca = ca.to_str().unwrap();
    let dir = hashed_dir(&env, Path::new(ca));
    let dir = dir.to_str().unwrap();
    let base = format!("https://127.0.0.1:{}", https.port);
    // The test CA is nobody's: both refuse the certificate.
    let stderr = both(&env, &work, &[], false, "an unknown CA");
    assert!(stderr.contains("http.sslCAInfo"), "{stderr}");
    let per_url = format!("http.{base}/git.sslCAInfo");
    // `*` matches one label of the host, as in git's urlmatch.c.
    let wildcard = format!("http.https://*.0.0.1:{}.sslCAInfo", https.port);
    for (key, value) in [
        ("http.sslVerify", "false"),
        ("http.sslCAInfo", ca),
        (per_url.as_str(), ca),
        (wildcard.as_str(), ca),
        ("http.sslCAPath", dir),
    ] {
        env.git(&work, &["config", key, value]);
        both(&env, &work, &[], true, key);
        env.git(&work, &["config", "--unset", key]);
    }
    // For another URL, another path, another port, a host with more
    // labels, or a user the remote's URL does not name: not for this one.
    let port = https.port;
    for other in [
        format!("http.{base}/elsewhere.sslCAInfo"),
        format!("http.https://127.0.0.1:{}.sslCAInfo", port + 1),
        format!("http.https://*.127.0.0.1:{port}.sslCAInfo"),
        format!("http.https://bot@127.0.0.1:{port}.sslCAInfo"),
    ] {
        env.git(&work, &["config", &other, ca]);
        both(&env, &work, &[], false, &other);
        env.git(&work, &["config", "--unset", &other]);
    }
    for vars in [
        [("GIT_SSL_NO_VERIFY", "1")],
        [("GIT_SSL_CAINFO", ca)],
        [("GIT_SSL_CAPATH", dir)],
    ] {
        both(&env, &work, &vars, true, vars[0].0);
    }
    // From git's command line (`git -c`, as git hands it to its
    // programs), for both.
    let count = [
        ("GIT_CONFIG_COUNT", "1"),
        ("GIT_CONFIG_KEY_0", "http.sslVerify"),
        ("GIT_CONFIG_VALUE_0", "false"),
    ];
    both(&env, &work, &count, true, "GIT_CONFIG_COUNT");
    let given = [("GIT_CONFIG_PARAMETERS", "'http.sslverify'='false'")];
    both(&env, &work, &given, true, "GIT_CONFIG_PARAMETERS");
    // sslVerify on, set per URL, wins over the general false.
    env.git(&work, &["config", "http.sslVerify", "false"]);
    env.git(
        &work,
        &["config", &format!("http.{base}.sslVerify"), "true"],
    );
    both(&env, &work, &[], false, "http.<url>.sslVerify=true");
}

/// A server that accepts connections and never answers; stopped on drop.
struct Staller {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Staller {
    fn start() -> Staller {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !stopped.load(Ordering::SeqCst) {
                if let Ok((mut conn, _)) = listener.accept() {
                    // Reads the request, answers nothing.
                    let _ = conn.set_read_timeout(Some(Duration::from_millis(10)));
                    let _ = conn.read(&mut [0; 4096]);
                    held.push(conn);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Staller { port, stop }
    }
}

impl Drop for Staller {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_stalled_server_ends_the_run_as_the_low_speed_settings_say() {
    let env = Env::new();
    let (_remote, work) = env.gitops(|_| {});
    let staller = Staller::start();
    let url = format!("http://127.0.0.1:{}/git/remote.git", staller.port);
    env.git(&work, &["remote", "set-url", "origin", &url]);
    env.git(&work, &["config", "http.lowSpeedLimit", "1000"]);
    env.git(&work, &["config", "http.lowSpeedTime", "2"]);
    let stderr = both(&env, &work, &[], false, "http.lowSpeed*");
    assert!(stderr.contains("stalled"), "{stderr}");
    assert!(stderr.contains("http.lowSpeedLimit"), "{stderr}");
    env.git(&work, &["config", "--unset", "http.lowSpeedLimit"]);
    env.git(&work, &["config", "--unset", "http.lowSpeedTime"]);
    let vars = [
        ("GIT_HTTP_LOW_SPEED_LIMIT", "1000"),
        ("GIT_HTTP_LOW_SPEED_TIME", "2"),
    ];
    let stderr = both(&env, &work, &vars, false, "GIT_HTTP_LOW_SPEED_*");
    assert!(stderr.contains("stalled"), "{stderr}");
}

#[test]
fn a_client_certificate_is_given_from_ssl_cert_and_ssl_key() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    env.git(&remote, &["config", "http.receivepack", "true"]);
    let Some(https) = Http::start_tls_client_cert(env.path(), env.path(), "bot", TOKEN) else {
        return;
    };
    env.git(
        &work,
        &["remote", "set-url", "origin", &https.url("remote.git")],
    );
    store_credentials(&env, &https.url("remote.git"));
    let ca = https.ca.clone().unwrap();
    let pki = ca.parent().unwrap();
    let cert = pki.join("client.pem");
    let key = pki.join("client.key");
    env.git(&work, &["config", "http.sslCAInfo", ca.to_str().unwrap()]);
    // Without a certificate the server refuses the handshake.
    both(&env, &work, &[], false, "no client certificate");
    env.git(&work, &["config", "http.sslCert", cert.to_str().unwrap()]);
    env.git(&work, &["config", "http.sslKey", key.to_str().unwrap()]);
    both(&env, &work, &[], true, "http.sslCert and http.sslKey");
    env.git(&work, &["config", "--unset", "http.sslCert"]);
    env.git(&work, &["config", "--unset", "http.sslKey"]);
    let vars = [
        ("GIT_SSL_CERT", cert.to_str().unwrap()),
        ("GIT_SSL_KEY", key.to_str().unwrap()),
    ];
    both(&env, &work, &vars, true, "GIT_SSL_CERT and GIT_SSL_KEY");
}
