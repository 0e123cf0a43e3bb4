//! HTTPS credentials, in the order the contract gives.
//!
//! `MLOPS_GIT_USERNAME`/`MLOPS_GIT_TOKEN`; else the credential helpers
//! from git config (asked through `git credential fill`, so every helper
//! spelling git accepts works, `store` with `~/.git-credentials`
//! included, and told afterwards whether their answer or the prompt's
//! worked, as git tells them: [`super::helper`]); else the askpass
//! program as git runs it (`GIT_ASKPASS`, `core.askPass`, `SSH_ASKPASS`:
//! [`super::askpass`]); else, on a terminal (and unless
//! `GIT_TERMINAL_PROMPT=0`), a prompt in git's words. A password in the
//! remote's URL goes first (libgit2 sends it); refused, nothing else is
//! tried, as with git, and the error says so. libgit2 calls the credential callback again after each
//! refusal, so every source is tried once and then the callback fails:
//! bad credentials end with an error, never in a loop (the guard gitui
//! uses too). SSH keys, agents and host keys are
//! OpenSSH's business (src/git/transport/ssh.rs).
//!
//! Why `git credential fill` rather than `git2::CredentialHelper`: the
//! latter drops the host when it is an IP address and ignores helpers set
//! per URL pattern, where git itself gets both right.

use std::io::IsTerminal;
use std::path::PathBuf;

use git2::{Cred, CredentialType};

use super::basic::basic;
use super::fail::Failure;
use super::url::{has_password, origin, redact, strip_userinfo, url_user};

/// One credential session: what was tried.
pub struct Credentials {
    /// Where `git credential fill` runs, so repository config applies.
    git_dir: PathBuf,
    http_step: usize,
    /// Human names of the sources tried, for the error message.
    tried: Vec<String>,
    /// Set when every source was used up.
    exhausted: bool,
    /// `scheme://host:port` of the remote being reached: the token from
    /// the environment is for it only, not for a server it redirects to.
    origin: Option<String>,
    /// This connection offered the remembered credentials (a helper's
    /// answer or the prompt's): asked again, they were refused.
    offered: bool,
    /// The remote's URL carries a password (sent first, by libgit2).
    url_password: bool,
    /// Shows what an askpass program complains of.
    renderer: super::progress::Renderer,
}

/// What the run remembers of credentials from one connection to the
/// next (kept in the run, src/git/run.rs): a run makes several
/// connections (list, fetch, push, a retry), each through its own
/// session, and nobody (no helper) is asked twice in one run.
pub(crate) struct Memory {
    /// A username and password from a helper or the prompt, with the URL
    /// they are for, offered first on the next connection to it.
    remembered: Option<(String, String, String)>,
    /// The origins (`scheme://host:port`) that asked for credentials in
    /// this run and got them: over plain HTTP, credentials go ahead only
    /// to these (git, too, keeps sending them once a server asked).
    challenged: Vec<String>,
    /// The URLs the credential helpers were asked about in this run:
    /// they are asked once (their answer is remembered; no answer stays
    /// none).
    helper_asked: Vec<String>,
    /// The helpers were told the credentials worked.
    told: bool,
}

impl Memory {
    pub(crate) const fn new() -> Memory {
        Memory {
            remembered: None,
            challenged: Vec::new(),
            helper_asked: Vec::new(),
            told: false,
        }
    }
}

fn memory() -> std::sync::MutexGuard<'static, Memory> {
    let run = super::run::run();
    run.credentials.lock().unwrap_or_else(|e| e.into_inner())
}

fn challenged(url: &str) -> bool {
    origin(url).is_some_and(|origin| memory().challenged.contains(&origin))
}

fn note_challenge(url: &str) {
    if let Some(origin) = origin(url) {
        let mut memory = memory();
        if !memory.challenged.contains(&origin) {
            memory.challenged.push(origin);
        }
    }
}

/// True the first time in the run the helpers may be asked about `url`.
fn first_ask(url: &str) -> bool {
    let url = strip_userinfo(url);
    let asked = &mut memory().helper_asked;
    let first = !asked.contains(&url);
    if first {
        asked.push(url);
    }
    first
}

const HELPER: &str = "the git credential helper";
const TOKEN: &str = "MLOPS_GIT_TOKEN";
const GIVEN_BEFORE: &str = "the credentials given before";
pub(crate) const URL_PASSWORD: &str = "the password in the remote URL was refused";

/// The steps of [`Credentials::userpass`]: 0 the token, 1 the helpers,
/// then the askpass program, the terminal prompt, and nothing more.
const ASKPASS_STEP: usize = 2;
const PROMPT_STEP: usize = 3;
const DONE: usize = 4;

/// The username that goes with `MLOPS_GIT_TOKEN`: `MLOPS_GIT_USERNAME`,
/// else `other` (the URL's or the one the server named), else `mlops`.
fn token_user(other: Option<String>) -> String {
    env("MLOPS_GIT_USERNAME")
        .or(other)
        .unwrap_or_else(|| "mlops".to_string())
}

