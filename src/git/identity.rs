//! Who the commit is by, in the order the contract gives: the GIT_AUTHOR_*
//! and GIT_COMMITTER_* variables, else `author.*`/`committer.*`, then
//! `user.name`/`user.email` from git config as git reads it (every source:
//! `GIT_CONFIG_GLOBAL`, `GIT_CONFIG_COUNT`, `git -c`, includes and
//! `includeIf`; src/git/config.rs), else `mlops <mlops@localhost>` with a
//! warning, so a bare CI runner still works.

use git2::{Repository, Signature};

use crate::git::error::{self, Result};

const FALLBACK_NAME: &str = "mlops";
const FALLBACK_EMAIL: &str = "mlops@localhost";

/// (author, committer) for a new commit. `warn` hears about the fallback.
pub fn signatures(
    repo: &Repository,
    warn: &mut dyn FnMut(&str),
) -> Result<(Signature<'static>, Signature<'static>)> {
    let config = super::config::of(repo);
    let from_config = |key: &str| config.string(key).filter(|v| !v.trim().is_empty());
    let mut fell_back = false;
    // As git's `fmt_ident`: the variable, else `author.name` or
    // `committer.name`, else `user.name` (and `EMAIL` before giving up on
    // an email).
    let mut pick = |role: &str| {
        let lower = role.to_ascii_lowercase();
        let name = env(&format!("GIT_{role}_NAME"))
            .or_else(|| from_config(&format!("{lower}.name")))
            .or_else(|| from_config("user.name"));
        let email = env(&format!("GIT_{role}_EMAIL"))
            .or_else(|| from_config(&format!("{lower}.email")))
            .or_else(|| from_config("user.email"))
            .or_else(|| env("EMAIL"));
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
            error::checkout(format!("invalid git identity {name} <{email}>")).caused_by(e)
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
