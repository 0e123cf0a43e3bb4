//! The C side of mlops's TLS stream for libgit2: libgit2 1.9's
//! `git_stream` and `git_stream_registration` (include/git2/sys/stream.h;
//! libgit2-sys 0.18 binds neither), the callbacks libgit2 calls through
//! them and the registration. The connection itself is
//! [`super::stream::Connection`].
//!
//! Every callback catches panics (none may unwind into C) and reports a
//! failure as libgit2's own streams do: a negative code and libgit2's
//! error set.

use std::ffi::{c_void, CStr, CString};
use std::io::{self, Read, Write};
use std::os::raw::{c_char, c_int, c_uint};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use libc::{size_t, ssize_t};
use libgit2_sys as raw;

use super::stream::{Connection, Failed, Timeouts, Way};

/// `GIT_STREAM_VERSION`.
const VERSION: c_int = 1;
/// `GIT_STREAM_TLS` of `git_stream_t`.
const STREAM_TLS: c_int = 2;
/// `encrypted` in the bitfield (`proxy_support`, bit 1, stays 0: libgit2
/// then opens a proxy's CONNECT tunnel itself and calls `wrap`).
const ENCRYPTED: c_uint = 1;

/// `git_stream`, field for field. The bitfield `unsigned int encrypted :
/// 1, proxy_support : 1;` is one `unsigned int`, `encrypted` its lowest
/// bit (gcc's layout on little-endian Linux, checked against the header;
/// the test below holds the offsets).
#[repr(C)]
struct RawStream {
    version: c_int,
    flags: c_uint,
    /// Read and write timeout in milliseconds; 0 blocks.
    timeout: c_int,
    /// Connect timeout in milliseconds; 0 is the system's.
    connect_timeout: c_int,
    connect: Option<unsafe extern "C" fn(*mut RawStream) -> c_int>,
    certificate: Option<unsafe extern "C" fn(*mut *mut raw::git_cert, *mut RawStream) -> c_int>,
    set_proxy: Option<unsafe extern "C" fn(*mut RawStream, *const raw::git_proxy_options) -> c_int>,
    read: Option<unsafe extern "C" fn(*mut RawStream, *mut c_void, size_t) -> ssize_t>,
    write: Option<unsafe extern "C" fn(*mut RawStream, *const c_char, size_t, c_int) -> ssize_t>,
    close: Option<unsafe extern "C" fn(*mut RawStream) -> c_int>,
    free: Option<unsafe extern "C" fn(*mut RawStream)>,
}

/// `git_stream_registration`.
#[repr(C)]
struct Registration {
    version: c_int,
    init: Option<unsafe extern "C" fn(*mut *mut RawStream, *const c_char, *const c_char) -> c_int>,
    wrap: Option<unsafe extern "C" fn(*mut *mut RawStream, *mut RawStream, *const c_char) -> c_int>,
}

extern "C" {
    // In libgit2 since 0.28; not bound by libgit2-sys 0.18.
    fn git_stream_register(kind: c_int, registration: *mut Registration) -> c_int;
}

/// What libgit2 holds: the `git_stream` first, so that its pointer is
/// this one's.
#[repr(C)]
struct Tls {
    parent: RawStream,
    conn: Connection,
    /// What `certificate` hands out; its data is `conn.der`.
    cert: raw::git_cert_x509,
}

/// Makes libgit2 take its TLS connections from here.
pub(super) fn register() {
    // The registry's lock is made by libgit2's initialisation.
    raw::init();
    let mut registration = Registration {
        version: VERSION,
        init: Some(init),
        wrap: Some(wrap),
    };
    // SAFETY: libgit2 copies the registration; the functions live as long
    // as the process.
    let rc = unsafe { git_stream_register(STREAM_TLS, &mut registration) };
    // It fails only if its lock cannot be taken; an HTTPS connection then
    // fails with libgit2's "there is no TLS stream available".
    debug_assert_eq!(rc, 0, "git_stream_register");
}

/// `init`: a TLS connection of its own to `host`:`port`.
unsafe extern "C" fn init(
    out: *mut *mut RawStream,
    host: *const c_char,
    port: *const c_char,
) -> c_int {
    guard(-1, || {
        let (Some(host), Some(port)) = (text(host), text(port)) else {
            return fail(Failed::Net("no host or port to connect to".into()));
        };
        // The timeouts libgit2's socket stream, which its own TLS stream
        // runs over, starts with (GIT_OPT_SET_SERVER_*TIMEOUT).
        let timeouts = Timeouts {
            connect: git2::opts::get_server_connect_timeout_in_milliseconds().unwrap_or(0),
            io: git2::opts::get_server_timeout_in_milliseconds().unwrap_or(0),
        };
        create(out, Connection::new(host, Way::Tcp { port }), timeouts)
    })
}