fn remembered(url: &str) -> Option<(String, String)> {
    let memory = memory();
    let (for_url, user, pass) = memory.remembered.as_ref()?;
    (for_url == &strip_userinfo(url)).then(|| (user.clone(), pass.clone()))
}

fn remember(url: &str, user: &str, pass: &str) {
    memory().remembered = Some((strip_userinfo(url), user.to_string(), pass.to_string()));
}

impl Credentials {
    pub fn new(git_dir: PathBuf, renderer: super::progress::Renderer) -> Credentials {
        Credentials {
            git_dir,
            renderer,
            http_step: 0,
            tried: Vec::new(),
            exhausted: false,
            origin: None,
            offered: false,
            url_password: false,
        }
    }

    /// The remote about to be reached: `MLOPS_GIT_TOKEN` is offered to
    /// its origin (scheme, host and port) only.
    pub fn aim(&mut self, url: &str) {
        self.origin = origin(url);
        self.url_password = has_password(url);
    }

    /// The credentials went with the first request ([`ahead`]): a
    /// challenge now means they were refused, and nothing else is tried
    /// (the contract's order: with a token set, nothing else is asked).
    pub fn sent_ahead(&mut self, label: &str) {
        self.tried.push(label.to_string());
        self.http_step = if label == HELPER { ASKPASS_STEP } else { DONE };
        self.offered = label != TOKEN;
    }

    /// Starts a new connection: every source may be tried once more.
    /// (libgit2 repeats the callback only within one connection.)
    pub fn reset(&mut self) {
        self.http_step = 0;
        self.exhausted = false;
        self.tried.clear();
        self.offered = false;
    }

    /// The remembered credentials worked (a push or fetch went through):
    /// the helpers are told, once a run, as git tells them.
    pub(crate) fn worked(&self) {
        let remembered = {
            let mut memory = memory();
            let told = memory.told;
            let remembered = memory.remembered.clone().filter(|_| !told);
            memory.told |= remembered.is_some();
            remembered
        };
        if let Some((url, user, pass)) = remembered {
            super::helper::approve_meanwhile(&self.git_dir, &url, &user, &pass);
        }
    }

    /// The libgit2 credential callback.
    pub fn get(
        &mut self,
        url: &str,
        username: Option<&str>,
        allowed: CredentialType,
    ) -> Result<Cred, git2::Error> {
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            let (user, pass) = self.userpass(url, username)?;
            return Cred::userpass_plaintext(&user, &pass);
        }
        self.give_up()
    }

    fn give_up<T>(&mut self) -> Result<T, git2::Error> {
        self.exhausted = true;
        Err(git2::Error::new(
            git2::ErrorCode::Auth,
            git2::ErrorClass::Callback,
            "no more credentials to try",
        ))
    }

    /// The next username and password to offer `url` after it asked for
    /// credentials (a 401), in the contract's order; an `Auth` error once
    /// every source was tried. Both HTTP clients ask here: libgit2's
    /// through [`Credentials::get`], mlops's own (src/git/push/http.rs)
    /// directly.
    pub(crate) fn userpass(
        &mut self,
        url: &str,
        username: Option<&str>,
    ) -> Result<(String, String), git2::Error> {
        note_challenge(url);
        if (self.url_password || has_password(url)) && self.http_step == 0 {
            // The URL's own password went first and was refused: git
            // stops there too ("Authentication failed").
            self.tried.push(URL_PASSWORD.into());
            self.http_step = DONE;
            return self.give_up();
        }
        if std::mem::take(&mut self.offered) {
            // Refused: the helpers forget them, as git has them forget.
            let refused = memory().remembered.take();
            if let Some((url, user, pass)) = refused {
                super::helper::tell(&self.git_dir, false, &url, &user, &pass);
            }
        }
        if self.http_step == 0 {
            if let Some((user, pass)) = remembered(url) {
                self.tried.push(GIVEN_BEFORE.into());
                self.http_step = DONE;
                self.offered = true;
                return Ok((user, pass));
            }
        }
        loop {
            let step = self.http_step;
            self.http_step += 1;
            match step {
                0 => {
                    let Some(token) = env(TOKEN) else {
                        continue;
                    };
                    if self.origin.is_some() && origin(url) != self.origin {
                        // A redirect to another server: the token is not
                        // for it, and nothing else may be asked either.
                        self.tried
                            .push("nothing: MLOPS_GIT_TOKEN is only sent to the remote's own server, not to one it redirects to".into());
                        self.http_step = DONE;
                        continue;
                    }
                    let user = token_user(username.map(str::to_string));
                    self.tried.push(TOKEN.into());
                    // The contract's order: with a token set, the helpers
                    // and the prompt are not consulted.
                    self.http_step = DONE;
                    return Ok((user, token));
                }
                1 if first_ask(url) => {
                    if let Some((user, pass)) = super::helper::fill(&self.git_dir, url, username) {
                        self.tried.push(HELPER.into());
                        remember(url, &user, &pass);
                        self.offered = true;
                        return Ok((user, pass));
                    }
                }
                // Asked already in this run: its answer is remembered.
                1 => {}
                ASKPASS_STEP => {
                    let Some((program, from)) = super::askpass::program(&self.git_dir) else {
                        continue;
                    };
                    let mut shown = self.renderer.start(false);
                    match super::askpass::ask(&program, url, username, &mut *shown) {
                        Some((user, pass)) => {
                            self.tried.push(format!("the askpass program ({from})"));
                            remember(url, &user, &pass);
                            self.offered = true;
                            return Ok((user, pass));
                        }
                        None => self
                            .tried
                            .push(format!("the askpass program ({from}), which failed")),
                    }
                }
                PROMPT_STEP => {
                    if let Some((user, pass)) = prompt(url, username) {
                        self.tried.push("the password prompt".into());
                        remember(url, &user, &pass);
                        self.offered = true;
                        return Ok((user, pass));
                    }
                }
                _ => return self.give_up(),
            }
        }
    }

    /// Classifies a failed network operation on `url`.
    pub fn failure(&self, url: &str, err: &git2::Error) -> Failure {
        let shown = redact(url);
        let tried = if self.tried.is_empty() {
            "tried: nothing was configured".to_string()
        } else {
            format!("tried: {}", self.tried.join(", "))
        };
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

    /// Credentials known for `url` before it asks: `MLOPS_GIT_TOKEN`,
    /// else what a helper or the prompt answered for this URL earlier in
    /// the run, else, for a push over HTTPS, what the credential helpers
    /// answer now (asked once a run: a push always needs credentials, so
    /// asking before the first request only saves the 401's round trip;
    /// a read, which may need none, waits for the 401 as git does). They go
    /// with the first request (`Authorization` header, with redirects off
    /// so they reach no other server), over HTTPS; over plain HTTP only
    /// once that server asked for credentials earlier in the run, as git
    /// does. `None` also when the URL carries its own password (libgit2
    /// offers that one). Returns the header and what it was, for the
    /// error message.
    pub(crate) fn ahead(&self, url: &str, push: bool) -> Option<(String, &'static str)> {
        let (scheme, _) = url.split_once("://")?;
        let secure = scheme.eq_ignore_ascii_case("https");
        if !(secure || scheme.eq_ignore_ascii_case("http") && challenged(url)) {
            return None;
        }
        if has_password(url) {
            return None;
        }
        let (user, pass, label) = match (env(TOKEN), remembered(url)) {
            (Some(token), _) => (token_user(url_user(url)), token, TOKEN),
            (None, Some((user, pass))) => (user, pass, GIVEN_BEFORE),
            (None, None) if push && secure && first_ask(url) => {
                let (user, pass) =
                    super::helper::fill(&self.git_dir, url, url_user(url).as_deref())?;
                remember(url, &user, &pass);
                (user, pass, HELPER)
            }
            (None, None) => return None,
        };
        Some((format!("Authorization: {}", basic(&user, &pass)), label))
    }
}

