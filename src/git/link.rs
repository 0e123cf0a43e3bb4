//! Connections with known credentials sent ahead, and the push connection
//! a run keeps from its listing to its push.
//!
//! Why: libgit2 sends no credentials until the server refuses a request
//! (401), then asks the credential callback and repeats the request: one
//! round trip lost per connection. When the credentials are known before
//! the first request (`MLOPS_GIT_TOKEN`, or a helper's answer earlier in
//! the run) and the remote is HTTPS, they go with it as an `Authorization`
//! header, with redirects off so the header reaches no other server (a
//! redirect makes it connect again the ordinary way, where libgit2 asks
//! per server). git2's `Remote::connect_auth` takes no headers, so the
//! connection is made with `git_remote_connect_ext` (libgit2 1.9).
//!
//! And why a kept connection: listing the branch through the *push*
//! service (`info/refs?service=git-receive-pack`) tells the tip the push
//! will be checked against. When the checkout already has that commit,
//! nothing is fetched, and the push later goes over the same connection
//! (libgit2 reuses a connected remote for `git_remote_upload`): over HTTP
//! one GET and one POST on one kept-alive connection, over SSH one `ssh`,
//! instead of a listing, a fetch and a push on three.
//!
//! Over HTTP(S) the kept connection is usually mlops's own smart-HTTP
//! client's (src/git/push/http.rs, so the push sends a thin pack);
//! libgit2's connection, made here, is for what that client does not do
//! (a proxy, a redirect, ...).

use std::ffi::CString;
use std::os::raw::{c_char, c_int};
use std::time::{Duration, Instant};

use git2::{Binding, Direction, Oid, ProxyOptions, Remote, RemoteCallbacks};

use super::push::ReceivePack;
use super::session::Session;
use super::transport;

extern "C" {
    // In libgit2 since 1.4; not bound by libgit2-sys 0.18.
    fn git_remote_connect_ext(
        remote: *mut libgit2_sys::git_remote,
        direction: libgit2_sys::git_direction,
        opts: *const libgit2_sys::git_remote_connect_options,
    ) -> c_int;
}

/// The proxy every libgit2 connection takes: found as git finds it
/// (`remote.<name>.proxy`, `http.<url>.proxy`, `http.proxy`, then
/// `https_proxy`/`http_proxy` less `no_proxy`, in libgit2's detection).
pub(crate) fn proxy<'a>() -> ProxyOptions<'a> {
    let mut proxy = ProxyOptions::new();
    proxy.auto();
    proxy
}

/// A connected remote and the callbacks libgit2 keeps pointers to: the
/// remote is disconnected before the callbacks are freed.
pub(crate) struct Connection<'a, 'r, 's> {
    pub remote: &'a mut Remote<'r>,
    /// `None` once handed over to a [`Link`] (then no disconnect here).
    callbacks: Option<Box<RemoteCallbacks<'s>>>,
    /// The headers sent with every request (credentials sent ahead).
    pub headers: Vec<String>,
}

impl Drop for Connection<'_, '_, '_> {
    fn drop(&mut self) {
        if self.callbacks.is_some() {
            let _ = self.remote.disconnect();
        }
    }
}

impl<'s> Connection<'_, '_, 's> {
    /// Leaves the remote connected: the caller keeps the callbacks alive
    /// until it disconnects.
    fn keep(mut self) -> (Option<Box<RemoteCallbacks<'s>>>, Vec<String>) {
        (self.callbacks.take(), std::mem::take(&mut self.headers))
    }
}