/// `wrap`: TLS to `host` over `inner`, a proxy's CONNECT tunnel. As in
/// libgit2's OpenSSL stream (`owned` 0), `inner` stays libgit2's to close
/// and free; its own timeouts apply.
unsafe extern "C" fn wrap(
    out: *mut *mut RawStream,
    inner: *mut RawStream,
    host: *const c_char,
) -> c_int {
    guard(-1, || {
        let Some(host) = text(host).filter(|_| !inner.is_null()) else {
            return fail(Failed::Net("no stream or host to run TLS over".into()));
        };
        let way = Way::Over(Box::new(Tunnel(inner)));
        let untimed = Timeouts { connect: 0, io: 0 };
        create(out, Connection::new(host, way), untimed)
    })
}

fn create(out: *mut *mut RawStream, conn: Connection, timeouts: Timeouts) -> c_int {
    if out.is_null() {
        return fail(Failed::Net("nowhere to put the TLS stream".into()));
    }
    let tls = Box::new(Tls {
        parent: RawStream {
            version: VERSION,
            flags: ENCRYPTED,
            timeout: timeouts.io,
            connect_timeout: timeouts.connect,
            connect: Some(connect),
            certificate: Some(certificate),
            set_proxy: None,
            read: Some(read),
            write: Some(write),
            close: Some(close),
            free: Some(free),
        },
        conn,
        cert: raw::git_cert_x509 {
            parent: raw::git_cert {
                cert_type: raw::GIT_CERT_NONE,
            },
            data: ptr::null_mut(),
            len: 0,
        },
    });
    // SAFETY: `out` is libgit2's place for the new stream, checked above.
    unsafe { *out = Box::into_raw(tls).cast() };
    0
}

/// The [`Tls`] behind a stream pointer libgit2 got from [`create`].
///
/// SAFETY: `stream` must come from [`create`] and not be freed; libgit2
/// calls a stream's functions from one thread at a time.
unsafe fn tls<'a>(stream: *mut RawStream) -> &'a mut Tls {
    &mut *stream.cast::<Tls>()
}

unsafe extern "C" fn connect(stream: *mut RawStream) -> c_int {
    guard(-1, || {
        let tls = tls(stream);
        let timeouts = Timeouts {
            connect: tls.parent.connect_timeout,
            io: tls.parent.timeout,
        };
        tls.conn.connect(timeouts).map_or_else(fail, |()| 0)
    })
}

/// The server's certificate as a `git_cert_x509`, valid until the stream
/// is freed.
unsafe extern "C" fn certificate(out: *mut *mut raw::git_cert, stream: *mut RawStream) -> c_int {
    guard(-1, || {
        let tls = tls(stream);
        if tls.conn.der.is_empty() || out.is_null() {
            return fail(Failed::Tls(
                "the server's TLS certificate is unknown".into(),
            ));
        }
        tls.cert = raw::git_cert_x509 {
            parent: raw::git_cert {
                cert_type: raw::GIT_CERT_X509,
            },
            data: tls.conn.der.as_mut_ptr().cast(),
            len: tls.conn.der.len(),
        };
        *out = &mut tls.cert.parent;
        0
    })
}

unsafe extern "C" fn read(stream: *mut RawStream, data: *mut c_void, len: size_t) -> ssize_t {
    guard(-1, || {
        if len == 0 || data.is_null() {
            return 0;
        }
        let buf = std::slice::from_raw_parts_mut(data.cast::<u8>(), len.min(isize::MAX as usize));
        sized(tls(stream).conn.read(buf))
    })
}

unsafe extern "C" fn write(
    stream: *mut RawStream,
    data: *const c_char,
    len: size_t,
    _flags: c_int,
) -> ssize_t {
    guard(-1, || {
        if len == 0 || data.is_null() {
            return 0;
        }
        let buf = std::slice::from_raw_parts(data.cast::<u8>(), len.min(isize::MAX as usize));
        sized(tls(stream).conn.write(buf))
    })
}

/// A read's or write's answer: the bytes, or a failure's code.
fn sized(done: Result<usize, Failed>) -> ssize_t {
    done.map_or_else(|e| fail(e) as ssize_t, |n| n as ssize_t)
}

unsafe extern "C" fn close(stream: *mut RawStream) -> c_int {
    guard(-1, || {
        tls(stream).conn.close();
        0
    })
}

unsafe extern "C" fn free(stream: *mut RawStream) {
    guard((), || {
        if !stream.is_null() {
            drop(Box::from_raw(stream.cast::<Tls>()));
        }
    });
}

/// libgit2's stream to a proxy, its CONNECT tunnel open: TLS to the server
/// runs over it through its own `read` and `write`.
struct Tunnel(*mut RawStream);

impl Read for Tunnel {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: libgit2 keeps the proxy's stream while it uses the TLS
        // stream over it (the TLS close sends nothing over a tunnel,
        // src/git/tls/stream.rs).
        let n = unsafe {
            match (*self.0).read {
                Some(read) => read(self.0, buf.as_mut_ptr().cast(), buf.len()),
                None => -1,
            }
        };
        usize::try_from(n).map_err(|_| inner_error(n))
    }
}

