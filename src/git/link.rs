//! Connections: libgit2's for listing and fetching, and the push
//! connection a run keeps from its listing to its push.
//!
//! Why a kept connection: listing the branch through the *push* service
//! (`info/refs?service=git-receive-pack`) tells the tip the push will be
//! checked against. When the checkout already has that commit, nothing
//! is fetched, and the push later goes over the same connection: over
//! HTTP one GET and one POST on one kept-alive connection (the HTTP
//! client, src/git/http/), over SSH one `ssh`, instead of a listing, a
//! fetch and a push on three. The push is always mlops's own
//! receive-pack conversation (src/git/push/).

use std::time::{Duration, Instant};

use git2::{Direction, Oid, Remote, RemoteConnection};

use super::push::ReceivePack;
use super::session::Session;
use super::transport;

/// Connects `remote` (whose URL for `direction` is `url`) with the
/// session's callbacks; over HTTP(S) the requests go through the HTTP
/// client with the session's settings and credentials
/// (src/git/http/subtransport.rs).
pub(crate) fn connect<'a, 'r, 's>(
    remote: &'a mut Remote<'r>,
    session: &'s Session,
    url: &str,
    direction: Direction,
) -> Result<RemoteConnection<'r, 'a, 's>, git2::Error> {
    session.aim(url);
    remote.connect_auth(direction, Some(session.callbacks()), None)
}

/// A push connection kept from the listing to the push, with the session
/// it was made in.
pub(crate) struct Link {
    wire: ReceivePack,
    session: Box<Session>,
    /// The remote's URL as configured (the push URL).
    pub url: String,
    /// The branches as the push service advertised them.
    pub heads: Vec<(String, Oid)>,
    opened: Instant,
}

/// Whether `url` is HTTP(S).
pub(crate) fn is_http(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Opens the push service of `target` (the URL its program or the HTTP
/// client is given; `url` as configured, `remote` its name) and reads its
/// advertisement.
pub(crate) fn receive_pack(
    target: &str,
    url: &str,
    remote: Option<&str>,
    session: &Session,
) -> Result<ReceivePack, git2::Error> {
    if transport::is_program(target) {
        ReceivePack::open(target)
    } else if is_http(target) {
        ReceivePack::open_http(target, remote, session)
    } else {
        Err(git2::Error::new(
            git2::ErrorCode::GenericError,
            git2::ErrorClass::Net,
            format!(
                "mlops pushes over HTTP(S), SSH or to a path, not to {}",
                super::url::redact(url)
            ),
        ))
    }
}

impl Link {
    /// Connects to the push service of `target` (see [`receive_pack`])
    /// and reads the advertisement.
    pub(crate) fn open(
        target: &str,
        remote: Option<&str>,
        session: Session,
        url: &str,
    ) -> Result<Link, (git2::Error, Box<Session>)> {
        let session = Box::new(session);
        match receive_pack(target, url, remote, &session) {
            Ok(wire) => Ok(Link {
                heads: branches(wire.heads.iter().map(|(n, o)| (n.as_str(), *o))),
                wire,
                session,
                url: url.to_string(),
                opened: Instant::now(),
            }),
            Err(e) => Err((e, session)),
        }
    }

    /// The advertised tip of `branch`.
    pub(crate) fn tip(&self, branch: &str) -> Option<Oid> {
        let name = format!("refs/heads/{branch}");
        self.heads.iter().find(|(n, _)| *n == name).map(|(_, o)| *o)
    }

    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    /// The connection and the session, for the push.
    pub(crate) fn parts(&mut self) -> (&mut ReceivePack, &Session) {
        (&mut self.wire, &self.session)
    }

    /// Whether the connection is recent enough to push over: an HTTP
    /// server closes an idle kept-alive connection after a few seconds
    /// (lighttpd 5 s, nginx 75 s), a confirmation on a terminal can take
    /// longer. An older link is dropped and the push connects afresh.
    pub(crate) fn fresh(&self) -> bool {
        let limit = if is_http(&self.url) { 3 } else { 60 };
        self.opened.elapsed() < Duration::from_secs(limit)
    }
}

fn branches<'a>(refs: impl Iterator<Item = (&'a str, Oid)>) -> Vec<(String, Oid)> {
    refs.filter(|(name, _)| name.starts_with("refs/heads/"))
        .map(|(name, oid)| (name.to_string(), oid))
        .collect()
}
