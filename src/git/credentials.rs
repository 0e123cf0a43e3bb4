//! Credentials and host trust, in the order the contract gives.
//!
//! HTTPS: `MLOPS_GIT_USERNAME`/`MLOPS_GIT_TOKEN`; else the credential
//! helpers from git config (asked through `git credential fill`, so every
//! helper spelling git accepts works, `store` with `~/.git-credentials`
//! included); else, on a terminal, a prompt. SSH: `MLOPS_SSH_KEY`; else
//! ssh-agent; else the default key files. libgit2 calls the credential
//! callback again after each refusal, so every source is tried once and
//! then the callback fails: bad credentials end with an error, never in a
//! loop (the guard gitui uses too).
//!
//! Why `git credential fill` rather than `git2::CredentialHelper`: the
//! latter drops the host when it is an IP address and ignores helpers set
//! per URL pattern, where git itself gets both right.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use git2::cert::Cert;
use git2::{CertificateCheckStatus, Cred, CredentialType};

use super::fail::Failure;
use super::url::{host_port, redact};

/// One credential session: what was tried, what the SSH server showed.
pub struct Credentials {
    /// Where `git credential fill` runs, so repository config applies.
    git_dir: PathBuf,
    http_step: usize,
    ssh_step: usize,
    /// Human names of the sources tried, for the error message.
    tried: Vec<String>,
    /// Set when every source was used up.
    exhausted: bool,
    /// The SSH host key seen: (host, port, "ssh-ed25519 SHA256:…").
    host_key: Option<(String, Option<u16>, String)>,
}

/// A username and password from a helper or the prompt, with the URL they
/// are for, offered first on the next connection to it, so nobody (and no
/// helper) is asked twice in one run: a run makes several connections
/// (list, fetch, push, a retry), each through its own session.
static REMEMBERED: std::sync::Mutex<Option<(String, String, String)>> = std::sync::Mutex::new(None);

fn remembered(url: &str) -> Option<(String, String)> {
    let guard = REMEMBERED.lock().ok()?;
    let (for_url, user, pass) = guard.as_ref()?;
    (for_url == &strip_userinfo(url)).then(|| (user.clone(), pass.clone()))
}

fn remember(url: &str, user: &str, pass: &str) {
    if let Ok(mut guard) = REMEMBERED.lock() {
        *guard = Some((strip_userinfo(url), user.to_string(), pass.to_string()));
    }
}

impl Credentials {
    pub fn new(git_dir: PathBuf) -> Credentials {
        Credentials {
            git_dir,
            http_step: 0,
            ssh_step: 0,
            tried: Vec::new(),
            exhausted: false,
            host_key: None,
        }
    }

    /// Starts a new connection: every source may be tried once more.
    /// (libgit2 repeats the callback only within one connection.)
    pub fn reset(&mut self) {
        self.http_step = 0;
        self.ssh_step = 0;
        self.exhausted = false;
        self.tried.clear();
    }

