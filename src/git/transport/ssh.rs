//! SSH through the OpenSSH client, the way git runs it (`connect.c`):
//! `ssh [-p PORT] [USER@]HOST "git-upload-pack 'PATH'"`, the program
//! being `GIT_SSH_COMMAND` (through the shell), else `core.sshCommand`
//! (through the shell), else `GIT_SSH` (no shell), else `ssh`. So
//! `~/.ssh/config` (`Host` aliases, `ProxyJump`, `IdentityFile`),
//! ssh-agent, certificates and FIDO keys all work as for `git push`.
//!
//! What mlops adds to git's command line, for plain `ssh` only:
//! - `-o BatchMode=yes` when nobody can answer a prompt, so an unknown
//!   host key fails at once instead of waiting;
//! - `MLOPS_SSH_KEY` as `-i KEY -o IdentitiesOnly=yes`;
//! - the contract's `~ = $HOME`: OpenSSH reads the home directory from the
//!   password database, so when `$HOME` is elsewhere (Tekton, CI), its
//!   `.ssh/config`, `.ssh/known_hosts` and default keys are given to ssh
//!   ([`home_config`]);
//! - `-v`, whose `debug1:` lines (never shown) tell which host key and
//!   address a refusal was about.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::ssh_config::{self, passwd_home, Places};
use super::{local, mux, Ended, Program, Settings};
use crate::git::fail::Failure;
use crate::git::url::redact;

/// Where an SSH URL points, as git's `parse_connect_url` reads it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Address {
    /// `[user@]host`, brackets removed.
    pub host: String,
    pub port: Option<String>,
    pub path: String,
}

/// Parses `ssh://[user@]host[:port]/path` (also `git+ssh://`,
/// `ssh+git://`, percent-decoded) and scp-like `[user@]host:path`, with
/// `[...]` around an IPv6 host; `/~user/x` reads `~user/x`.
pub(crate) fn parse(url: &str) -> Result<Address, String> {
    let (rest, separator) = match url.split_once("://") {
        Some((_, rest)) => (local::decode(rest), '/'),
        None => (url.to_string(), ':'),
    };
    // The host ends at the separator after any `[...]`.
    let bracket = rest
        .find("@[")
        .map(|i| i + 1)
        .or(rest.starts_with('[').then_some(0));
    let scan_from = bracket
        .and_then(|open| rest[open..].find(']').map(|close| open + close))
        .unwrap_or(0);
    let Some(at) = rest[scan_from..].find(separator).map(|i| scan_from + i) else {
        return Err(format!("no path in the SSH URL {}", redact(url)));
    };
    let (host, path) = (&rest[..at], &rest[at..]);
    let path = if separator == ':' { &path[1..] } else { path };
    let path = match path.strip_prefix('/') {
        Some(tail) if tail.starts_with('~') => tail,
        _ => path,
    };
    let (host, port) = host_and_port(host);
    if host.is_empty() || path.is_empty() {
        return Err(format!("no host or no path in the SSH URL {}", redact(url)));
    }
    if host.starts_with('-') || path.starts_with('-') {
        return Err(format!("refusing the strange SSH URL {}", redact(url)));
    }
    Ok(Address {
        host,
        port,
        path: path.to_string(),
    })
}

/// git's `get_host_and_port`: `user@[::1]:22` → (`user@::1`, `22`).
fn host_and_port(host: &str) -> (String, Option<String>) {
    let (host, end) = match (host.find('['), host.find(']')) {
        (Some(open), Some(close)) if open < close && (open == 0 || host[..open].ends_with('@')) => {
            (
                format!(
                    "{}{}{}",
                    &host[..open],
                    &host[open + 1..close],
                    &host[close + 1..]
                ),
                close - 1,
            )
        }
        _ => (host.to_string(), 0),
    };
    let Some(colon) = host[end..].find(':').map(|i| end + i) else {
        return (host, None);
    };
    let port = &host[colon + 1..];
    if port.is_empty() {
        (host[..colon].to_string(), None)
    } else if port.parse::<u16>().is_ok() && port.bytes().all(|b| b.is_ascii_digit()) {
        (host[..colon].to_string(), Some(port.to_string()))
    } else {
        (host, None)
    }
}