/// Connects `remote` (whose URL for `direction` is `url`) with the
/// session's callbacks, sending the credentials known for `url` with the
/// first request over HTTPS ([`super::credentials::Credentials::ahead`]).
pub(crate) fn connect<'a, 'r, 's>(
    remote: &'a mut Remote<'r>,
    session: &'s Session,
    url: &str,
    direction: Direction,
) -> Result<Connection<'a, 'r, 's>, git2::Error> {
    session.aim(url);
    let callbacks = Box::new(session.callbacks());
    let headers = session.headers_ahead(url, direction == Direction::Push);
    session.guard_handshakes(!headers.is_empty());
    let connected = raw_connect(remote, &callbacks, direction, &headers);
    session.guard_handshakes(false);
    match connected {
        Ok(()) => Ok(Connection {
            remote,
            callbacks: Some(callbacks),
            headers,
        }),
        // A redirect: connect again as git would, without the header and
        // following the first redirect (`http.followRedirects`); the
        // token stays with the origin it is for (credentials.rs).
        Err(e) if !headers.is_empty() && e.message().contains("redirect") => {
            drop(callbacks);
            let callbacks = Box::new(session.callbacks());
            raw_connect(remote, &callbacks, direction, &[])?;
            Ok(Connection {
                remote,
                callbacks: Some(callbacks),
                headers: Vec::new(),
            })
        }
        Err(e) => Err(e),
    }
}

fn raw_connect(
    remote: &mut Remote<'_>,
    callbacks: &RemoteCallbacks<'_>,
    direction: Direction,
    headers: &[String],
) -> Result<(), git2::Error> {
    let owned: Vec<CString> = headers
        .iter()
        .map(|h| CString::new(h.as_str()))
        .collect::<Result<_, _>>()
        .map_err(|_| git2::Error::from_str("a header with a NUL byte"))?;
    let mut pointers: Vec<*mut c_char> = owned.iter().map(|c| c.as_ptr() as *mut c_char).collect();
    let proxy = proxy();
    // SAFETY: the options are initialised as libgit2's
    // GIT_REMOTE_CONNECT_OPTIONS_INIT does (version 1, the rest zero) and
    // filled with values that outlive the call; libgit2 copies the
    // headers and callbacks into the transport, and the callbacks'
    // payload (the boxed `RemoteCallbacks`) is kept alive by the caller
    // until the remote is disconnected.
    let rc = unsafe {
        let mut opts: libgit2_sys::git_remote_connect_options = std::mem::zeroed();
        opts.version = 1;
        opts.callbacks = callbacks.raw();
        opts.proxy_opts = proxy.raw();
        opts.follow_redirects = if headers.is_empty() {
            0 // http.followRedirects from git config, else "initial"
        } else {
            libgit2_sys::GIT_REMOTE_REDIRECT_NONE
        };
        opts.custom_headers = libgit2_sys::git_strarray {
            strings: pointers.as_mut_ptr(),
            count: pointers.len(),
        };
        let direction = match direction {
            Direction::Fetch => libgit2_sys::GIT_DIRECTION_FETCH,
            Direction::Push => libgit2_sys::GIT_DIRECTION_PUSH,
        };
        git_remote_connect_ext(remote.raw(), direction, &opts)
    };
    if rc < 0 {
        return Err(git2::Error::last_error(rc));
    }
    Ok(())
}

/// A push connection kept from the listing to the push, with the session
/// whose callbacks it holds.
pub(crate) struct Link {
    conn: Conn,
    // Dropped after the connection (`Drop::drop` disconnects it first).
    session: Box<Session>,
    /// The remote's URL as configured (the push URL).
    pub url: String,
    /// Headers sent with every request (for the push's options too).
    pub headers: Vec<String>,
    /// The branches as the push service advertised them.
    pub heads: Vec<(String, Oid)>,
    opened: Instant,
}

enum Conn {
    /// libgit2's connection (HTTP, HTTPS when mlops's own client
    /// does not apply: a proxy, a redirect, see src/git/push/http.rs).
    Git2 {
        remote: Remote<'static>,
        callbacks: Option<Box<RemoteCallbacks<'static>>>,
    },
    /// mlops's own receive-pack conversation (a path, file://, SSH, and
    /// HTTP(S) in the simple case).
    Wire(ReceivePack),
}

