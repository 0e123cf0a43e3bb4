//! mlops's own smart-HTTP client for the push service: the receive-pack
//! conversation of src/git/push over HTTP(S), in two requests on one
//! kept-alive connection (`GET info/refs?service=git-receive-pack`, then
//! `POST git-receive-pack` with the commands and the thin pack).
//!
//! Why hand-written: libgit2's HTTP client can't be handed a pack. Its
//! push builds the pack itself by walking the whole tree of the remote
//! tip (libgit2 issue 3364): about 48 KB and 50 ms at 3 × 2,000 models,
//! about 470 KB and 250 ms at 3 × 20,000, for a commit that changes one
//! file (README, "Performance"). Here the pack is the thin one of
//! [`super::thin_pack`], as for path and SSH remotes.
//!
//! Credentials behave as with libgit2 (src/git/link.rs): those known
//! ahead go with the first request over HTTPS
//! ([`super::super::credentials::Credentials::ahead`]), over plain HTTP only after a
//! challenge; a 401 asks the same sources in the same order
//! ([`Session::challenged`]) until they are used up. Anything this client
//! does not do falls back to libgit2, unchanged ([`usable`],
//! [`plain_config`], and a redirect or a server that is not smart:
//! [`Service::list`] returns `None`). A redirect is never followed.
//!
//! TLS is OpenSSL, as for libgit2, with the same CAs ([`super::tls`]):
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`, else the system's. libgit2 reads
//! neither `GIT_SSL_CAINFO` nor `http.sslCAInfo`; nor does this.

use std::io::{self, Read};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::super::basic::basic;
use super::super::pkt::{io_error, protocol, read_pkt, strip_newline};
use super::super::session::Session;
use super::super::url::{has_password, scrub, strip_userinfo, url_user};
use super::tls::{Refused, Tls};

const ADVERTISEMENT: &str = "application/x-git-receive-pack-advertisement";
const RESULT: &str = "application/x-git-receive-pack-result";
const UPLOAD_RESULT: &str = "application/x-git-upload-pack-result";

/// Whether the repository's git config leaves the simple case: no proxy,
/// no extra headers, no cookie file, certificates verified (also per URL:
/// `http.<url>.proxy` and the like fall back whatever URL they name).
pub(crate) fn plain_config(config: &git2::Config) -> bool {
    let Ok(entries) = config.entries(Some("^http\\.")) else {
        return false;
    };
    let mut plain = true;
    let _ = entries.for_each(|entry| {
        let name = entry.name().unwrap_or("").to_ascii_lowercase();
        let key = name.rsplit('.').next().unwrap_or("");
        let special = match key {
            "proxy" | "extraheader" | "cookiefile" => true,
            // A bare `sslVerify` (no value) is true; `value()` would panic.
            "sslverify" => {
                entry.has_value()
                    && entry
                        .value()
                        .map_or(true, |v| git2::Config::parse_bool(v).map_or(true, |on| !on))
            }
            _ => false,
        };
        plain &= !special;
    });
    plain
}

/// Whether mlops's own client may push to `url`: HTTP(S), no password
/// in the URL (libgit2 offers that one first), no proxy in the
/// environment; `config` from [`plain_config`].
pub(crate) fn usable(url: &str, config: bool) -> bool {
    let lower = url.to_ascii_lowercase();
    let web = lower.starts_with("http://") || lower.starts_with("https://");
    let proxy = [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
    web && config && !proxy && !has_password(url)
}

/// A listing started ahead ([`start`]): the URL, and the thread making
/// its first request.
type Started = (Service, Result<ureq::Response, ureq::Error>);
static EARLY: Mutex<Option<(String, JoinHandle<Started>)>> = Mutex::new(None);

/// Starts listing `url`'s push service on a thread of its own: the
/// connection, the TLS handshake and the first GET (with the credentials
/// known ahead, over HTTPS) happen while mlops prepares the change;
/// [`Service::list`] for `url` takes the answer and goes on (a 401 is
/// answered there, where credentials can be asked). False when nothing
/// was started.
pub(crate) fn start(url: &str, session: &Session) -> bool {
    let Ok(service) = Service::new(url, session) else {
        return false;
    };
    let thread = std::thread::spawn(move || {
        let target = service.listing();
        let mut request = service.agent.get(&target).set("Pragma", "no-cache");
        if let Some(auth) = &service.auth {
            request = request.set("Authorization", auth);
        }
        let answer = request.call();
        (service, answer)
    });
    match EARLY.lock() {
        Ok(mut early) => {
            *early = Some((url.to_string(), thread));
            true
        }
        Err(_) => false,
    }
}

/// The listing started ahead for `url`, once its first answer is in.
fn take_early(url: &str) -> Option<Started> {
    let (started_for, thread) = EARLY.lock().ok()?.take()?;
    match started_for == url {
        true => thread.join().ok(),
        false => None,
    }
}

/// Lets a listing started ahead go (the run stopped before the sync): its
/// thread ends with the process.
pub(crate) fn forget_early() {
    let taken = EARLY.lock().ok().and_then(|mut e| e.take());
    drop(taken);
}

/// The push service of one repository over one ureq agent (its pool keeps
/// the connection from the listing to the push).
pub(crate) struct Service {
    agent: ureq::Agent,
    /// The repository's URL without userinfo or a trailing `/`.
    base: String,
    /// The URL as configured: credentials are asked and remembered for it.
    url: String,
    /// The username the URL names.
    user: Option<String>,
    /// The `Authorization` value sent with each request: what went ahead,
    /// then what the server accepted.
    auth: Option<String>,
}

/// The body of a response, read as it arrives.
pub(crate) type Body = Box<dyn Read + Send + Sync>;

impl Service {
    /// `GET info/refs?service=git-receive-pack` on `url`: the service and
    /// the advertisement after its `# service=` line and flush; `None`
    /// when libgit2 should do it (a redirect, a server that is not smart,
    /// any other answer than 200 or 401).
    pub(crate) fn list(
        url: &str,
        session: &Session,
    ) -> Result<Option<(Service, Body)>, git2::Error> {
        let (mut service, first) = match take_early(url) {
            Some((service, first)) => {
                // The session that goes on (the link's) knows the URL too.
                let _ = session.start_http(url);
                (service, Some(first))
            }
            None => (Service::new(url, session)?, None),
        };
        let target = service.listing();
        let answer = service.send(session, None, first, |agent| {
            agent.get(&target).set("Pragma", "no-cache")
        })?;
        let Ok(response) = answer else {
            return Ok(None);
        };
        if response.content_type() != ADVERTISEMENT {
            return Ok(None);
        }
        let mut body = response.into_reader();
        // `# service=git-receive-pack`, then a flush.
        let first = read_pkt(&mut body).map_err(io_error)?;
        if first.as_deref().map(strip_newline) != Some(b"# service=git-receive-pack") {
            return Err(protocol("the server sent no receive-pack advertisement"));
        }
        if read_pkt(&mut body).map_err(io_error)?.is_some() {
            return Err(protocol("the server's advertisement lacks its flush"));
        }
        Ok(Some((service, body)))
    }

    /// The client for `url`, with the credentials known ahead for it.
    fn new(url: &str, session: &Session) -> Result<Service, git2::Error> {
        let mut builder = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout_connect(Duration::from_secs(30))
            .user_agent(&format!("git/2.0 (mlops/{})", env!("CARGO_PKG_VERSION")));
        if url.to_ascii_lowercase().starts_with("https://") {
            let tls = Tls::new().map_err(|e| tls_error(&e.0))?;
            builder = builder.tls_connector(Arc::new(tls));
        }
        Ok(Service {
            agent: builder.build(),
            base: strip_userinfo(url).trim_end_matches('/').to_string(),
            url: url.to_string(),
            user: url_user(url),
            auth: session.start_http(url),
        })
    }

    fn listing(&self) -> String {
        format!("{}/info/refs?service=git-receive-pack", self.base)
    }

    /// `POST git-receive-pack` with `request` (the commands and the
    /// pack): the response's body, the report-status.
    pub(crate) fn post(&mut self, session: &Session, request: &[u8]) -> Result<Body, git2::Error> {
        let target = format!("{}/git-receive-pack", self.base);
        let answer = self.send(session, Some(request), None, |agent| {
            agent
                .post(&target)
                .set("Content-Type", "application/x-git-receive-pack-request")
                .set("Accept", RESULT)
        })?;
        match answer {
            Ok(response) if response.content_type() == RESULT => Ok(response.into_reader()),
            Ok(response) => Err(protocol(&format!(
                "the server answered the push with {} instead of a report",
                response.content_type()
            ))),
            Err(status) => Err(protocol(&format!(
                "the server answered the push with HTTP status {status}"
            ))),
        }
    }

    /// `POST git-upload-pack` with `request` (a whole v0 fetch request:
    /// wants, haves, done), on the same connection and credentials as the
    /// push: the response's body (ACK or NAK, then the pack).
    pub(crate) fn upload(
        &mut self,
        session: &Session,
        request: &[u8],
    ) -> Result<Body, git2::Error> {
        let target = format!("{}/git-upload-pack", self.base);
        let answer = self.send(session, Some(request), None, |agent| {
            agent
                .post(&target)
                .set("Content-Type", "application/x-git-upload-pack-request")
                .set("Accept", UPLOAD_RESULT)
        })?;
        match answer {
            Ok(response) if response.content_type() == UPLOAD_RESULT => Ok(response.into_reader()),
            Ok(response) => Err(protocol(&format!(
                "the server answered the fetch with {}",
                response.content_type()
            ))),
            Err(status) => Err(protocol(&format!(
                "the server answered the fetch with HTTP status {status}"
            ))),
        }
    }

    /// Sends a request (unless `first` is its answer already), and again
    /// with the next credentials after each 401 until they are used up
    /// (an `Auth` error). `Err(status)` for a redirect (never followed) or
    /// any answer other than 2xx and 401.
    fn send(
        &mut self,
        session: &Session,
        body: Option<&[u8]>,
        mut first: Option<Result<ureq::Response, ureq::Error>>,
        make: impl Fn(&ureq::Agent) -> ureq::Request,
    ) -> Result<Result<ureq::Response, u16>, git2::Error> {
        loop {
            let sent = match first.take() {
                Some(answer) => answer,
                None => {
                    let mut request = make(&self.agent);
                    if let Some(auth) = &self.auth {
                        request = request.set("Authorization", auth);
                    }
                    match body {
                        Some(data) => request.send_bytes(data),
                        None => request.call(),
                    }
                }
            };
            match sent {
                Ok(response) if response.status() / 100 == 2 => return Ok(Ok(response)),
                Ok(response) => {
                    let status = response.status();
                    drain(response);
                    return Ok(Err(status));
                }
                Err(ureq::Error::Status(401, response)) => {
                    // Read, so the connection is kept for the next try.
                    drain(response);
                    let (user, pass) = session.challenged(&self.url, self.user.as_deref())?;
                    self.auth = Some(basic(&user, &pass));
                }
                Err(ureq::Error::Status(status, response)) => {
                    drain(response);
                    return Ok(Err(status));
                }
                Err(ureq::Error::Transport(e)) => return Err(transport_error(&e)),
            }
        }
    }
}

