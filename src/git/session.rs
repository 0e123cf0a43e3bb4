//! One network operation's callbacks: credentials, progress, sideband
//! text and the per-ref push report, sharing state through a [`Session`]
//! so that after the operation we can tell *why* it failed (which
//! credentials were tried, which ref the remote refused, or what git or ssh
//! said, src/git/transport).

use std::cell::RefCell;

use git2::{Oid, RemoteCallbacks};

use super::credentials::Credentials;
use super::fail::Failure;
use super::progress::{Event, Progress};
use super::Workspace;

/// The callbacks' shared state for one remote operation.
pub(crate) struct Session {
    creds: RefCell<Credentials>,
    feedback: RefCell<Box<dyn Progress>>,
    /// (refname, rejection message) as the remote reported each ref.
    pub(crate) updates: RefCell<Vec<(String, Option<String>)>>,
    /// Every setting git sees for the repository, for the HTTP client's
    /// settings ([`Session::http_settings`]).
    config: std::sync::Arc<super::config::Snapshot>,
}

impl Session {
    pub(crate) fn new(ws: &Workspace) -> Session {
        let snapshot = super::config::of(&ws.repo);
        super::transport::prepare(super::transport::Settings {
            ssh_command: snapshot.string("core.sshCommand"),
            ssh_variant: snapshot.string("ssh.variant"),
            quiet: ws.options.quiet,
            renderer: ws.options.renderer,
        });
        Session {
            creds: RefCell::new(Credentials::new(
                ws.repo.path().to_path_buf(),
                ws.options.renderer,
            )),
            feedback: RefCell::new(ws.options.renderer.start(ws.options.quiet)),
            updates: RefCell::new(Vec::new()),
            config: snapshot,
        }
    }

    /// git's HTTP settings for requests to `url` of `remote`
    /// (src/git/http/config.rs).
    pub(crate) fn http_settings(&self, url: &str, remote: Option<&str>) -> super::http::Settings {
        super::http::Settings::for_remote(&self.config, url, remote)
    }

    /// Callbacks for one connection.
    pub(crate) fn callbacks(&self) -> RemoteCallbacks<'_> {
        self.creds.borrow_mut().reset();
        let mut cb = RemoteCallbacks::new();
        // libgit2's HTTP requests (src/git/http/subtransport.rs) ask this
        // session for settings and credentials while the callbacks live.
        let current = super::http::current::enter(self);
        cb.credentials(move |url, user, allowed| {
            let _ = &current;
            self.creds.borrow_mut().get(url, user, allowed)
        });
        cb.transfer_progress(|p| {
            self.feedback.borrow_mut().event(Event::Received {
                done: p.received_objects(),
                total: p.total_objects(),
            });
            true
        });
        cb.push_transfer_progress(|done, total, _bytes| {
            self.feedback
                .borrow_mut()
                .event(Event::Sent { done, total });
        });
        cb.sideband_progress(|data| {
            self.feedback.borrow_mut().event(Event::Remote(data));
            true
        });
        cb.push_update_reference(|refname, status| {
            self.updates
                .borrow_mut()
                .push((refname.to_string(), status.map(str::to_string)));
            Ok(())
        });
        cb
    }

    /// The remote the next connection is for: the token from the
    /// environment is offered to its origin only.
    pub(crate) fn aim(&self, url: &str) {
        self.creds.borrow_mut().aim(url);
    }

    /// Credentials that go with the first request to `url`, as custom
    /// headers (`Authorization`), when they are known before it asks and
    /// `url` is HTTPS ([`super::credentials::Credentials::ahead`]; for a
    /// `push`, the credential helpers are asked now). Call after
    /// [`Session::callbacks`]: the callback then knows they were sent.
    pub(crate) fn headers_ahead(&self, url: &str, push: bool) -> Vec<String> {
        let ahead = self.creds.borrow().ahead(url, push);
        match ahead {
            Some((header, label)) => {
                self.creds.borrow_mut().sent_ahead(label);
                vec![header]
            }
            None => Vec::new(),
        }
    }

    /// Starts a connection of the HTTP client to `url` (for a push, or
    /// a read): every credential source may be tried again, and the
    /// `Authorization` value known ahead is returned.
    pub(crate) fn start_http(&self, url: &str, push: bool) -> Option<String> {
        self.aim(url);
        self.creds.borrow_mut().reset();
        let header = self.headers_ahead(url, push).pop()?;
        header.strip_prefix("Authorization: ").map(str::to_string)
    }

    /// `url` asked for credentials (a 401): the next ones to try, asked
    /// as libgit2's credential callback asks them.
    pub(crate) fn challenged(
        &self,
        url: &str,
        username: Option<&str>,
    ) -> Result<(String, String), git2::Error> {
        self.creds.borrow_mut().userpass(url, username)
    }

    /// The password in the remote's URL was sent after a 401: a refusal
    /// names it.
    pub(crate) fn tried_url_password(&self) {
        self.creds
            .borrow_mut()
            .sent_ahead(super::credentials::URL_PASSWORD);
    }

    /// The credentials answered a request: the helpers are told
    /// ([`super::credentials::Credentials::worked`]).
    pub(crate) fn worked(&self) {
        self.creds.borrow().worked();
    }

    /// What the remote said on its progress band (`remote:` lines).
    pub(crate) fn remote_said(&self, data: &[u8]) {
        self.feedback.borrow_mut().event(Event::Remote(data));
    }

    pub(crate) fn phase(&self, what: &str) {
        self.feedback.borrow_mut().event(Event::Phase(what));
    }

    pub(crate) fn done(&self) {
        self.feedback.borrow_mut().event(Event::Done);
    }

    /// Why the operation on `url` failed: in the words of the program the
    /// transport ran (git, ssh), else from libgit2's error.
    pub(crate) fn failure(&self, url: &str, err: &git2::Error) -> Failure {
        let http = super::http::take_failure();
        let err = http.as_ref().unwrap_or(err);
        super::transport::failure(url).unwrap_or_else(|| self.creds.borrow().failure(url, err))
    }
}

/// The remote's branches and default branch.
pub(crate) struct Listing {
    pub heads: Vec<(String, Oid)>,
    /// e.g. `main`, from the remote's HEAD.
    pub default: Option<String>,
}

impl Listing {
    pub fn tip(&self, branch: &str) -> Option<Oid> {
        let name = format!("refs/heads/{branch}");
        self.heads.iter().find(|(n, _)| *n == name).map(|(_, o)| *o)
    }
}