/// git's `sq_quote`: `'...'`, with `'` and `!` taken out of the quotes.
pub(crate) fn sq_quote(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\'' | '!' => out.push_str(&format!("'\\{c}'")),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// How the ssh program takes a port (git's `ssh.variant`).
#[derive(Debug, PartialEq, Eq)]
enum Variant {
    OpenSsh,
    Plink,
    TortoisePlink,
    Simple,
}

fn variant(program: &str, settings: &Settings) -> Variant {
    let configured = std::env::var("GIT_SSH_VARIANT")
        .ok()
        .or(settings.ssh_variant.clone());
    let name = match configured {
        Some(v) if v != "auto" => v,
        _ => {
            let first = program.split_whitespace().next().unwrap_or("ssh");
            let base = first.rsplit('/').next().unwrap_or(first);
            base.trim_end_matches(".exe").to_ascii_lowercase()
        }
    };
    match name.as_str() {
        "plink" | "putty" => Variant::Plink,
        "tortoiseplink" => Variant::TortoisePlink,
        "simple" => Variant::Simple,
        _ => Variant::OpenSsh,
    }
}

/// The ssh command for `service` on `url`.
pub(crate) fn program(url: &str, service: &str, settings: &Settings) -> Result<Program, String> {
    let address = parse(url)?;
    let (mut command, line) = launcher(settings);
    let variant = variant(&line, settings);
    let mut keep = None;
    if variant == Variant::OpenSsh {
        if line == "ssh" {
            command.arg("-v");
            keep = home_config();
            if let Some(config) = &keep {
                command.arg("-F").arg(config);
            }
        }
        if !can_prompt() {
            command.args(["-o", "BatchMode=yes"]);
        }
        if let Some(key) = std::env::var_os("MLOPS_SSH_KEY").filter(|k| !k.is_empty()) {
            command
                .arg("-i")
                .arg(key)
                .args(["-o", "IdentitiesOnly=yes"]);
        }
        let users_sharing = || {
            let places = Places::of_this_user();
            if places.is_some_and(|p| !ssh_config::may_share(&line, keep.as_deref(), &p)) {
                return Some(false);
            }
            let (mut probe, _) = launcher(settings);
            if let Some(config) = &keep {
                probe.arg("-F").arg(config);
            }
            if let Some(port) = &address.port {
                probe.arg("-p").arg(port);
            }
            probe.arg("-G").arg(&address.host);
            mux::users_own(probe)
        };
        command.args(mux::options(&line, &address, service, users_sharing));
    }
    if variant == Variant::TortoisePlink {
        command.arg("-batch");
    }
    if let Some(port) = &address.port {
        match variant {
            Variant::OpenSsh => command.arg("-p"),
            Variant::Plink | Variant::TortoisePlink => command.arg("-P"),
            Variant::Simple => {
                return Err(format!(
                    "the ssh program (ssh.variant simple) cannot be given the port of {}",
                    redact(url)
                ))
            }
        };
        command.arg(port);
    }
    command
        .arg(&address.host)
        .arg(format!("{service} {}", sq_quote(&address.path)));
    local::clean_env(&mut command);
    Ok(Program {
        command,
        name: "ssh",
        keep,
        missing: "mlops runs the OpenSSH client, as git does, for ssh:// and host:path remotes: install openssh-client (or set GIT_SSH_COMMAND)",
    })
}

/// The ssh program as git picks it, and its command line for messages:
/// `GIT_SSH_COMMAND`, else `core.sshCommand` (both through the shell,
/// git's SHELL_PATH, when it has more to do than split the line:
/// [`super::shell`]), else `GIT_SSH`, else `ssh`.
fn launcher(settings: &Settings) -> (Command, String) {
    let shell = std::env::var("GIT_SSH_COMMAND")
        .ok()
        .filter(|c| !c.is_empty())
        .or(settings.ssh_command.clone());
    match shell {
        Some(line) => (super::shell::command(&line), line),
        None => {
            let ssh = std::env::var("GIT_SSH")
                .ok()
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "ssh".into());
            (Command::new(&ssh), ssh)
        }
    }
}

/// Whether ssh can ask the user (a passphrase, an unknown host key).
fn can_prompt() -> bool {
    std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal()
        && std::env::var("GIT_TERMINAL_PROMPT").map_or(true, |v| v != "0")
}

