//! The TLS and name settings git hands libcurl (http.c), applied the same
//! way to every handle: the git client's requests and the forge's.

use curl::easy::{Easy2, Handler, List, SslVersion};

use std::path::PathBuf;

use super::config::Settings;
use super::passphrase;

/// Sets `easy` up for `s`: verification, CAs, the client certificate,
/// the TLS version and ciphers, the pinned key and `curloptResolve`, and
/// an HTTPS proxy's CAs and client certificate (libcurl uses those only
/// for a proxy whose URL is `https://`, where git sets them).
pub(crate) fn apply<H: Handler>(easy: &mut Easy2<H>, s: &Settings) -> Result<(), curl::Error> {
    easy.ssl_verify_peer(s.ssl_verify)?;
    easy.ssl_verify_host(s.ssl_verify)?;
    if let Some(ca) = &s.ca_info {
        easy.cainfo(ca)?;
    }
    if let Some(ca) = &s.ca_path {
        easy.capath(ca)?;
    }
    if let Some(cert) = &s.ssl_cert {
        easy.ssl_cert(cert)?;
    }
    if let Some(key) = &s.ssl_key {
        easy.ssl_key(key)?;
    }
    // A key's passphrase only when git would ask it, else an empty one:
    // libcurl's OpenSSL would otherwise prompt on the terminal itself.
    let passphrase = |cert: &Option<PathBuf>, protected: bool| {
        let cert = cert.as_deref().filter(|_| protected)?;
        passphrase::of(cert, s.git_dir.as_deref())
    };
    if s.ssl_cert.is_some() || s.ssl_key.is_some() {
        let given = passphrase(&s.ssl_cert, s.cert_password_protected);
        easy.key_password(given.as_deref().unwrap_or(""))?;
    }
    // An unknown version is left to libcurl's default, as git does (git
    // also warns).
    if let Some(version) = s.ssl_version.as_deref().and_then(version) {
        easy.ssl_version(version)?;
    }
    if let Some(list) = s.cipher_list.as_deref().filter(|l| !l.is_empty()) {
        easy.ssl_cipher_list(list)?;
    }
    if let Some(ca) = &s.proxy_ca_info {
        easy.proxy_cainfo(&ca.to_string_lossy())?;
    }
    if let Some(cert) = &s.proxy_ssl_cert {
        easy.proxy_sslcert(&cert.to_string_lossy())?;
    }
    if let Some(key) = &s.proxy_ssl_key {
        easy.proxy_sslkey(&key.to_string_lossy())?;
    }
    if s.proxy_ssl_cert.is_some() || s.proxy_ssl_key.is_some() {
        let given = passphrase(&s.proxy_ssl_cert, s.proxy_cert_password_protected);
        easy.proxy_key_password(given.as_deref().unwrap_or(""))?;
    }
    if let Some(pin) = &s.pinned_pubkey {
        easy.pinned_public_key(pin)?;
    }
    if !s.resolve.is_empty() {
        let mut list = List::new();
        for entry in &s.resolve {
            list.append(entry)?;
        }
        easy.resolve(list)?;
    }
    Ok(())
}

/// git's names for the TLS versions (`http.sslVersion`).
fn version(name: &str) -> Option<SslVersion> {
    Some(match name {
        "sslv2" => SslVersion::Sslv2,
        "sslv3" => SslVersion::Sslv3,
        "tlsv1" => SslVersion::Tlsv1,
        "tlsv1.0" => SslVersion::Tlsv10,
        "tlsv1.1" => SslVersion::Tlsv11,
        "tlsv1.2" => SslVersion::Tlsv12,
        "tlsv1.3" => SslVersion::Tlsv13,
        _ => return None,
    })
}
