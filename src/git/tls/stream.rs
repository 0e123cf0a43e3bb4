//! One TLS connection for libgit2's HTTP client, as libgit2's own OpenSSL
//! stream makes it (streams/openssl.c and streams/socket.c in libgit2
//! 1.9): TCP to every resolved address in turn, then the handshake with
//! SNI and the name (or IP address) checked against the certificate, whose
//! verdict is read after the handshake. The C side is [`super::ffi`].

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use openssl::ssl::{HandshakeError, SslStream, SslVerifyMode};

/// A byte stream TLS can run over: libgit2's own stream to a proxy, once
/// the proxy's CONNECT tunnel is open ([`super::ffi`]'s `Tunnel`).
pub(super) trait Duplex: Read + Write {}

impl<T: Read + Write> Duplex for T {}

/// Where a connection goes.
pub(super) enum Way {
    /// A TCP connection of its own to the server's `port`.
    Tcp { port: String },
    /// Over a stream libgit2 opened (and closes and frees itself).
    Over(Box<dyn Duplex>),
}

/// What a stream's `timeout` and `connect_timeout` say, in
/// milliseconds; 0 is the system's default (blocking).
#[derive(Clone, Copy)]
pub(super) struct Timeouts {
    pub connect: i32,
    pub io: i32,
}

/// Why a call failed; [`super::ffi`] gives libgit2 the code and error.
#[derive(Debug)]
pub(super) enum Failed {
    /// The handshake completed but the certificate did not verify
    /// (`GIT_ECERTIFICATE`: libgit2 then shows it to the certificate
    /// callback, whose passthrough keeps this failure).
    Certificate(String),
    /// The handshake (or setting OpenSSL up) failed.
    Tls(String),
    /// The network: resolving, connecting, reading, writing.
    Net(String),
    /// A timeout from the stream's settings.
    Timeout(String),
}

enum Io {
    Tcp(TcpStream),
    Over(Box<dyn Duplex>),
}

/// A TLS connection to `host`, made by [`Connection::connect`].
pub(super) struct Connection {
    host: String,
    way: Option<Way>,
    tls: Option<SslStream<Io>>,
    /// The server's certificate (DER), kept for libgit2's certificate
    /// callback (src/git/session.rs counts handshakes with it).
    pub(super) der: Vec<u8>,
}

impl Connection {
    pub(super) fn new(host: String, way: Way) -> Connection {
        Connection {
            host,
            way: Some(way),
            tls: None,
            der: Vec::new(),
        }
    }

    /// Connects and shakes hands. A certificate that does not verify is
    /// [`Failed::Certificate`] with the connection kept: as with libgit2's
    /// own stream, the certificate callback may still accept it, and
    /// nothing is sent before it has been asked.
    pub(super) fn connect(&mut self, timeouts: Timeouts) -> Result<(), Failed> {
        let io = match self.way.take() {
            Some(Way::Tcp { port }) => Io::Tcp(tcp(&self.host, &port, timeouts)?),
            Some(Way::Over(inner)) => Io::Over(inner),
            None => return Err(Failed::Net("the TLS stream was connected twice".into())),
        };
        let connector =
            super::connector().map_err(|e| Failed::Tls(format!("could not set up TLS: {e}")))?;
        let mut config = connector
            .configure()
            .map_err(|e| Failed::Tls(format!("could not set up TLS: {e}")))?;
        // The verdict is read after the handshake, as libgit2 does
        // (SSL_VERIFY_NONE, then SSL_get_verify_result): OpenSSL still
        // checks the chain against the CAs and the name the configuration
        // sets, but a failure leaves the certificate there for the
        // callback instead of ending the handshake.
        config.set_verify(SslVerifyMode::NONE);
        let host = self.host.clone();
        let stream = match config.connect(&host, io) {
            Ok(stream) => stream,
            Err(HandshakeError::WouldBlock(_)) => {
                return Err(Failed::Timeout(format!(
                    "the TLS handshake with {host} timed out"
                )))
            }
            Err(e) => {
                return Err(Failed::Tls(format!(
                    "the TLS handshake with {host} failed: {}",
                    super::handshake_failure(e)
                )))
            }
        };
        let verdict = stream.ssl().verify_result();
        let der = stream.ssl().peer_certificate().map(|c| c.to_der());
        self.tls = Some(stream);
        if verdict.as_raw() != 0 {
            // Kept for the callback, which is asked before libgit2 fails.
            self.der = der.and_then(Result::ok).unwrap_or_default();
            return Err(Failed::Certificate(format!(
                "the TLS certificate of {host} is invalid: {}",
                verdict.error_string()
            )));
        }
        match der {
            Some(Ok(der)) => {
                self.der = der;
                Ok(())
            }
            Some(Err(e)) => Err(Failed::Tls(format!(
                "the TLS certificate of {host} could not be read: {e}"
            ))),
            None => Err(Failed::Tls(format!("{host} sent no TLS certificate"))),
        }
    }

