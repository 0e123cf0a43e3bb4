//! TLS, one OpenSSL setup for both of mlops's HTTPS clients: libgit2's
//! (listing, fetch, clone; through [`stream`], mlops's TLS stream for
//! libgit2) and the own push's (src/git/push/tls.rs, ureq).
//!
//! Why libgit2 gets a TLS stream from us: built with its own OpenSSL
//! support, libgit2 initialises OpenSSL in `git_libgit2_init`, i.e. in
//! every process, whether or not it will ever speak TLS (`status`, a path
//! remote, SSH, shell completion): `OPENSSL_init_ssl` reads openssl.cnf,
//! `SSL_CTX_new` fetches every algorithm, the cipher list is parsed. That
//! was 4–6 ms of every run (`mlops --version` 3.0 ms against 6.2 ms for a
//! command that opens libgit2 and stops at once), and on an SSH run it sits
//! before ssh is started. libgit2 is now built without HTTPS support (no
//! `https` feature of git2) and keeps its HTTP client, which takes its TLS
//! connections from the stream registered here: OpenSSL is set up at the
//! first TLS connection, and only in a run that makes one.
//!
//! The CAs: `SSL_CERT_FILE` and `SSL_CERT_DIR`, else the system's as
//! `openssl-probe` finds them, as for git. The environment is never
//! changed, so child processes (credential helpers) see the user's own.

mod ffi;
mod stream;

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::{Once, OnceLock};

use openssl::ssl::{HandshakeError, SslConnector, SslMethod};

/// Registers mlops's TLS stream with libgit2, once per process, before
/// libgit2's first connection. Any remote's: an `http://` one may redirect
/// to `https://`. Registering costs nothing; OpenSSL is set up at the
/// first TLS connection ([`connector`]).
pub(crate) fn prepare() {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(ffi::register);
}

/// The process's TLS connector, built at the first TLS connection (its CA
/// file parsed then) and shared by every connection after it. The error
/// (an unreadable `SSL_CERT_FILE`, say) is OpenSSL's.
pub(crate) fn connector() -> Result<&'static SslConnector, String> {
    static CONNECTOR: OnceLock<Result<SslConnector, String>> = OnceLock::new();
    CONNECTOR.get_or_init(build).as_ref().map_err(Clone::clone)
}

/// Why not native-tls: it loads the CA file twice (OpenSSL's default
/// paths, then the file `openssl-probe` found, the same one here). With
/// the system's bundle of 144 certificates, an up-to-date `set` over
/// HTTPS on loopback took 298 ms against 190 ms with a one-certificate
/// file; here 163 ms against 150 ms (medians of 10 alternating runs).
/// The default file is loaded once, the probed one only when it is
/// another file.
fn build() -> Result<SslConnector, String> {
    let failed = |e: openssl::error::ErrorStack| e.to_string();
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
    Ok(builder.build())
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

/// What a failed handshake says: OpenSSL's errors, with the certificate
/// verification's verdict when there is one.
pub(crate) fn handshake_failure<S>(e: HandshakeError<S>) -> String {
    match e {
        HandshakeError::SetupFailure(e) => e.to_string(),
        HandshakeError::Failure(mid) | HandshakeError::WouldBlock(mid) => {
            let error = mid.error();
            let verify = mid.ssl().verify_result();
            match error.ssl_error() {
                Some(stack) if verify.as_raw() != 0 => {
                    format!("{stack} ({})", verify.error_string())
                }
                Some(stack) => stack.to_string(),
                None => error.to_string(),
            }
        }
    }
}
