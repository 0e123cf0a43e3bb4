//! The receive-pack conversation of src/git/push over smart HTTP(S), on
//! mlops's one HTTP client (src/git/http/): two requests
//! (`GET info/refs?service=git-receive-pack`, then `POST
//! git-receive-pack` with the commands and the thin pack), on one
//! kept-alive connection, with every git setting the client applies
//! (proxies, TLS, `http.extraHeader`, cookies, low-speed limits,
//! redirects as `http.followRedirects` says).
//!
//! Why its own push: libgit2's push builds the pack itself by walking
//! the whole tree of the remote tip (libgit2 issue 3364): about 48 KB and
//! 50 ms at 3 × 2,000 models for a commit that changes one file (README,
//! "Performance"). Here the pack is the thin one of [`super::thin_pack`],
//! as for path and SSH remotes.
//!
//! Credentials: those known ahead go with the first request over HTTPS
//! ([`crate::git::credentials::Credentials::ahead`]); a 401 asks the
//! next ones in the contract's order ([`Session::challenged`]).

use std::io::{self, Read};
use std::thread::JoinHandle;

use super::super::http::{Client, Response};
use super::super::pkt::{io_error, protocol, read_pkt, strip_newline};
use super::super::session::Session;

const SERVICE: &str = "git-receive-pack";

/// The most a ref advertisement may hold: far above any GitOps
/// repository's, far below what hurts the machine (as for libgit2's
/// listings, src/git/http/subtransport.rs).
pub(crate) const ADVERTISEMENT: u64 = 32 << 20;

/// A listing started ahead ([`start`]): the URL, and the thread making
/// its first request (kept in the run, src/git/run.rs).
pub(in crate::git) type Early = (String, JoinHandle<Started>);
type Started = (Client, Result<Response, git2::Error>);

/// Starts listing `url`'s push service on a thread of its own: the
/// connection, the TLS handshake and the first GET (with the credentials
/// known ahead, over HTTPS) happen while mlops prepares the change;
/// [`Service::list`] for `url` takes the answer and goes on (a 401 is
/// answered there, where credentials can be asked). False when nothing
/// was started.
pub(crate) fn start(url: &str, remote: &str, session: &Session) -> bool {
    let mut client = Client::new(url, session.http_settings(url, Some(remote)));
    client.authorize(session.start_http(url, true));
    let thread = std::thread::spawn(move || {
        let request = client.listing(SERVICE);
        let answer = client.send(&request);
        (client, answer)
    });
    match crate::git::run::run().http_early.lock() {
        Ok(mut early) => {
            *early = Some((url.to_string(), thread));
            true
        }
        Err(_) => false,
    }
}

/// The listing started ahead for `url`, once its first answer is in.
fn take_early(url: &str) -> Option<Started> {
    let (started_for, thread) = crate::git::run::run().http_early.lock().ok()?.take()?;
    match started_for == url {
        true => thread.join().ok(),
        false => None,
    }
}

/// Lets a listing started ahead go (the run stopped before the sync).
pub(crate) fn forget_early() {
    let taken = crate::git::run::run()
        .http_early
        .lock()
        .ok()
        .and_then(|mut e| e.take());
    drop(taken);
}

/// The push service of one repository.
pub(crate) struct Service {
    client: Client,
}

/// The body of a response, read as it arrives.
pub(crate) type Body = Response;

impl Service {
    /// `GET info/refs?service=git-receive-pack` on `url` (of `remote`):
    /// the service and the advertisement after its `# service=` line and
    /// flush.
    pub(crate) fn list(
        url: &str,
        remote: Option<&str>,
        session: &Session,
    ) -> Result<(Service, Body), git2::Error> {
        let (mut client, first) = match take_early(url) {
            Some((client, first)) => {
                // The session that goes on (the link's) knows the URL too.
                let _ = session.start_http(url, true);
                (client, Some(first))
            }
            None => {
                let mut client = Client::new(url, session.http_settings(url, remote));
                client.authorize(session.start_http(url, true));
                (client, None)
            }
        };
        let mut body = client.list(Some(session), SERVICE, first)?;
        // `# service=git-receive-pack`, then a flush.
        let first = read_pkt(&mut body).map_err(io_error)?;
        if first.as_deref().map(strip_newline) != Some(b"# service=git-receive-pack") {
            return Err(protocol("the server sent no receive-pack advertisement"));
        }
        if read_pkt(&mut body).map_err(io_error)?.is_some() {
            return Err(protocol("the server's advertisement lacks its flush"));
        }
        Ok((Service { client }, body))
    }

    /// The listing's body was read to its end: its connection serves the
    /// next request.
    pub(crate) fn done_with(&mut self, mut body: Body) {
        let _ = io::copy(&mut (&mut body).take(1 << 20), &mut io::sink());
        self.client.recycle(body);
    }

    /// `POST git-receive-pack` with `request` (the commands and the
    /// pack): the response's body, the report-status.
    pub(crate) fn post(&mut self, session: &Session, request: &[u8]) -> Result<Body, git2::Error> {
        self.client.post(Some(session), SERVICE, request)
    }

    /// `POST git-upload-pack` with `request` (a whole v0 fetch request:
    /// wants, haves, done), on the same connection and credentials as the
    /// push: `receive` reads the response's body (ACK or NAK, then the
    /// pack), and the connection is kept for the push.
    pub(crate) fn upload<T>(
        &mut self,
        session: &Session,
        request: &[u8],
        receive: impl FnOnce(&mut Body) -> Result<T, git2::Error>,
    ) -> Result<T, git2::Error> {
        let mut body = self
            .client
            .post(Some(session), "git-upload-pack", request)?;
        let received = receive(&mut body)?;
        self.done_with(body);
        Ok(received)
    }
}
