//! Error kinds and the exit codes of the contract.
//!
//! Handlers return [`Error`], which carries a [`Kind`] (mapped to exactly one
//! exit code in [`Kind::exit_code`]), a message, optional hints ("what to do")
//! and an optional cause chain. `main.rs` renders it in one place, so every
//! command reports failures the same way, in text or JSON. The git layer
//! has its own error in git terms (`git::error`); `commands/git_error.rs`
//! converts it into this one.

use std::fmt;

/// What went wrong, in the terms of the contract's exit-status table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Exit 1: any other failure, e.g. a target file with local changes.
    Failure,
    /// Exit 1: the user declined the confirmation. Printed without "error:".
    Declined,
    /// Exit 2: usage error (missing argument, no terminal to ask on).
    Usage,
    /// Exit 3: a config can't be read, parsed or edited safely, or an
    /// env/model does not exist. Nothing was written.
    Config,
    /// Exit 4: a git step failed (auth, network, rejected push after retries).
    Git,
    /// Exit 5: pushed, but `--wait` ran out of time or the deployment is
    /// degraded.
    Wait,
    /// Exit 0 and no output: the reader of our stdout went away (`| head`).
    BrokenPipe,
}

impl Kind {
    /// The process exit status for this kind (see CONTRACT.md, "Exit status").
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::BrokenPipe => 0,
            Kind::Failure | Kind::Declined => 1,
            Kind::Usage => 2,
            Kind::Config => 3,
            Kind::Git => 4,
            Kind::Wait => 5,
        }
    }
}

/// A user-facing error: kind, message, hints and an optional cause.
#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    pub hints: Vec<String>,
    pub cause: Option<anyhow::Error>,
}

/// The result type of every command and of the layers below them.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hints: Vec::new(),
            cause: None,
        }
    }

    /// Adds a "Hint:" line telling the user what to do next.
    pub fn hinted(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Attaches the lower-level cause, printed as "Caused by:". A libgit2
    /// error keeps only its message: its class and code
    /// (`class=Config (7); code=NotFound (-3)`) mean nothing to a user.
    pub fn caused_by(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.cause = Some(crate::git::error::plain(cause.into()));
        self
    }

    /// The full text: message, then the cause chain, on one line each.
    pub fn causes(&self) -> Vec<String> {
        crate::git::error::chain(self.cause.as_ref())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Exit 1.
pub fn failure(message: impl Into<String>) -> Error {
    Error::new(Kind::Failure, message)
}

/// Exit 2.
pub fn usage(message: impl Into<String>) -> Error {
    Error::new(Kind::Usage, message)
}

/// Exit 3.
pub fn config(message: impl Into<String>) -> Error {
    Error::new(Kind::Config, message)
}

/// Exit 4.
pub fn git(message: impl Into<String>) -> Error {
    Error::new(Kind::Git, message)
}

/// Turns an I/O error into our error, naming the path involved; a broken
/// pipe becomes a quiet exit 0.
pub fn io(kind: Kind, what: &str, path: &std::path::Path, err: std::io::Error) -> Error {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        return Error::new(Kind::BrokenPipe, "broken pipe");
    }
    Error::new(kind, format!("could not {what} {}", path.display())).caused_by(err)
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            Error::new(Kind::BrokenPipe, "broken pipe")
        } else {
            failure(err.to_string()).caused_by(err)
        }
    }
}