/// What a push goes over.
pub(crate) enum Parts<'a> {
    Git2(&'a mut Remote<'static>),
    Wire(&'a mut ReceivePack),
}

impl Drop for Link {
    fn drop(&mut self) {
        if let Conn::Git2 { remote, callbacks } = &mut self.conn {
            let _ = remote.disconnect();
            *callbacks = None;
        }
    }
}

impl Link {
    /// Connects `remote` for pushing and reads the advertisement: through
    /// mlops's own receive-pack conversation for a remote reached through
    /// a program, or over HTTP(S) when its own client applies
    /// (src/git/push/), else through libgit2.
    ///
    /// # Safety
    ///
    /// The link must be dropped before the repository `remote` belongs to
    /// (the workspace drops its link first).
    pub(crate) unsafe fn open(
        remote: Remote<'_>,
        session: Session,
        url: &str,
    ) -> Result<Link, (git2::Error, Box<Session>)> {
        let session = Box::new(session);
        let target = remote.url().unwrap_or(url).to_string();
        let wire = if transport::is_program(&target) {
            ReceivePack::open(&target).map(Some)
        } else if session.own_http(url) {
            ReceivePack::open_http(url, &session)
        } else {
            Ok(None)
        };
        let wire = match wire {
            Ok(wire) => wire,
            Err(e) => return Err((e, session)),
        };
        if let Some(wire) = wire {
            drop(remote);
            return Ok(Link {
                heads: branches(wire.heads.iter().map(|(n, o)| (n.as_str(), *o))),
                conn: Conn::Wire(wire),
                session,
                url: url.to_string(),
                headers: Vec::new(),
                opened: Instant::now(),
            });
        }
        super::tls::prepare();
        // SAFETY (lifetimes): the remote's repository outlives the link
        // (the caller's contract); the callbacks borrow the boxed session,
        // which the link owns and drops after them.
        let mut remote: Remote<'static> = std::mem::transmute(remote);
        let borrowed: &'static Session = &*(&*session as *const Session);
        // Keep the connection: the callbacks move into the link.
        let connected = connect(&mut remote, borrowed, url, Direction::Push).map(Connection::keep);
        let (callbacks, headers) = match connected {
            Ok(kept) => kept,
            Err(e) => {
                drop(remote);
                return Err((e, session));
            }
        };
        let heads = match remote.list() {
            Ok(heads) => branches(heads.iter().map(|h| (h.name(), h.oid()))),
            Err(e) => {
                let _ = remote.disconnect();
                drop(callbacks);
                drop(remote);
                return Err((e, session));
            }
        };
        Ok(Link {
            conn: Conn::Git2 { remote, callbacks },
            session,
            url: url.to_string(),
            headers,
            heads,
            opened: Instant::now(),
        })
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
    pub(crate) fn parts(&mut self) -> (Parts<'_>, &Session) {
        let conn = match &mut self.conn {
            Conn::Git2 { remote, .. } => Parts::Git2(remote),
            Conn::Wire(wire) => Parts::Wire(wire),
        };
        (conn, &self.session)
    }

    /// Whether the connection is recent enough to push over: an HTTP
    /// server closes an idle kept-alive connection after a few seconds
    /// (lighttpd 5 s, nginx 75 s), a confirmation on a terminal can take
    /// longer. An older link is dropped and the push connects afresh.
    pub(crate) fn fresh(&self) -> bool {
        let http = self.url.to_ascii_lowercase().starts_with("http");
        let limit = if http { 3 } else { 60 };
        self.opened.elapsed() < Duration::from_secs(limit)
    }
}

fn branches<'a>(refs: impl Iterator<Item = (&'a str, Oid)>) -> Vec<(String, Oid)> {
    refs.filter(|(name, _)| name.starts_with("refs/heads/"))
        .map(|(name, oid)| (name.to_string(), oid))
        .collect()
}