impl Credentials {
    /// The `Authorization` header for another request to the remote's
    /// server in the same run (the forge's API, src/forge/): the URL's own
    /// username and password, else what [`Credentials::ahead`] knows for
    /// a push; with the source's name for messages.
    pub(crate) fn header_for(&self, url: &str) -> Option<(String, &'static str)> {
        if has_password(url) {
            let userinfo = url
                .split_once("://")?
                .1
                .split('/')
                .next()?
                .rsplit_once('@')?
                .0;
            let (user, pass) = userinfo.split_once(':')?;
            let (user, pass) = (
                super::transport::local::decode(user),
                super::transport::local::decode(pass),
            );
            return Some((
                format!("Authorization: {}", basic(&user, &pass)),
                "the password in the URL",
            ));
        }
        self.ahead(url, true)
    }

    /// The next source's `Authorization` header after `url` refused the
    /// last one (or asked for one), in the contract's order; `None` once
    /// every source was tried.
    pub(crate) fn next_header(&mut self, url: &str) -> Option<String> {
        let (user, pass) = self.userpass(url, url_user(url).as_deref()).ok()?;
        Some(format!("Authorization: {}", basic(&user, &pass)))
    }

    /// The sources tried so far, for an error message.
    pub(crate) fn tried(&self) -> String {
        self.tried.join(", ")
    }
}

/// Asks on the terminal (stdin and stderr must be terminals).
fn prompt(url: &str, username: Option<&str>) -> Option<(String, String)> {
    let off = std::env::var("GIT_TERMINAL_PROMPT")
        .is_ok_and(|v| git2::Config::parse_bool(v.as_str()).is_ok_and(|on| !on));
    if off || !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return None;
    }
    let describe = super::askpass::describe;
    let user = match username {
        Some(u) => u.to_string(),
        None => dialoguer::Input::<String>::new()
            .with_prompt(format!("Username for '{}'", describe(url, None)))
            .interact_text()
            .ok()?,
    };
    let pass = dialoguer::Password::new()
        .with_prompt(format!("Password for '{}'", describe(url, Some(&user))))
        .interact()
        .ok()?;
    Some((user, pass))
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}
