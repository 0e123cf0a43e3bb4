//! Failures of the remote side, in git terms, and how they read to a user.
//!
//! The git layer classifies what went wrong ([`Failure`]); the call site,
//! which knows what has and has not happened yet, adds the state of the
//! checkout and the remote ([`Failure::into_error`]). Every text that leaves
//! here went through [`super::url::scrub`], so no URL userinfo and no token
//! from the environment can reach the terminal or a CI log.

use git2::Oid;

use super::mask::mask;
use super::url::scrub;
use super::{Target, Workspace};
use crate::git::error::{self, Error};

/// Something the remote (or the way to it) refused.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The server did not accept any credential we had.
    #[error("authentication to {url} failed ({tried})")]
    Auth { url: String, tried: String },

    /// No credential source had anything for this URL.
    #[error("no credentials for {url} ({tried})")]
    NoCredentials { url: String, tried: String },

    /// The SSH server's host key is not in `~/.ssh/known_hosts`, or differs
    /// from the one recorded there.
    #[error("the SSH host key of {host} ({fingerprint}) {state}")]
    HostKey {
        host: String,
        port: Option<u16>,
        fingerprint: String,
        state: &'static str,
    },

    /// The remote refused the update for a reason a retry will not fix
    /// (a protected branch, a hook).
    #[error("the remote refused to update {refname}: {message}")]
    Rejected { refname: String, message: String },

    /// The HTTPS server's certificate did not verify against the CA
    /// certificates mlops knows.
    #[error("{0}")]
    Certificate(String),

    /// Any other libgit2 failure (network, protocol, repository).
    #[error("{0}")]
    Other(String),
}

impl Failure {
    /// From a libgit2 error, scrubbed.
    pub fn from_git(err: &git2::Error) -> Failure {
        if err.code() == git2::ErrorCode::Certificate || err.class() == git2::ErrorClass::Ssl {
            return Failure::Certificate(scrub(err.message()));
        }
        Failure::Other(scrub(err.message()))
    }

    /// The user-facing error ([`error::Kind::Remote`]): what failed, then
    /// `state` (what the checkout and the remote look like now) as the
    /// first advice, then what to do about this kind of failure.
    pub fn into_error(self, doing: &str, state: &str) -> Error {
        let hints = self.hints();
        // Remote words (a server's, ssh's) inside are masked as git masks them.
        let mut err = error::remote(scrub(&mask(format!("{doing}: {self}").as_bytes())));
        if !state.is_empty() {
            err = err.advised(state.to_string());
        }
        for hint in hints {
            err = err.advised(hint);
        }
        err
    }

    fn hints(&self) -> Vec<String> {
        match self {
            Failure::Auth { url, .. } | Failure::NoCredentials { url, .. } => {
                let https = "HTTPS: set MLOPS_GIT_USERNAME and MLOPS_GIT_TOKEN, or configure a git credential helper (credential.helper=store with ~/.git-credentials)";
                let ssh = "SSH: set MLOPS_SSH_KEY to a private key file, load the key into ssh-agent, or name it with IdentityFile in ~/.ssh/config";
                match url.starts_with("http://") || url.starts_with("https://") {
                    true => vec![https.into()],
                    false => vec![ssh.into()],
                }
            }
            Failure::HostKey { host, port, .. } => {
                let (scan, entry) = match port {
                    Some(port) => (format!("ssh-keyscan -p {port} {host}"), format!("[{host}]:{port}")),
                    None => (format!("ssh-keyscan {host}"), host.clone()),
                };
                vec![
                    "compare the fingerprint with the one the server's administrator publishes; never trust a key you cannot check".into(),
                    format!("to trust it: {scan} >> ~/.ssh/known_hosts (or ssh -p PORT {host} once and answer yes)"),
                    format!("if the server's key was changed on purpose, remove the old entry first: ssh-keygen -R '{entry}'"),
                ]
            }
            Failure::Rejected { .. } => vec![
                "if the branch is protected, push to a new branch with --branch NAME and open a pull request".into(),
            ],
            Failure::Certificate(_) => vec![
                "for a server whose certificate comes from a private CA, name the CA's PEM file as for git: git config http.sslCAInfo /path/to/ca.pem, or GIT_SSL_CAINFO=/path/to/ca.pem".into(),
            ],
            Failure::Other(_) => Vec::new(),
        }
    }
}

/// What to tell about the checkout when nothing of ours reached it.
pub const UNCHANGED_CHECKOUT: &str = "your checkout is unchanged (no commit, no file written)";

/// What an interruption during the push leaves (src/interrupt.rs).
pub(crate) fn while_pushing(ws: &Workspace, target: &Target, commit: Oid) -> String {
    let local = match ws.temp {
        None => format!("; {UNCHANGED_CHECKOUT}"),
        Some(_) => String::new(),
    };
    format!(
        "while pushing {commit:.10} to {remote}/{branch}: the push may or may not have reached the remote (git ls-remote {remote} refs/heads/{branch} tells; the same command run again does not make the change twice){local}",
        remote = target.remote,
        branch = target.branch,
    )
}

/// What an interruption after the push leaves: the remote has it; a
/// checkout on the branch is not brought along yet.
pub(crate) fn after_push(ws: &Workspace, target: &Target, commit: Oid) -> String {
    let local = match (&ws.temp, ws.head) {
        (Some(_), _) => "",
        (None, Some(_)) => {
            "; the checkout was not brought along yet (git pull --ff-only brings it)"
        }
        (None, None) => "; the checkout is not touched",
    };
    format!(
        "after {}/{} got {commit:.10}: the change is pushed{local}",
        target.remote, target.branch
    )
}
