//! The git layer's errors in the contract's terms.
//!
//! `src/git` reports what stopped git ([`GitKind`]); this is the
//! one place that decides which exit code each of those is (CONTRACT.md,
//! "Exit status"). git's advice becomes the hints, and message and cause
//! are kept as they are. With this, a `?` on a git result converts, in a
//! command or in any other layer.

use crate::error::{Error, Kind};
use crate::git::error::{self as git, Kind as GitKind};

/// The contract's kind for a git kind.
fn kind(kind: GitKind) -> Kind {
    match kind {
        // Exit 4: a git step failed, on the remote or in the repository.
        GitKind::Remote | GitKind::Repository => Kind::Git,
        // Exit 1: the checkout, a hook or something else local stops the run.
        GitKind::Checkout | GitKind::Hook | GitKind::Other => Kind::Failure,
        // Exit 3: nothing can be written there safely; nothing was.
        GitKind::Path => Kind::Config,
        // Exit 2: what the user typed is not something git accepts.
        GitKind::Input => Kind::Usage,
        // Exit 0, quietly.
        GitKind::BrokenPipe => Kind::BrokenPipe,
    }
}

impl From<git::Error> for Error {
    fn from(err: git::Error) -> Self {
        Error {
            kind: kind(err.kind),
            message: err.message,
            hints: err.advice,
            cause: err.cause,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_git_kind_has_its_exit_code() {
        let codes = [
            (GitKind::Remote, 4),
            (GitKind::Repository, 4),
            (GitKind::Checkout, 1),
            (GitKind::Hook, 1),
            (GitKind::Other, 1),
            (GitKind::Path, 3),
            (GitKind::Input, 2),
            (GitKind::BrokenPipe, 0),
        ];
        for (git, code) in codes {
            assert_eq!(kind(git).exit_code(), code, "{git:?}");
        }
    }

    #[test]
    fn message_advice_and_cause_carry_over() {
        let err: Error = git::checkout("uncommitted changes in a")
            .advised("commit them")
            .caused_by(anyhow::anyhow!("below"))
            .into();
        assert_eq!(err.kind, Kind::Failure);
        assert_eq!(err.message, "uncommitted changes in a");
        assert_eq!(err.hints, ["commit them"]);
        assert_eq!(err.causes(), ["below"]);
    }
}