/// Reads a short answer away (an error page), so its connection can serve
/// the next request.
fn drain(response: ureq::Response) {
    let _ = io::copy(&mut response.into_reader().take(1 << 20), &mut io::sink());
}

fn tls_error(detail: &str) -> git2::Error {
    git2::Error::new(
        git2::ErrorCode::Certificate,
        git2::ErrorClass::Ssl,
        format!(
            "the server's TLS certificate could not be verified: {}",
            scrub(detail)
        ),
    )
}

/// A connection that failed: a TLS handshake as a certificate failure
/// (src/git/fail.rs gives the `SSL_CERT_FILE` hint), the rest as network
/// errors, both without any secret.
fn transport_error(e: &ureq::Transport) -> git2::Error {
    use std::error::Error;
    let detail = e
        .source()
        .map_or_else(|| e.to_string(), |s| format!("{}: {s}", e.kind()));
    let handshake = e
        .source()
        .and_then(|s| s.downcast_ref::<io::Error>())
        .and_then(|io| io.get_ref())
        .and_then(|inner| inner.downcast_ref::<Refused>());
    if let Some(Refused(why)) = handshake {
        return tls_error(why);
    }
    git2::Error::new(
        git2::ErrorCode::GenericError,
        git2::ErrorClass::Net,
        scrub(&detail),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_that_leave_the_push_to_libgit2() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        for (text, plain) in [
            ("", true),
            ("[http]\n\tsslVerify = true\n\tpostBuffer = 1048576\n", true),
            ("[http]\n\tsslVerify\n", true),
            ("[http]\n\tsslVerify = false\n", false),
            ("[http]\n\tproxy = http://proxy:3128\n", false),
            ("[http \"https://git.example.com/\"]\n\tproxy = x\n", false),
            ("[http]\n\textraHeader = X-Team: ml\n", false),
            ("[http]\n\tcookieFile = cookies.txt\n", false),
        ] {
            std::fs::write(&path, text).unwrap();
            let config = git2::Config::open(&path).unwrap();
            assert_eq!(plain_config(&config), plain, "{text}");
        }
        // Not HTTP, or a password in the URL, or a config that is not plain.
        assert!(!usable("ssh://git@h/x", true));
        assert!(!usable("https://bot:s3cret@h/x", true));
        assert!(!usable("https://h/x", false));
    }
}
