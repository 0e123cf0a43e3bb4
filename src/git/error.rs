//! The git layer's errors, in git terms.
//!
//! Everything under `src/git` returns [`Error`]: a [`Kind`] saying what
//! stopped git, a message, git's "hint:" lines ([`Error::advised`]) and an
//! optional cause. The kinds name what happened the way git would:
//!
//! - [`Kind::Remote`]: the remote, or the way to it, failed or said no:
//!   network, TLS, SSH, authentication, a server's refusal, a push
//!   rejected again after the retries, a remote or branch that is not there.
//! - [`Kind::Repository`]: a step on the local repository failed: reading
//!   or writing objects, refs, the index or a quarantine, a lock someone
//!   else holds, signing the commit, libgit2 itself.
//! - [`Kind::Checkout`]: the state of the checkout stops the run before
//!   anything is written: local changes, a detached HEAD without
//!   `--branch`, a branch ahead of its upstream, refs that moved meanwhile,
//!   a merge in progress, not a checkout at all, push settings that name no
//!   branch.
//! - [`Kind::Path`]: a path in the work tree that git would not write as
//!   asked: a symlink on the way, not a regular file, a read-only file.
//! - [`Kind::Hook`]: a hook refused, or left an empty commit message.
//! - [`Kind::Input`]: a name or URL git itself refuses: a branch name
//!   `git check-ref-format` rejects, something that is not a git URL.
//! - [`Kind::Other`]: any other local failure (a temporary folder, a file).
//! - [`Kind::BrokenPipe`]: the reader at the other end of a pipe went away.
//!
//! The git layer does not know the contract's exit codes: `src/commands/`
//! maps each kind to one (`commands/git_error.rs`), and a `?` in a command
//! or in another layer converts.

use std::fmt;
use std::path::Path;

/// What stopped git. See the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Remote,
    Repository,
    Checkout,
    Path,
    Hook,
    Input,
    Other,
    BrokenPipe,
}

/// An error of the git layer: kind, message, advice and an optional cause.
#[derive(Debug)]
pub(crate) struct Error {
    pub(crate) kind: Kind,
    pub(crate) message: String,
    /// git's "hint:" lines: what to do next, in order.
    pub(crate) advice: Vec<String>,
    pub(crate) cause: Option<anyhow::Error>,
}

/// The result type of the git layer.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            advice: Vec::new(),
            cause: None,
        }
    }

    /// Adds a line of advice (a "Hint:" line) telling what to do next.
    pub(crate) fn advised(mut self, advice: impl Into<String>) -> Self {
        self.advice.push(advice.into());
        self
    }

    /// Attaches the lower-level cause, printed as "Caused by:". A libgit2
    /// error keeps only its message: its class and code
    /// (`class=Config (7); code=NotFound (-3)`) mean nothing to a user.
    pub(crate) fn caused_by(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.cause = Some(plain(cause.into()));
        self
    }

    /// The cause chain, one line each.
    pub(crate) fn causes(&self) -> Vec<String> {
        chain(self.cause.as_ref())
    }
}

/// `cause` as a user reads it: a libgit2 error keeps only its message.
pub(crate) fn plain(cause: anyhow::Error) -> anyhow::Error {
    match cause.downcast_ref::<git2::Error>() {
        Some(e) => anyhow::anyhow!(e.message().to_string()),
        None => cause,
    }
}

/// `cause` and what caused it, one line each.
pub(crate) fn chain(cause: Option<&anyhow::Error>) -> Vec<String> {
    cause
        .map(|c| c.chain().map(|e| e.to_string()).collect())
        .unwrap_or_default()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            Error::new(Kind::BrokenPipe, "broken pipe")
        } else {
            other(err.to_string()).caused_by(err)
        }
    }
}

/// The remote, or the way to it, failed or said no.
pub(crate) fn remote(message: impl Into<String>) -> Error {
    Error::new(Kind::Remote, message)
}

/// A step on the local repository failed.
pub(crate) fn repository(message: impl Into<String>) -> Error {
    Error::new(Kind::Repository, message)
}

/// The state of the checkout stops the run.
pub(crate) fn checkout(message: impl Into<String>) -> Error {
    Error::new(Kind::Checkout, message)
}

/// A work-tree path git would not write as asked.
pub(crate) fn path(message: impl Into<String>) -> Error {
    Error::new(Kind::Path, message)
}

/// A hook refused.
pub(crate) fn hook(message: impl Into<String>) -> Error {
    Error::new(Kind::Hook, message)
}

/// A name or URL git refuses.
pub(crate) fn input(message: impl Into<String>) -> Error {
    Error::new(Kind::Input, message)
}

/// Any other local failure.
pub(crate) fn other(message: impl Into<String>) -> Error {
    Error::new(Kind::Other, message)
}

/// An I/O error on `path` while doing `what`, as `kind`; a broken pipe is
/// [`Kind::BrokenPipe`], whatever was being done.
pub(crate) fn io(kind: Kind, what: &str, path: &Path, err: std::io::Error) -> Error {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        return Error::new(Kind::BrokenPipe, "broken pipe");
    }
    Error::new(kind, format!("could not {what} {}", path.display())).caused_by(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_libgit2_cause_keeps_only_its_message() {
        let e = git2::Error::new(
            git2::ErrorCode::NotFound,
            git2::ErrorClass::Config,
            "no such key",
        );
        let err = repository("could not read").caused_by(e);
        assert_eq!(err.causes(), ["no such key"]);
    }

    #[test]
    fn a_broken_pipe_is_its_own_kind() {
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let err = io(Kind::Repository, "write", Path::new("x"), pipe);
        assert_eq!(
            (err.kind, err.message.as_str()),
            (Kind::BrokenPipe, "broken pipe")
        );
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let err = io(Kind::Repository, "write", Path::new("x"), denied);
        assert_eq!(
            (err.kind, err.message.as_str()),
            (Kind::Repository, "could not write x")
        );
    }
}
