//! TLS for mlops's own HTTP client (src/git/push/http.rs): the process's
//! one OpenSSL connector (src/git/tls/), the one libgit2's connections
//! use too, with the same CAs. The server's name (or IP address) is
//! checked against its certificate by OpenSSL's connector.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;

use openssl::ssl::{SslConnector, SslStream};

use crate::git::tls;

/// The connector, for a run's agent.
pub(crate) struct Tls(&'static SslConnector);

/// A TLS handshake that failed (the certificate, most often), for
/// [`super::http`]'s error.
#[derive(Debug)]
pub(crate) struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl Tls {
    pub(crate) fn new() -> Result<Tls, Refused> {
        tls::connector().map(Tls).map_err(Refused)
    }
}

impl ureq::TlsConnector for Tls {
    fn connect(
        &self,
        dns_name: &str,
        io: Box<dyn ureq::ReadWrite>,
    ) -> Result<Box<dyn ureq::ReadWrite>, ureq::Error> {
        match self.0.connect(dns_name, io) {
            Ok(stream) => Ok(Box::new(Stream(stream))),
            Err(e) => Err(refused(tls::handshake_failure(e))),
        }
    }
}

/// ureq's error for a failed handshake: an I/O error carrying [`Refused`].
fn refused(detail: String) -> ureq::Error {
    io::Error::other(Refused(detail)).into()
}

/// An established TLS connection, as ureq reads and writes it.
#[derive(Debug)]
struct Stream(SslStream<Box<dyn ureq::ReadWrite>>);

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl ureq::ReadWrite for Stream {
    fn socket(&self) -> Option<&TcpStream> {
        self.0.get_ref().socket()
    }
}
