//! A response as it arrives: each transfer runs on a thread of its own
//! that hands the body over in chunks through a channel of [`CHUNKS`]
//! places and waits while it is full, so a server sending without end
//! fills no memory; response headers are bounded ([`HEADERS`]); a stall
//! ends the transfer (`CURLOPT_LOW_SPEED_*`, set by [`super::client`]).

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use curl::easy::{Easy2, Handler, WriteError};

use crate::git::url::scrub;

/// Chunks of a response body (at most 16 KiB each, libcurl's) waiting to
/// be read before the transfer waits.
const CHUNKS: usize = 16;
/// Bytes of response headers accepted (one response's).
const HEADERS: usize = 256 << 10;

pub(super) enum Msg {
    /// The final response's status and type, before its body.
    Head(u32, String),
    Data(Vec<u8>),
}

/// What curl hands over: the headers read as they come, the body passed
/// on through the channel.
#[derive(Default)]
pub(crate) struct Sink {
    tx: Option<SyncSender<Msg>>,
    status: u32,
    content_type: String,
    head_sent: bool,
    header_bytes: usize,
    headers_overflowed: bool,
}

impl Sink {
    /// A sink for one transfer, and the channel's receiving end.
    pub(super) fn new() -> (Sink, Receiver<Msg>) {
        let (tx, rx) = sync_channel(CHUNKS);
        let sink = Sink {
            tx: Some(tx),
            ..Sink::default()
        };
        (sink, rx)
    }
}

impl Handler for Sink {
    fn write(&mut self, data: &[u8]) -> Result<usize, WriteError> {
        let Some(tx) = &self.tx else {
            return Ok(0);
        };
        if !self.head_sent {
            self.head_sent = true;
            let head = Msg::Head(self.status, self.content_type.clone());
            if tx.send(head).is_err() {
                return Ok(0);
            }
        }
        // The reader gone: a short count ends the transfer.
        match tx.send(Msg::Data(data.to_vec())) {
            Ok(()) => Ok(data.len()),
            Err(_) => Ok(0),
        }
    }

    fn header(&mut self, data: &[u8]) -> bool {
        if let Some(rest) = data.strip_prefix(b"HTTP/") {
            self.header_bytes = 0;
            let text = String::from_utf8_lossy(rest);
            self.status = text
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            self.content_type.clear();
        } else if let Some((name, value)) = std::str::from_utf8(data)
            .ok()
            .and_then(|line| line.split_once(':'))
        {
            if name.trim().eq_ignore_ascii_case("content-type") {
                self.content_type = media_type(value);
            }
        }
        self.header_bytes += data.len();
        if self.header_bytes > HEADERS {
            self.headers_overflowed = true;
            return false;
        }
        true
    }
}

/// The host of `url`, for messages.
fn host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match host_port.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h.to_string(),
        _ => host_port.to_string(),
    }
}

fn media_type(value: &str) -> String {
    value.split(';').next().unwrap_or("").trim().to_string()
}

type Ended = (Easy2<Sink>, Result<(), curl::Error>);

/// A response being received: its status, type, final URL, and its body
/// as a reader.
pub(crate) struct Response {
    rx: Receiver<Msg>,
    thread: Option<JoinHandle<Ended>>,
    ended: Option<Ended>,
    chunk: Vec<u8>,
    read: usize,
    pub status: u32,
    pub content_type: String,
    low_speed: (u32, u32, bool),
    /// The server's host, for messages.
    host: String,
}

impl Response {
    /// Starts `easy` (configured, its sink from [`Sink::new`]'s sender)
    /// on a thread; the response once its status is known.
    pub(super) fn start(
        mut easy: Easy2<Sink>,
        rx: Receiver<Msg>,
        save_cookies: bool,
        low_speed: (u32, u32, bool),
        url: &str,
    ) -> Result<Response, git2::Error> {
        let thread = std::thread::spawn(move || {
            let result = easy.perform();
            if save_cookies {
                // http.saveCookies: the jar is written now, not when the
                // handle is freed (which a failed run may never reach).
                let _ = easy.cookie_list("FLUSH");
            }
            // The reader sees the channel close.
            easy.get_mut().tx = None;
            (easy, result)
        });
        let mut response = Response {
            rx,
            thread: Some(thread),
            ended: None,
            chunk: Vec::new(),
            read: 0,
            status: 0,
            content_type: String::new(),
            low_speed,
            host: host(url),
        };
        response.wait_status()?;
        Ok(response)
    }

    /// The handle, with its connection, when the transfer ended well.
    pub(super) fn into_handle(mut self) -> Option<Easy2<Sink>> {
        match self.ended.take() {
            Some((easy, Ok(()))) => Some(easy),
            _ => None,
        }
    }