    pub(super) fn read(&mut self, buf: &mut [u8]) -> Result<usize, Failed> {
        let result = self.open()?.read(buf);
        result.map_err(|e| self.broken("read from", e))
    }

    pub(super) fn write(&mut self, buf: &[u8]) -> Result<usize, Failed> {
        let result = self.open()?.write(buf);
        result.map_err(|e| self.broken("write to", e))
    }

    /// Says goodbye (TLS's close_notify; a failure changes nothing) and
    /// lets go of the connection: its own TCP connection is closed, a
    /// stream it ran over is left to libgit2. Over a proxy's tunnel
    /// nothing is sent: libgit2 closes the tunnel right after, and on a
    /// failed connect it has freed the proxy's stream already
    /// (`http_client_connect` closes the proxy first; libgit2's own
    /// OpenSSL stream writes to it there).
    pub(super) fn close(&mut self) {
        if let Some(mut stream) = self.tls.take() {
            if matches!(stream.get_ref(), Io::Tcp(_)) {
                let _ = stream.shutdown();
            }
        }
    }

    fn open(&mut self) -> Result<&mut SslStream<Io>, Failed> {
        let host = &self.host;
        self.tls
            .as_mut()
            .ok_or_else(|| Failed::Net(format!("the TLS connection to {host} is not open")))
    }

    fn broken(&self, doing: &str, e: io::Error) -> Failed {
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                Failed::Timeout(format!("could not {doing} {}: timed out", self.host))
            }
            _ => Failed::Net(format!("could not {doing} {}: {e}", self.host)),
        }
    }
}

/// A TCP connection to `host`, as libgit2's socket stream makes it: each
/// resolved address in turn until one answers, stopping at a timeout;
/// keepalive on, to notice a dead server.
fn tcp(host: &str, port: &str, timeouts: Timeouts) -> Result<TcpStream, Failed> {
    let number: u16 = port
        .parse()
        .map_err(|_| Failed::Net(format!("invalid port '{port}' for {host}")))?;
    let addresses = (host, number)
        .to_socket_addrs()
        .map_err(|e| Failed::Net(format!("failed to resolve address for {host}: {e}")))?;
    let mut last = None;
    for address in addresses {
        let attempt = match millis(timeouts.connect) {
            Some(limit) => TcpStream::connect_timeout(&address, limit),
            None => TcpStream::connect(address),
        };
        match attempt {
            Ok(socket) => return ready(socket, timeouts),
            // libgit2 tries no other address after its own timeout.
            Err(e) if timeouts.connect > 0 && e.kind() == io::ErrorKind::TimedOut => {
                return Err(Failed::Timeout(format!(
                    "failed to connect to {host}: timed out"
                )))
            }
            Err(e) => last = Some(e),
        }
    }
    Err(Failed::Net(match last {
        Some(e) => format!("failed to connect to {host}: {e}"),
        None => format!("failed to resolve address for {host}: no address"),
    }))
}

fn ready(socket: TcpStream, timeouts: Timeouts) -> Result<TcpStream, Failed> {
    let limit = millis(timeouts.io);
    socket
        .set_read_timeout(limit)
        .and_then(|()| socket.set_write_timeout(limit))
        .map_err(|e| Failed::Net(format!("could not set the socket's timeouts: {e}")))?;
    keepalive(&socket);
    Ok(socket)
}

fn millis(ms: i32) -> Option<Duration> {
    u64::try_from(ms)
        .ok()
        .filter(|&ms| ms > 0)
        .map(Duration::from_millis)
}

/// libgit2's keepalive: probes after 60 s idle, every 10 s, 3 of them.
/// (libgit2 sets it on IPv4 sockets only; it helps IPv6 as much.)
fn keepalive(socket: &TcpStream) {
    use std::os::fd::AsRawFd;
    let fd = socket.as_raw_fd();
    let set = |level: libc::c_int, name: libc::c_int, value: libc::c_int| {
        // SAFETY: `fd` is an open socket; the value is a c_int, as these
        // options take.
        unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                (&value as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        }
    };
    if set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1) == 0 {
        #[cfg(target_os = "linux")]
        {
            set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, 60);
            set(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, 10);
            set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3);
        }
    }
}

impl Read for Io {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Tcp(socket) => socket.read(buf),
            Io::Over(inner) => inner.read(buf),
        }
    }
}

impl Write for Io {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Io::Tcp(socket) => socket.write(buf),
            Io::Over(inner) => inner.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Io::Tcp(socket) => socket.flush(),
            Io::Over(inner) => inner.flush(),
        }
    }
}
