//! Gitea's (and Forgejo's) pull request API: `GET /version` to know the
//! forge, `GET /repos/{owner}/{repo}/pulls?state=open` to find an open
//! pull request for the branch, `POST /repos/{owner}/{repo}/pulls` to
//! open one, `GET /repos/{owner}/{repo}` for the default branch.

use serde_json::{json, Value};

use super::http::{self, Answer};
use super::{forge_error, mask, title_and_body, Ask, PullRequest, Repo};
use crate::error::{Kind, Result};
use crate::git::credentials::Credentials;

/// Open pull requests are listed this many a page (Gitea's maximum is 50).
const PAGE: usize = 50;

pub(super) struct Session<'a> {
    ask: &'a Ask<'a>,
    repo: Repo,
    credentials: Credentials,
    auth: Option<String>,
}

impl<'a> Session<'a> {
    pub(super) fn new(ask: &'a Ask<'a>, repo: Repo) -> Session<'a> {
        let mut credentials = Credentials::new(ask.git_dir.clone(), ask.renderer);
        credentials.aim(ask.remote_url);
        let auth = credentials
            .header_for(ask.remote_url)
            .map(|(header, label)| {
                credentials.sent_ahead(label);
                header
            });
        Session {
            ask,
            repo,
            credentials,
            auth,
        }
    }

    fn repo_path(&self) -> String {
        format!(
            "{}/repos/{}/{}",
            self.repo.api, self.repo.owner, self.repo.name
        )
    }

    /// One API call; a 401 asks the next credential source, as a push
    /// would, until none is left.
    fn call(&mut self, method: &str, url: &str, body: Option<&Value>) -> Result<Answer> {
        loop {
            let answer = http::request(&self.ask.settings, method, url, self.auth.as_deref(), body)
                .map_err(|e| {
                    forge_error(
                        Kind::Git,
                        format!("could not reach the forge's API at {}: {e}", self.repo.api),
                    )
                })?;
            if answer.status != 401 {
                return Ok(answer);
            }
            match self.credentials.next_header(self.ask.remote_url) {
                Some(next) => self.auth = Some(next),
                None => {
                    let tried = match self.credentials.tried() {
                        t if t.is_empty() => "nothing was configured".to_string(),
                        t => t,
                    };
                    return Err(forge_error(
                        Kind::Git,
                        format!(
                            "the forge refused the credentials for {} {} (HTTP 401; tried: {tried})",
                            method,
                            self.api_path(url)
                        ),
                    )
                    .hinted("the token needs the scope to write the repository (Gitea: write:repository)"));
                }
            }
        }
    }

    /// `url` without the API base, for messages.
    fn api_path<'u>(&self, url: &'u str) -> &'u str {
        url.strip_prefix(&self.repo.api).unwrap_or(url)
    }

    /// Fails unless the answer is `want`, quoting the forge's message.
    fn expect(&self, what: &str, answer: Answer, want: &[u32]) -> Result<Value> {
        let json: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        if want.contains(&answer.status) {
            return Ok(json);
        }
        let said = json
            .get("message")
            .and_then(Value::as_str)
            .map(|m| format!(": {}", mask(m)))
            .unwrap_or_default();
        let kind = if answer.status == 403 || answer.status == 404 {
            Kind::Git
        } else {
            Kind::Failure
        };
        Err(forge_error(
            kind,
            format!("{what}: the forge answered HTTP {}{said}", answer.status),
        ))
    }

    /// Whether the server is Gitea or Forgejo: `GET /version` answers
    /// `{"version": "…"}`.
    fn check_gitea(&mut self) -> Result<()> {
        let url = format!("{}/version", self.repo.api);
        let answer = self.call("GET", &url, None)?;
        let json: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        if answer.status == 200 && json.get("version").is_some_and(Value::is_string) {
            return Ok(());
        }
        Err(forge_error(
            Kind::Failure,
            format!(
                "the remote's server is not a Gitea or Forgejo forge (GET {url} answered HTTP {}, not a version): mlops opens pull requests on Gitea and Forgejo only",
                answer.status
            ),
        )
        .hinted("on GitHub: gh pr create --head BRANCH --fill; on GitLab: glab mr create --source-branch BRANCH --fill")
        .hinted("if it is a Gitea behind another path, say so with --forge gitea"))
    }

    /// The repository's default branch.
    fn default_branch(&mut self) -> Result<String> {
        let url = self.repo_path();
        let answer = self.call("GET", &url, None)?;
        let json = self.expect("reading the repository", answer, &[200])?;
        json.get("default_branch")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                forge_error(
                    Kind::Failure,
                    format!("the forge named no default branch for {url}"),
                )
            })
    }

    /// The open pull request whose head is `head` in this repository.
    fn find_open(&mut self, head: &str) -> Result<Option<PullRequest>> {
        let full = format!("{}/{}", self.repo.owner, self.repo.name).to_ascii_lowercase();
        for page in 1.. {
            let url = format!(
                "{}/pulls?state=open&limit={PAGE}&page={page}",
                self.repo_path()
            );
            let answer = self.call("GET", &url, None)?;
            let json = self.expect("listing the open pull requests", answer, &[200])?;
            let list = json.as_array().cloned().unwrap_or_default();
            let found = list.iter().find(|pr| {
                let same_repo = pr
                    .pointer("/head/repo/full_name")
                    .and_then(Value::as_str)
                    .is_none_or(|n| n.to_ascii_lowercase() == full);
                pr.pointer("/head/ref").and_then(Value::as_str) == Some(head) && same_repo
            });
            if let Some(pr) = found {
                return Ok(Some(pull_request(pr, false)?));
            }
            if list.len() < PAGE {
                break;
            }
        }
        Ok(None)
    }

    pub(super) fn open(mut self) -> Result<PullRequest> {
        if !self.ask.assume_gitea {
            self.check_gitea()?;
        }
        let head = self.ask.head;
        if let Some(found) = self.find_open(head)? {
            return Ok(found);
        }
        let base = match self.ask.base {
            Some(base) => base.to_string(),
            None => self.default_branch()?,
        };
        let (title, body) = title_and_body(self.ask.message);
        let url = format!("{}/pulls", self.repo_path());
        let payload = json!({"head": head, "base": base, "title": title, "body": body});
        let answer = self.call("POST", &url, Some(&payload))?;
        if answer.status == 409 {
            // Opened meanwhile by someone else: that one is the one.
            if let Some(found) = self.find_open(head)? {
                return Ok(found);
            }
        }
        let json = self.expect(
            &format!("opening the pull request from {head} into {base}"),
            answer,
            &[200, 201],
        )?;
        pull_request(&json, true)
    }
}

/// The report's view of one pull request in the API's JSON.
fn pull_request(json: &Value, created: bool) -> Result<PullRequest> {
    let number = json.get("number").and_then(Value::as_u64);
    let url = json.get("html_url").and_then(Value::as_str);
    match (number, url) {
        (Some(number), Some(url)) => Ok(PullRequest {
            number,
            url: mask(url),
            created,
            base: json
                .pointer("/base/ref")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        }),
        _ => Err(forge_error(
            Kind::Failure,
            "the forge's answer names no pull request number and URL".to_string(),
        )),
    }
}
