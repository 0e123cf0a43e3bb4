//! Pull requests on the forge that hosts the remote (Gitea and Forgejo,
//! the workshop's forge), through its REST API: what the workshop's
//! pipeline does with `curl … /api/v1/repos/{owner}/{repo}/pulls`.
//!
//! The repository is the remote's URL (`https://host[/prefix]/owner/repo.git`:
//! the API lives at `https://host[/prefix]/api/v1`). The forge is Gitea when
//! `GET /api/v1/version` answers with a version (Forgejo answers the same),
//! or when the user says so (`--forge gitea`). Credentials are the push's:
//! `MLOPS_GIT_USERNAME`/`MLOPS_GIT_TOKEN`, else what the credential helper
//! or the prompt answered for the push (src/git/credentials.rs), sent as
//! basic auth (Gitea takes a token as the password). Nothing here prints.

mod gitea;
pub(crate) mod http;

use std::path::PathBuf;

use serde::Serialize;

use crate::error::{Error, Kind, Result};
use crate::git::url::{redact, scrub};

/// The pull request of a run, for the report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct PullRequest {
    pub number: u64,
    pub url: String,
    /// False when an open one for the same branch was reused.
    pub created: bool,
    /// The branch it merges into.
    #[serde(skip)]
    pub base: String,
}

/// What to open.
pub(crate) struct Ask<'a> {
    /// The remote's URL as the push used it (may hold userinfo).
    pub remote_url: &'a str,
    pub head: &'a str,
    /// `--base`, else the branch a new `--branch` was created from; `None`:
    /// the repository's default branch, asked from the forge.
    pub base: Option<&'a str>,
    pub message: &'a str,
    /// `--forge gitea`: do not ask the forge what it is.
    pub assume_gitea: bool,
    /// Where `git credential fill` runs.
    pub git_dir: PathBuf,
    pub settings: http::Settings,
    /// Shows what an askpass program asked for the credentials says.
    pub renderer: crate::git::progress::Renderer,
}

/// The repository on the forge: the API's base and `owner/repo`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Repo {
    pub api: String,
    pub owner: String,
    pub name: String,
}

/// `https://host/prefix/owner/repo.git` → the API at
/// `https://host/prefix/api/v1` and `owner`, `repo`. Only HTTP(S) remotes.
pub(crate) fn repo_of(url: &str) -> Option<Repo> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = rest.split_once('/')?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let mut parts: Vec<&str> = path.split('/').collect();
    let name = parts.pop().filter(|s| !s.is_empty())?;
    let owner = parts.pop().filter(|s| !s.is_empty())?;
    let prefix: String = parts.iter().map(|p| format!("/{p}")).collect();
    Some(Repo {
        api: format!("{scheme}://{authority}{prefix}/api/v1"),
        owner: owner.to_string(),
        name: name.to_string(),
    })
}

/// The commit message's subject and body (after the blank line).
pub(crate) fn title_and_body(message: &str) -> (String, String) {
    let mut lines = message.lines();
    let title = lines.next().unwrap_or("").trim().to_string();
    let body = lines.collect::<Vec<_>>().join("\n").trim().to_string();
    (title, body)
}

/// Opens the pull request, or finds the open one for the same branch.
pub(crate) fn open(ask: &Ask) -> Result<PullRequest> {
    let Some(repo) = repo_of(ask.remote_url) else {
        return Err(Error::new(
            Kind::Failure,
            format!(
                "--pull-request needs an HTTP(S) remote to find the forge's API; {} is not one",
                redact(ask.remote_url)
            ),
        ));
    };
    gitea::Session::new(ask, repo).open()
}

/// An error about the forge, with the remote's text masked and secrets
/// blotted out.
fn forge_error(kind: Kind, message: String) -> Error {
    Error::new(kind, mask(&scrub(&message)))
}

/// Text from the forge or the cluster, shown as git shows a remote's
/// text (control characters as `^X`): [`crate::git::mask::mask`].
pub(crate) fn mask(text: &str) -> String {
    crate::git::mask::mask(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_from_remote_url() {
        let r = repo_of("https://user:tok@git.example:3000/sub/team/mlops-gitops.git").unwrap();
        assert_eq!(r.api, "https://git.example:3000/sub/api/v1");
        assert_eq!(
            (r.owner.as_str(), r.name.as_str()),
            ("team", "mlops-gitops")
        );
        let r = repo_of("http://127.0.0.1/team/repo/").unwrap();
        assert_eq!(r.api, "http://127.0.0.1/api/v1");
        assert!(repo_of("git@host:team/repo.git").is_none());
        assert!(repo_of("https://host/repo.git").is_none());
    }

    #[test]
    fn title_and_body_from_message() {
        assert_eq!(
            title_and_body("Set a\n\n- x\n- y\n"),
            ("Set a".to_string(), "- x\n- y".to_string())
        );
        assert_eq!(title_and_body("One"), ("One".to_string(), String::new()));
    }
}