    /// The transfer ended: its handle and result.
    fn end(&mut self) -> Result<(), git2::Error> {
        if self.ended.is_none() {
            let thread = self.thread.take();
            let ended = thread.and_then(|t| t.join().ok());
            let Some(ended) = ended else {
                return Err(net("the HTTP transfer failed"));
            };
            self.ended = Some(ended);
        }
        match &self.ended {
            Some((easy, Err(e))) => {
                if easy.get_ref().headers_overflowed {
                    return Err(net(&format!(
                        "the server sent more than {} KiB of response headers",
                        HEADERS >> 10
                    )));
                }
                Err(describe(e, self.low_speed, &self.host))
            }
            _ => Ok(()),
        }
    }

    /// Waits until the final response's status is known.
    fn wait_status(&mut self) -> Result<(), git2::Error> {
        match self.rx.recv() {
            Ok(Msg::Head(status, content_type)) => {
                self.status = status;
                self.content_type = content_type;
            }
            Ok(Msg::Data(data)) => self.chunk = data,
            Err(_) => {
                self.end()?;
                if let Some((easy, _)) = &mut self.ended {
                    self.status = easy.response_code().unwrap_or(0);
                    self.content_type =
                        media_type(easy.content_type().ok().flatten().unwrap_or(""));
                }
            }
        }
        Ok(())
    }

    /// The URL the request ended at (after redirects), once read to its
    /// end.
    pub(super) fn effective_url(&mut self) -> Option<String> {
        let (easy, _) = self.ended.as_mut()?;
        easy.effective_url().ok().flatten().map(str::to_string)
    }

    /// Reads the rest away (at most 1 MiB: an error page), so the
    /// connection can serve the next request.
    pub(super) fn drain(&mut self) {
        let _ = io::copy(&mut self.take(1 << 20), &mut io::sink());
    }
}

impl Read for Response {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let waiting = self.chunk.len() - self.read;
            if waiting > 0 {
                let n = waiting.min(out.len());
                out[..n].copy_from_slice(&self.chunk[self.read..self.read + n]);
                self.read += n;
                return Ok(n);
            }
            match self.rx.recv() {
                Ok(Msg::Data(data)) => {
                    self.chunk = data;
                    self.read = 0;
                }
                Ok(Msg::Head(..)) => {}
                Err(_) => {
                    return match self.end() {
                        Ok(()) => Ok(0),
                        Err(e) => Err(io::Error::other(e.message().to_string())),
                    }
                }
            }
        }
    }
}

/// A curl error as the user reads it: a stall says how long nothing came.
pub(crate) fn describe(e: &curl::Error, low_speed: (u32, u32, bool), host: &str) -> git2::Error {
    let (limit, time, configured) = low_speed;
    if e.is_operation_timedout() {
        let from = if configured {
            "http.lowSpeedLimit/http.lowSpeedTime"
        } else {
            "mlops's default when git config sets no http.lowSpeedLimit/lowSpeedTime"
        };
        return net(&format!(
            "the server stalled: less than {limit} byte(s) a second for {time} s ({from})"
        ));
    }
    let detail = match e.extra_description() {
        Some(extra) => format!("{}: {extra}", e.description()),
        None => e.description().to_string(),
    };
    if detail.contains("private key") {
        // libcurl could not read the client key: most often one with a
        // passphrase nobody was asked for.
        return net(&scrub(&format!(
            "{detail}; a key with a passphrase needs http.sslCertPasswordProtected=true \
             (http.proxySSLCertPasswordProtected for a proxy's), then git's way of asking gives it"
        )));
    }
    if e.is_ssl_connect_error()
        || e.is_peer_failed_verification()
        || e.is_ssl_certproblem()
        || e.is_ssl_cacert_badfile()
    {
        let extra = e.extra_description().unwrap_or("");
        let reason = if let Some((_, verdict)) = extra.split_once("verify result: ") {
            verdict
                .rsplit_once(" (")
                .map_or(verdict, |(why, _)| why)
                .to_string()
        } else if extra.contains("subject name") {
            "hostname mismatch".to_string()
        } else {
            detail
        };
        return git2::Error::new(
            git2::ErrorCode::Certificate,
            git2::ErrorClass::Ssl,
            scrub(&format!(
                "the TLS certificate of {host} is invalid: {reason}"
            )),
        );
    }
    net(&scrub(&detail))
}

pub(crate) fn net(message: &str) -> git2::Error {
    git2::Error::new(
        git2::ErrorCode::GenericError,
        git2::ErrorClass::Net,
        message,
    )
}
