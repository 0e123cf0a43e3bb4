//! One network operation's callbacks: credentials, progress, sideband
//! text and the per-ref push report, sharing state through a [`Session`]
//! so that after the operation we can tell *why* it failed (which
//! credentials were tried, which ref the remote refused, or what git or ssh
//! said, src/git/transport).

use std::cell::{Cell, RefCell};

use git2::{CertificateCheckStatus, Oid, RemoteCallbacks};

use super::credentials::Credentials;
use super::fail::Failure;
use super::progress::{Event, Feedback};
use super::Workspace;

/// The callbacks' shared state for one remote operation.
pub(crate) struct Session {
    creds: RefCell<Credentials>,
    feedback: RefCell<Feedback>,
    /// (refname, rejection message) as the remote reported each ref.
    pub(crate) updates: RefCell<Vec<(String, Option<String>)>>,
    /// TLS handshakes since [`Session::guard_handshakes`] was turned on.
    handshakes: Cell<u32>,
    /// On while a connection that sent credentials ahead reads the
    /// listing: a second TLS handshake then means a redirect (libgit2
    /// follows one to another port of the same host even with redirects
    /// off), and it is refused before the header goes there.
    guard: Cell<bool>,
    /// Whether git config leaves HTTP(S) pushes to mlops's own client
    /// ([`super::push::http::plain_config`]).
    plain_http: bool,
}

impl Session {
    pub(crate) fn new(ws: &Workspace) -> Session {
        let config = ws.repo.config().ok();
        let snapshot = super::config::of(&ws.repo);
        super::transport::prepare(super::transport::Settings {
            ssh_command: snapshot.string("core.sshCommand"),
            ssh_variant: snapshot.string("ssh.variant"),
            quiet: ws.options.quiet,
        });
        Session {
            creds: RefCell::new(Credentials::new(ws.repo.path().to_path_buf())),
            feedback: RefCell::new(Feedback::new(ws.options.quiet)),
            updates: RefCell::new(Vec::new()),
            handshakes: Cell::new(0),
            guard: Cell::new(false),
            plain_http: config.as_ref().is_some_and(super::push::http::plain_config),
        }
    }

    /// Turns the redirect guard on (counting TLS handshakes from zero) or
    /// off; see [`Session::guard`].
    pub(crate) fn guard_handshakes(&self, on: bool) {
        self.handshakes.set(0);
        self.guard.set(on);
    }

    /// Callbacks for one connection.
    pub(crate) fn callbacks(&self) -> RemoteCallbacks<'_> {
        self.creds.borrow_mut().reset();
        let mut cb = RemoteCallbacks::new();
        cb.credentials(|url, user, allowed| self.creds.borrow_mut().get(url, user, allowed));
        cb.certificate_check(|_cert, host| {
            let n = self.handshakes.get() + 1;
            self.handshakes.set(n);
            if self.guard.get() && n > 1 {
                return Err(git2::Error::from_str(&format!(
                    "redirected to another server at {host}: the credentials sent ahead stay with the one they are for"
                )));
            }
            // libgit2's own verdict (the CA bundle, SSL_CERT_FILE).
            Ok(CertificateCheckStatus::CertificatePassthrough)
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

    /// Whether a push to `url` goes through mlops's own HTTP client
    /// (src/git/push/http.rs) rather than libgit2's.
    pub(crate) fn own_http(&self, url: &str) -> bool {
        super::push::http::usable(url, self.plain_http)
    }

    /// Starts a connection of mlops's own HTTP client to `url`, as
    /// [`Session::callbacks`] and [`Session::headers_ahead`] start one of
    /// libgit2's: every credential source may be tried again, and the
    /// `Authorization` value known ahead is returned.
    pub(crate) fn start_http(&self, url: &str) -> Option<String> {
        self.aim(url);
        self.creds.borrow_mut().reset();
        let header = self.headers_ahead(url, true).pop()?;
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