/// When `$HOME` is not the home OpenSSH reads (the password database's),
/// a configuration file for `-F` that reads `$HOME/.ssh/config`, then the
/// system's, and ends with what OpenSSH would otherwise look for under
/// its own home: `$HOME/.ssh/known_hosts` and the default keys there.
/// (A ProxyJump's ssh is given the same `-F`, so it reads them too.)
/// `None` when `$HOME` is that home: ssh then reads its files itself.
fn home_config() -> Option<tempfile::TempPath> {
    let home = std::env::var_os("HOME").map(PathBuf::from)?;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    if passwd_home().is_some_and(|p| same(&p, &home)) {
        return None;
    }
    let dir = home.join(".ssh");
    let mut text = String::new();
    for config in [dir.join("config"), PathBuf::from("/etc/ssh/ssh_config")] {
        if config.is_file() {
            text.push_str(&format!("Include \"{}\"\n", config.display()));
        }
    }
    // Options take their first value: these only fill what is unset.
    text.push_str("Host *\n");
    let known = dir.join("known_hosts");
    text.push_str(&format!("UserKnownHostsFile \"{}\"\n", known.display()));
    if std::env::var_os("MLOPS_SSH_KEY").is_none_or(|k| k.is_empty()) {
        for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
            let key = dir.join(name);
            if key.is_file() {
                text.push_str(&format!("IdentityFile \"{}\"\n", key.display()));
            }
        }
    }
    let mut file = tempfile::Builder::new()
        .prefix("mlops-ssh-config-")
        .tempfile()
        .ok()?;
    file.write_all(text.as_bytes()).ok()?;
    Some(file.into_temp_path())
}

/// What ssh's failure means: a host key refused, authentication refused,
/// or anything else in ssh's own words.
pub(crate) fn classify(url: &str, ended: &Ended) -> Failure {
    let text = &ended.stderr;
    // From `-v`: the last connection's address and host key.
    let last = |prefix: &str| {
        text.lines()
            .rev()
            .find_map(|l| l.strip_prefix(prefix).map(str::trim))
    };
    let changed = text.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
        || text.contains("has changed and you have requested strict checking");
    if changed || text.contains("Host key verification failed") {
        let (host, port) = match last("debug1: Authenticating to ")
            .and_then(|a| a.split(" as ").next())
            .and_then(|a| a.rsplit_once(':'))
        {
            Some((h, p)) => (h.to_string(), p.parse::<u16>().ok()),
            None => match parse(url) {
                Ok(a) => {
                    let host = a.host.rsplit('@').next().unwrap_or("").to_string();
                    (host, a.port.and_then(|p| p.parse().ok()))
                }
                Err(_) => (String::new(), None),
            },
        };
        let fingerprint = last("debug1: Server host key: ")
            .unwrap_or("fingerprint not shown by ssh")
            .to_string();
        return Failure::HostKey {
            host,
            port: port.filter(|p| *p != 22),
            fingerprint,
            state: match changed {
                true => "does not match the key recorded in ~/.ssh/known_hosts: it changed, or someone is in between",
                false => "is not in ~/.ssh/known_hosts",
            },
        };
    }
    if text.contains("Permission denied (") {
        let offered: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("debug1: Offering public key: "))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        let tried = match offered.is_empty() {
            true => "ssh had no key the server accepted".to_string(),
            false => format!("ssh offered: {}", offered.join(", ")),
        };
        return Failure::Auth {
            url: redact(url),
            tried,
        };
    }
    Failure::Other(ended.summary())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(host: &str, port: Option<&str>, path: &str) -> Address {
        Address {
            host: host.into(),
            port: port.map(str::to_string),
            path: path.into(),
        }
    }

    #[test]
    fn parses_urls_as_git_does() {
        for (url, want) in [
            (
                "gitops-forge:team/r.git",
                address("gitops-forge", None, "team/r.git"),
            ),
            (
                "git@github.com:org/r.git",
                address("git@github.com", None, "org/r.git"),
            ),
            (
                "ssh://u@h:2222/srv/r.git",
                address("u@h", Some("2222"), "/srv/r.git"),
            ),
            ("ssh://h/~u/r.git", address("h", None, "~u/r.git")),
            ("git+ssh://h/a%20b.git", address("h", None, "/a b.git")),
            ("ssh://u@[::1]:22/r", address("u@::1", Some("22"), "/r")),
            ("[::1]:r.git", address("::1", None, "r.git")),
            ("h:~/r.git", address("h", None, "~/r.git")),
        ] {
            assert_eq!(parse(url).unwrap(), want, "{url}");
        }
        assert!(parse("-oProxyCommand=x:r").is_err());
        assert!(parse("ssh://h").is_err());
    }

    #[test]
    fn quotes_paths_as_git_does() {
        assert_eq!(sq_quote("/srv/r.git"), "'/srv/r.git'");
        assert_eq!(sq_quote("it's!"), "'it'\\''s'\\!''");
    }
}
