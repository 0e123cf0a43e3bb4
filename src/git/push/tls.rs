//! TLS for mlops's own HTTP client (src/git/push/http.rs): OpenSSL, the
//! library libgit2 uses here, trusting the CAs libgit2 is given
//! (src/git/tls.rs): `SSL_CERT_FILE` and `SSL_CERT_DIR`, else the
//! system's as `openssl-probe` finds them. The server's name (or IP
//! address) is checked against its certificate by OpenSSL's connector.
//!
//! Why not native-tls: it loads the CA file twice (OpenSSL's default
//! paths, then the file `openssl-probe` found, the same one here). With
//! the system's bundle of 144 certificates, an up-to-date `set` over
//! HTTPS on loopback took 298 ms against 190 ms with a one-certificate
//! file; here 163 ms against 150 ms (medians of 10 alternating runs).
//! The default file is loaded once, the probed one only when it is
//! another file.

use std::ffi::CStr;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

use openssl::ssl::{HandshakeError, SslConnector, SslMethod, SslStream};

/// The connector: one per run's agent.
pub(crate) struct Tls(SslConnector);

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
        let failed = |e: openssl::error::ErrorStack| Refused(e.to_string());
        // OpenSSL's default paths: SSL_CERT_FILE, else its own default
        // file (parsed now), and SSL_CERT_DIR, else its default folder
        // (read as needed).
        let mut builder = SslConnector::builder(SslMethod::tls()).map_err(failed)?;
        let found = openssl_probe::probe();
        if let Some(file) = found.cert_file {
            if !same(&file, default_file().as_deref()) {
                builder
                    .load_verify_locations(Some(&file), None)
                    .map_err(failed)?;
            }
        }
        if let Some(dir) = found.cert_dir {
            builder
                .load_verify_locations(None, Some(&dir))
                .map_err(failed)?;
        }
        Ok(Tls(builder.build()))
    }
}

/// The CA file OpenSSL's default paths load.
fn default_file() -> Option<PathBuf> {
    if let Some(file) = std::env::var_os("SSL_CERT_FILE") {
        return Some(file.into());
    }
    // SAFETY: OpenSSL returns a pointer to a static NUL-terminated string.
    let name = unsafe { CStr::from_ptr(openssl_sys::X509_get_default_cert_file()) };
    name.to_str().ok().map(PathBuf::from)
}

fn same(a: &Path, b: Option<&Path>) -> bool {
    match (a.canonicalize(), b.map(Path::canonicalize)) {
        (Ok(a), Some(Ok(b))) => a == b,
        _ => false,
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
            Err(HandshakeError::SetupFailure(e)) => Err(refused(e.to_string())),
            Err(HandshakeError::Failure(mid)) | Err(HandshakeError::WouldBlock(mid)) => {
                let error = mid.error();
                let verify = mid.ssl().verify_result();
                let detail = match error.ssl_error() {
                    Some(stack) if verify.as_raw() != 0 => {
                        format!("{stack} ({})", verify.error_string())
                    }
                    Some(stack) => stack.to_string(),
                    None => error.to_string(),
                };
                Err(refused(detail))
            }
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