    /// The libgit2 credential callback.
    pub fn get(
        &mut self,
        url: &str,
        username: Option<&str>,
        allowed: CredentialType,
    ) -> Result<Cred, git2::Error> {
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            return self.https(url, username);
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            return self.ssh(username.unwrap_or("git"));
        }
        if allowed.contains(CredentialType::USERNAME) {
            return Cred::username(username.unwrap_or("git"));
        }
        self.give_up()
    }

    fn give_up(&mut self) -> Result<Cred, git2::Error> {
        self.exhausted = true;
        Err(git2::Error::new(
            git2::ErrorCode::Auth,
            git2::ErrorClass::Callback,
            "no more credentials to try",
        ))
    }

    fn https(&mut self, url: &str, username: Option<&str>) -> Result<Cred, git2::Error> {
        if self.http_step == 0 {
            if let Some((user, pass)) = remembered(url) {
                self.tried.push("the credentials given before".into());
                self.http_step = 3;
                return Cred::userpass_plaintext(&user, &pass);
            }
        }
        loop {
            let step = self.http_step;
            self.http_step += 1;
            match step {
                0 => {
                    let Some(token) = env("MLOPS_GIT_TOKEN") else {
                        continue;
                    };
                    let user = env("MLOPS_GIT_USERNAME")
                        .or_else(|| username.map(str::to_string))
                        .unwrap_or_else(|| "mlops".to_string());
                    self.tried.push("MLOPS_GIT_TOKEN".into());
                    // The contract's order: with a token set, the helpers
                    // and the prompt are not consulted.
                    self.http_step = 3;
                    return Cred::userpass_plaintext(&user, &token);
                }
                1 => {
                    if let Some((user, pass)) = self.helper(url, username) {
                        self.tried.push("the git credential helper".into());
                        remember(url, &user, &pass);
                        return Cred::userpass_plaintext(&user, &pass);
                    }
                }
                2 => {
                    if let Some((user, pass)) = prompt(url, username) {
                        self.tried.push("the password prompt".into());
                        remember(url, &user, &pass);
                        return Cred::userpass_plaintext(&user, &pass);
                    }
                }
                _ => return self.give_up(),
            }
        }
    }

    /// Runs `git credential fill` with prompts off; `None` when no helper
    /// knows this URL (or git is not installed).
    fn helper(&self, url: &str, username: Option<&str>) -> Option<(String, String)> {
        let mut input = format!("url={}\n", strip_userinfo(url));
        if let Some(user) = username {
            input.push_str(&format!("username={user}\n"));
        }
        input.push('\n');
        let mut child = Command::new("git")
            .args(["credential", "fill"])
            .current_dir(&self.git_dir)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ASKPASS", "true")
            .env_remove("SSH_ASKPASS")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        child.stdin.take()?.write_all(input.as_bytes()).ok()?;
        let out = child.wait_with_output().ok()?;
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8(out.stdout).ok()?;
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                .map(str::to_string)
        };
        // GIT_ASKPASS=true answers with an empty line: that is no answer.
        match (field("username"), field("password")) {
            (Some(u), Some(p)) if !p.is_empty() => Some((u, p)),
            _ => None,
        }
    }

    fn ssh(&mut self, username: &str) -> Result<Cred, git2::Error> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        loop {
            let step = self.ssh_step;
            self.ssh_step += 1;
            match step {
                0 => {
                    if let Some(key) = env("MLOPS_SSH_KEY") {
                        self.tried.push(format!("MLOPS_SSH_KEY ({key})"));
                        self.ssh_step = usize::MAX;
                        return Cred::ssh_key(username, None, PathBuf::from(key).as_path(), None);
                    }
                }
                1 => {
                    if std::env::var_os("SSH_AUTH_SOCK").is_some() {
                        self.tried.push("ssh-agent".into());
                        return Cred::ssh_key_from_agent(username);
                    }
                }
                2..=4 => {
                    let name = ["id_ed25519", "id_ecdsa", "id_rsa"][step - 2];
                    let Some(path) = home.as_ref().map(|h| h.join(".ssh").join(name)) else {
                        continue;
                    };
                    if path.is_file() {
                        self.tried.push(format!("~/.ssh/{name}"));
                        return Cred::ssh_key(username, None, &path, None);
                    }
                }
                _ => return self.give_up(),
            }
        }
    }

    /// The certificate callback: TLS certificates and known_hosts are left
    /// to libgit2 (passthrough); the SSH key is remembered so a refusal can
    /// name its fingerprint.
    pub fn check_cert(
        &mut self,
        cert: &Cert<'_>,
        host: &str,
    ) -> Result<CertificateCheckStatus, git2::Error> {
        if let Some(key) = cert.as_hostkey() {
            let kind = key.hostkey_type().map_or("", |t| t.name());
            let fingerprint = key
                .hash_sha256()
                .map(|h| format!("SHA256:{}", base64(h)))
                .unwrap_or_else(|| "unknown fingerprint".into());
            let (h, port) = split_host(host);
            self.host_key = Some((h, port, format!("{kind} {fingerprint}").trim().into()));
        }
        Ok(CertificateCheckStatus::CertificatePassthrough)
    }

    /// Classifies a failed network operation on `url`.
    pub fn failure(&self, url: &str, err: &git2::Error) -> Failure {
        let shown = redact(url);
        let tried = if self.tried.is_empty() {
            "tried: nothing was configured".to_string()
        } else {
            format!("tried: {}", self.tried.join(", "))
        };
        if err.code() == git2::ErrorCode::Certificate || err.message().contains("hostkey") {
            if let Some((host, port, fingerprint)) = &self.host_key {
                let (host, port) = match port {
                    Some(p) => (host.clone(), Some(*p)),
                    None => (host.clone(), host_port(url).1),
                };
                let state = if known_host(&host, port) {
                    "does not match the key recorded in ~/.ssh/known_hosts: it changed, or someone is in between"
                } else {
                    "is not in ~/.ssh/known_hosts"
                };
                return Failure::HostKey {
                    host,
                    port,
                    fingerprint: fingerprint.clone(),
                    state,
                };
            }
        }
        let auth = err.code() == git2::ErrorCode::Auth
            || err.message().contains("authentication")
            || err.message().contains("401");
        if self.exhausted || auth {
            if self.tried.is_empty() {
                return Failure::NoCredentials { url: shown, tried };
            }
            return Failure::Auth { url: shown, tried };
        }
        Failure::from_git(err)
    }
}

/// Whether `~/.ssh/known_hosts` has any entry for the host (hashed entries
/// included), asked of `ssh-keygen -F` so both spellings are understood.
fn known_host(host: &str, port: Option<u16>) -> bool {
    let Some(home) = std::env::var_os("HOME") else {
        return false;
    };
    let name = match port {
        Some(p) if p != 22 => format!("[{host}]:{p}"),
        _ => host.to_string(),
    };
    let file = PathBuf::from(home).join(".ssh/known_hosts");
    Command::new("ssh-keygen")
        .arg("-F")
        .arg(&name)
        .arg("-f")
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Asks on the terminal (stdin and stderr must be terminals).
fn prompt(url: &str, username: Option<&str>) -> Option<(String, String)> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return None;
    }
    let shown = redact(url);
    let user = match username {
        Some(u) => u.to_string(),
        None => dialoguer::Input::<String>::new()
            .with_prompt(format!("Username for {shown}"))
            .interact_text()
            .ok()?,
    };
    let pass = dialoguer::Password::new()
        .with_prompt(format!("Password or token for {user} at {shown}"))
        .interact()
        .ok()?;
    Some((user, pass))
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// `https://user:pass@host/x` → `https://host/x`.
fn strip_userinfo(url: &str) -> String {
    match url.find("://") {
        Some(i) => {
            let (scheme, rest) = url.split_at(i + 3);
            let end = rest.find('/').unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => format!("{scheme}{}", &rest[at + 1..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

/// libgit2 passes `host` or `host:port`.
fn split_host(host: &str) -> (String, Option<u16>) {
    match host.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h.to_string(), p.parse().ok()),
        _ => (host.to_string(), None),
    }
}

/// Unpadded standard base64, the way OpenSSH prints fingerprints.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_openssh() {
        assert_eq!(base64(b"hello"), "aGVsbG8");
        assert_eq!(base64(b"hi!"), "aGkh");
    }

    #[test]
    fn strips_userinfo() {
        assert_eq!(strip_userinfo("https://a:b@h/x"), "https://h/x");
        assert_eq!(strip_userinfo("https://h/x@y"), "https://h/x@y");
    }
}