impl Write for Tunnel {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: as for `read`.
        let n = unsafe {
            match (*self.0).write {
                Some(write) => write(self.0, buf.as_ptr().cast(), buf.len(), 0),
                None => -1,
            }
        };
        usize::try_from(n).map_err(|_| inner_error(n))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The inner stream's failure: libgit2's error, a timeout as one.
fn inner_error(code: ssize_t) -> io::Error {
    let kind = match code == raw::GIT_TIMEOUT as ssize_t {
        true => io::ErrorKind::TimedOut,
        false => io::ErrorKind::Other,
    };
    io::Error::new(kind, last_error())
}

/// libgit2's last error on this thread.
fn last_error() -> String {
    // SAFETY: libgit2 returns its thread's error (or a static one),
    // copied before any other libgit2 call.
    unsafe {
        let error = raw::git_error_last();
        if error.is_null() || (*error).message.is_null() {
            return "unknown error".into();
        }
        CStr::from_ptr((*error).message)
            .to_string_lossy()
            .into_owned()
    }
}

/// Sets libgit2's error for `failed` and returns the code for it: a
/// certificate that did not verify is `GIT_ECERTIFICATE` (libgit2 then
/// asks the certificate callback), class SSL as libgit2's own stream says
/// (src/git/fail.rs reads it as a certificate failure).
fn fail(failed: Failed) -> c_int {
    let (code, class, message) = match failed {
        Failed::Certificate(m) => (raw::GIT_ECERTIFICATE, raw::GIT_ERROR_SSL, m),
        Failed::Tls(m) => (raw::GIT_ERROR, raw::GIT_ERROR_SSL, m),
        Failed::Net(m) => (raw::GIT_ERROR, raw::GIT_ERROR_NET, m),
        Failed::Timeout(m) => (raw::GIT_TIMEOUT, raw::GIT_ERROR_NET, m),
    };
    let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
    // SAFETY: libgit2 copies the message.
    unsafe { raw::git_error_set_str(class as c_int, message.as_ptr()) };
    code
}

/// Runs a callback's body; a panic becomes `failed` with an error set.
fn guard<T>(failed: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        fail(Failed::Tls("mlops's TLS stream failed (a bug)".into()));
        failed
    })
}

/// A C string libgit2 passed, `None` when NULL.
fn text(s: *const c_char) -> Option<String> {
    // SAFETY: libgit2 passes NUL-terminated strings.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use std::mem::{offset_of, size_of};

    use super::*;
    use crate::git::fail::Failure;

    /// The offsets gcc gives libgit2 1.9's structs on x86-64 Linux
    /// (offsetof over include/git2/sys/stream.h).
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn the_structs_match_libgit2s_header() {
        assert_eq!(size_of::<RawStream>(), 72);
        assert_eq!(offset_of!(RawStream, flags), 4);
        assert_eq!(offset_of!(RawStream, timeout), 8);
        assert_eq!(offset_of!(RawStream, connect_timeout), 12);
        assert_eq!(offset_of!(RawStream, connect), 16);
        assert_eq!(offset_of!(RawStream, certificate), 24);
        assert_eq!(offset_of!(RawStream, set_proxy), 32);
        assert_eq!(offset_of!(RawStream, read), 40);
        assert_eq!(offset_of!(RawStream, write), 48);
        assert_eq!(offset_of!(RawStream, close), 56);
        assert_eq!(offset_of!(RawStream, free), 64);
        assert_eq!(size_of::<Registration>(), 24);
        assert_eq!(offset_of!(Registration, init), 8);
        assert_eq!(offset_of!(Registration, wrap), 16);
        assert_eq!(offset_of!(Tls, parent), 0);
    }

    #[test]
    fn a_certificate_that_did_not_verify_reads_as_a_certificate_failure() {
        // As in a callback: libgit2's errors need it initialised.
        raw::init();
        let why = "the TLS certificate of example.test is invalid: hostname mismatch";
        let code = fail(Failed::Certificate(why.into()));
        assert_eq!(code, raw::GIT_ECERTIFICATE);
        let error = git2::Error::last_error(code);
        assert_eq!(error.code(), git2::ErrorCode::Certificate);
        assert_eq!(error.class(), git2::ErrorClass::Ssl);
        assert_eq!(error.message(), why);
        assert!(matches!(Failure::from_git(&error), Failure::Certificate(m) if m == why));
    }

    #[test]
    fn a_network_failure_is_not_a_certificate_failure() {
        raw::init();
        let code = fail(Failed::Net(
            "failed to connect to example.test: refused".into(),
        ));
        assert_eq!(code, raw::GIT_ERROR);
        let error = git2::Error::last_error(code);
        assert_eq!(error.class(), git2::ErrorClass::Net);
        assert!(matches!(Failure::from_git(&error), Failure::Other(_)));
        let code = fail(Failed::Timeout(
            "could not read from example.test: timed out".into(),
        ));
        assert_eq!(
            git2::Error::last_error(code).code(),
            git2::ErrorCode::Timeout
        );
    }
}
