//! Loading the system's CA certificates only when a run talks HTTPS.
//!
//! Why this exists: libgit2, built against a statically initialised
//! OpenSSL context, loads and parses the whole CA bundle (about 150 PEM
//! certificates) the moment it is initialised: about 50 ms, on every run,
//! even for `status`, a path remote or SSH, which is most of a run's time.
//! No crate offers lazy loading, so we do it here: libgit2 is initialised
//! with `SSL_CERT_FILE` pointing at an empty file (nothing to parse),
//! `SSL_CERT_FILE` and `SSL_CERT_DIR` are put back at once (so child
//! processes such as credential helpers see the environment they were
//! given, tests/it/tls.rs), and the real bundle is
//! handed to libgit2 right before the first HTTPS connection.

use std::ffi::OsString;
use std::sync::Once;

const CERT_FILE: &str = "SSL_CERT_FILE";
const CERT_DIR: &str = "SSL_CERT_DIR";

/// Initialises libgit2 without parsing the CA bundle. Call before the
/// first libgit2 call, while the process has one thread.
///
/// git2's initialisation also writes the CA locations it probed into
/// `SSL_CERT_FILE` and `SSL_CERT_DIR`; both are put back as they were, so
/// child processes see the user's values (OpenSSL copied the directory
/// name when libgit2 initialised it; [`prepare`] hands over the rest).
pub fn defer_ca_bundle() {
    let original: Vec<(&str, Option<OsString>)> = [CERT_FILE, CERT_DIR]
        .into_iter()
        .map(|name| (name, std::env::var_os(name)))
        .collect();
    std::env::set_var(CERT_FILE, "/dev/null");
    // Any git2 call initialises libgit2 (and OpenSSL) exactly once.
    let _ = git2::Config::new();
    for (name, value) in original {
        match value {
            Some(value) => std::env::set_var(name, value),
            None => std::env::remove_var(name),
        }
    }
}

/// Gives libgit2 the CA certificates before talking to `url`, once per
/// process, and only when `url` uses TLS. The user's `SSL_CERT_FILE` and
/// `SSL_CERT_DIR` win over the system's defaults, as with git.
pub fn prepare(url: &str) {
    static LOADED: Once = Once::new();
    if !url.to_ascii_lowercase().starts_with("https://") {
        return;
    }
    LOADED.call_once(|| {
        let found = openssl_probe::probe();
        // SAFETY: these set libgit2's global TLS options; no other thread
        // uses libgit2 while a command talks to its remote.
        unsafe {
            if let Some(file) = found.cert_file {
                let _ = git2::opts::set_ssl_cert_file(file);
            }
            if let Some(dir) = found.cert_dir {
                let _ = git2::opts::set_ssl_cert_dir(dir);
            }
        }
    });
}
