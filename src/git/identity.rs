//! Who the commit is by, in the order the contract gives: the GIT_AUTHOR_*
//! and GIT_COMMITTER_* variables, else user.name/user.email from git config
//! (repository, then global), else `mlops <mlops@localhost>` with a warning,
//! so a bare CI runner still works.

use git2::{Repository, Signature};

use crate::error::{self, Result};

const FALLBACK_NAME: &str = "mlops";
const FALLBACK_EMAIL: &str = "mlops@localhost";

/// (author, committer) for a new commit. `warn` hears about the fallback.
pub fn signatures(
    repo: &Repository,
    warn: &mut dyn FnMut(&str),
) -> Result<(Signature<'static>, Signature<'static>)> {
    let config = repo.config().ok();
    let from_config = |key: &str| {
        config
            .as_ref()
            .and_then(|c| c.get_string(key).ok())
            .filter(|v| !v.trim().is_empty())
    };
    let config_name = from_config("user.name");
    let config_email = from_config("user.email");
    let mut fell_back = false;
    let mut pick = |role: &str| {
        let name = env(&format!("GIT_{role}_NAME")).or_else(|| config_name.clone());
        let email = env(&format!("GIT_{role}_EMAIL")).or_else(|| config_email.clone());
        if name.is_none() || email.is_none() {
            fell_back = true;
        }
        (
            name.unwrap_or_else(|| FALLBACK_NAME.to_string()),
            email.unwrap_or_else(|| FALLBACK_EMAIL.to_string()),
        )
    };
    let (author_name, author_email) = pick("AUTHOR");
    let (committer_name, committer_email) = pick("COMMITTER");
    if fell_back {
        warn(&format!(
            "no git identity configured; committing as {FALLBACK_NAME} <{FALLBACK_EMAIL}> (set user.name and user.email, or GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL)"
        ));
    }
    let sign = |name: &str, email: &str| {
        Signature::now(name, email).map_err(|e| {
            error::failure(format!("invalid git identity {name} <{email}>")).caused_by(e)
        })
    };
    Ok((
        sign(&author_name, &author_email)?,
        sign(&committer_name, &committer_email)?,
    ))
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}
