//! git's `http.*` settings for one URL, read as git reads them: each key
//! from `http.<key>` or the best-matching `http.<url>.<key>` (urlmatch.c:
//! the longest host match, then the longest path, then a matching user;
//! of equals, the last one), then the environment variables git reads
//! (`GIT_SSL_NO_VERIFY`, `GIT_SSL_CAINFO`, `GIT_HTTP_LOW_SPEED_LIMIT`,
//! ...), and `remote.<name>.proxy` over `http.proxy`. Not read:
//! `http.sslBackend` (one TLS library is built in), `http.postBuffer` and
//! `http.maxRequests` (the requests mlops makes are small and one at a
//! time).

use std::path::PathBuf;

use super::super::config::{expand_home, parse_bool, Snapshot};
use super::urlmatch::{parts, rank, Parts};

/// Which redirects are followed (`http.followRedirects`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Follow {
    None,
    /// git's default: the first request's (the listing), whose final URL
    /// becomes the base of the requests after it.
    Initial,
    Always,
}

/// How the transfer may stall when neither git config nor the
/// environment says: less than 1 byte a second for 120 s ends it. git has
/// no such default (a stalled server hangs it for good); a CI job must
/// not hang, and two minutes of silence is longer than any step a git
/// server takes without a byte (it sends progress while it works).
pub(crate) const DEFAULT_LOW_SPEED: (u32, u32) = (1, 120);

/// The settings a request to one URL is made with.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The proxy URL; `Some("")` turns proxies off, `None` leaves it to
    /// the proxy variables.
    pub proxy: Option<String>,
    pub proxy_auth_method: Option<String>,
    pub ssl_verify: bool,
    pub ca_info: Option<PathBuf>,
    pub ca_path: Option<PathBuf>,
    pub ssl_cert: Option<PathBuf>,
    pub ssl_key: Option<PathBuf>,
    /// `http.proxySSLCert`/`proxySSLKey`/`proxySSLCAInfo` (and
    /// `GIT_PROXY_SSL_*`): an HTTPS proxy's client certificate and CAs.
    pub proxy_ssl_cert: Option<PathBuf>,
    pub proxy_ssl_key: Option<PathBuf>,
    pub proxy_ca_info: Option<PathBuf>,
    /// `http.sslCertPasswordProtected` / `GIT_SSL_CERT_PASSWORD_PROTECTED`
    /// and the proxy's: the client key's passphrase is asked
    /// (src/git/http/passphrase.rs).
    pub cert_password_protected: bool,
    pub proxy_cert_password_protected: bool,
    /// The git directory whose configuration this is, where git is asked
    /// for a passphrase.
    pub git_dir: Option<PathBuf>,
    /// `http.extraHeader` values, in order (an empty value cleared those
    /// before it).
    pub extra_headers: Vec<String>,
    pub cookie_file: Option<PathBuf>,
    pub save_cookies: bool,
    /// Bytes a second and seconds (git's `lowSpeedLimit`, `lowSpeedTime`).
    pub low_speed: (u32, u32),
    /// Whether `low_speed` came from git's settings (else the default).
    pub low_speed_configured: bool,
    pub follow: Follow,
    pub user_agent: String,
    pub empty_auth: bool,
    /// `http.version`: `HTTP/1.1` or `HTTP/2`.
    pub version: Option<String>,
    /// `http.sslVersion` / `GIT_SSL_VERSION` (`tlsv1.2`, …).
    pub ssl_version: Option<String>,
    /// `http.sslCipherList` / `GIT_SSL_CIPHER_LIST`.
    pub cipher_list: Option<String>,
    /// `http.pinnedPubkey`: a key file, or `sha256//…` hashes.
    pub pinned_pubkey: Option<String>,
    /// `http.curloptResolve` entries (`host:port:address`), in order (an
    /// empty value cleared those before it).
    pub resolve: Vec<String>,
}

/// One config entry: its key (after `http.` and any URL) and value.
struct Entry {
    key: String,
    value: Option<String>,
    rank: (usize, usize, bool),
}

/// The `http.*` entries that apply to `url`, in config order, each with
/// its rank (`http.<key>` ranks lowest).
fn entries(config: Option<&Snapshot>, url: &Parts) -> Vec<Entry> {
    let all = config.map_or(&[][..], |c| &c.entries[..]).iter();
    let all = all
        .filter(|e| e.key.starts_with("http."))
        .map(|e| (e.key.clone(), e.value.clone()));
    let mut out = Vec::new();
    for (name, value) in all {
        let rest = &name[5..];
        let (rank, key) = match rest.rfind('.') {
            Some(dot) => match rank(&rest[..dot], url) {
                Some(rank) => (rank, &rest[dot + 1..]),
                None => continue,
            },
            None => ((0, 0, false), rest),
        };
        out.push(Entry {
            key: key.to_ascii_lowercase(),
            value,
            rank,
        });
    }
    out
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn boolean(value: Option<&str>) -> bool {
    value.is_none_or(|v| parse_bool(v).unwrap_or(false))
}

fn path(value: &str) -> PathBuf {
    expand_home(value)
}

impl Settings {
    /// The settings for requests to `url` of `remote` (its
    /// `remote.<name>.proxy` over `http.proxy`), from `config`.
    pub(crate) fn for_remote(config: &Snapshot, url: &str, remote: Option<&str>) -> Settings {
        let remote_proxy = remote.and_then(|name| config.string(&format!("remote.{name}.proxy")));
        Settings::read(Some(config), url, remote_proxy)
    }

    /// The settings for requests to `url` from `config` (every setting
    /// git sees, in git's order: files, includes, the command line), the
    /// environment and `remote_proxy` (`remote.<name>.proxy`).
    pub(crate) fn read(
        config: Option<&Snapshot>,
        url: &str,
        remote_proxy: Option<String>,
    ) -> Settings {
        let mut s = Settings {
            proxy: None,
            proxy_auth_method: None,
            ssl_verify: true,
            ca_info: None,
            ca_path: None,
            ssl_cert: None,
            ssl_key: None,
            proxy_ssl_cert: None,
            proxy_ssl_key: None,
            proxy_ca_info: None,
            cert_password_protected: false,
            proxy_cert_password_protected: false,
            git_dir: config.and_then(|c| c.dir.clone()),
            extra_headers: Vec::new(),
            cookie_file: None,
            save_cookies: false,
            low_speed: DEFAULT_LOW_SPEED,
            low_speed_configured: false,
            follow: Follow::Initial,
            user_agent: format!("git/2.0 (mlops/{})", env!("CARGO_PKG_VERSION")),
            empty_auth: false,
            version: None,
            ssl_version: None,
            cipher_list: None,
            pinned_pubkey: None,
            resolve: Vec::new(),
        };
        let (mut limit, mut time) = (None::<i64>, None::<i64>);
        if let Some(target) = parts(url) {
            let mut best: Vec<(String, (usize, usize, bool))> = Vec::new();
            for entry in entries(config, &target) {
                match best.iter_mut().find(|(k, _)| *k == entry.key) {
                    Some((_, rank)) if entry.rank < *rank => continue,
                    Some((_, rank)) => *rank = entry.rank,
                    None => best.push((entry.key.clone(), entry.rank)),
                }
                let value = entry.value.as_deref();
                let text = || value.unwrap_or("").to_string();
                match entry.key.as_str() {
                    "proxy" => s.proxy = Some(text()),
                    "proxyauthmethod" => s.proxy_auth_method = Some(text()),
                    "sslverify" => s.ssl_verify = boolean(value),
                    "sslcainfo" => s.ca_info = value.map(path),
                    "sslcapath" => s.ca_path = value.map(path),
                    "sslcert" => s.ssl_cert = value.map(path),
                    "sslkey" => s.ssl_key = value.map(path),
                    "proxysslcert" => s.proxy_ssl_cert = value.map(path),
                    "proxysslkey" => s.proxy_ssl_key = value.map(path),
                    "proxysslcainfo" => s.proxy_ca_info = value.map(path),
                    "sslcertpasswordprotected" => s.cert_password_protected = boolean(value),
                    "proxysslcertpasswordprotected" => {
                        s.proxy_cert_password_protected = boolean(value)
                    }
                    "extraheader" => match value {
                        Some("") => s.extra_headers.clear(),
                        Some(v) => s.extra_headers.push(v.to_string()),
                        None => {}
                    },
                    "cookiefile" => s.cookie_file = value.map(path),
                    "savecookies" => s.save_cookies = boolean(value),
                    "lowspeedlimit" => limit = value.and_then(|v| v.trim().parse().ok()),
                    "lowspeedtime" => time = value.and_then(|v| v.trim().parse().ok()),
                    "followredirects" => {
                        s.follow = match value {
                            Some("initial") => Follow::Initial,
                            v if boolean(v) => Follow::Always,
                            _ => Follow::None,
                        }
                    }
                    "useragent" => s.user_agent = text(),
                    "emptyauth" => s.empty_auth = boolean(value),
                    "version" => s.version = value.map(str::to_string),
                    "sslversion" => s.ssl_version = value.map(str::to_string),
                    "sslcipherlist" => s.cipher_list = value.map(str::to_string),
                    "pinnedpubkey" => {
                        s.pinned_pubkey = value.map(|v| path(v).to_string_lossy().into_owned())
                    }
                    "curloptresolve" => match value {
                        Some("") => s.resolve.clear(),
                        Some(v) => s.resolve.push(v.to_string()),
                        None => {}
                    },
                    _ => {}
                }
            }
        }
        if remote_proxy.is_some() {
            s.proxy = remote_proxy;
        }
        if let Some(method) = env("GIT_HTTP_PROXY_AUTHMETHOD") {
            s.proxy_auth_method = Some(method);
        }
        if env("GIT_SSL_NO_VERIFY").is_some() {
            s.ssl_verify = false;
        }
        let from_env = |target: &mut Option<PathBuf>, name: &str| {
            if let Some(v) = env(name) {
                *target = Some(PathBuf::from(v));
            }
        };
        from_env(&mut s.ssl_cert, "GIT_SSL_CERT");
        from_env(&mut s.ssl_key, "GIT_SSL_KEY");
        from_env(&mut s.ca_path, "GIT_SSL_CAPATH");
        from_env(&mut s.ca_info, "GIT_SSL_CAINFO");
        from_env(&mut s.proxy_ssl_cert, "GIT_PROXY_SSL_CERT");
        from_env(&mut s.proxy_ssl_key, "GIT_PROXY_SSL_KEY");
        from_env(&mut s.proxy_ca_info, "GIT_PROXY_SSL_CAINFO");
        // Set at all, whatever its value, as git reads these two.
        s.cert_password_protected |= env("GIT_SSL_CERT_PASSWORD_PROTECTED").is_some();
        s.proxy_cert_password_protected |= env("GIT_PROXY_SSL_CERT_PASSWORD_PROTECTED").is_some();
        if let Some(version) = env("GIT_SSL_VERSION") {
            s.ssl_version = Some(version);
        }
        if let Some(list) = env("GIT_SSL_CIPHER_LIST") {
            s.cipher_list = Some(list);
        }
        if let Some(agent) = env("GIT_HTTP_USER_AGENT") {
            s.user_agent = agent;
        }
        let number = |name: &str| env(name).and_then(|v| v.trim().parse::<i64>().ok());
        limit = number("GIT_HTTP_LOW_SPEED_LIMIT").or(limit);
        time = number("GIT_HTTP_LOW_SPEED_TIME").or(time);
        if let (Some(limit), Some(time)) = (limit, time) {
            if limit > 0 && time > 0 {
                s.low_speed = (
                    u32::try_from(limit).unwrap_or(u32::MAX),
                    u32::try_from(time).unwrap_or(u32::MAX),
                );
                s.low_speed_configured = true;
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str, url: &str) -> Settings {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        std::fs::write(&file, text).unwrap();
        let listed = std::process::Command::new("git")
            .args(["config", "--file"])
            .arg(&file)
            .args(["--list", "-z", "--show-scope"])
            .output()
            .unwrap();
        let config = crate::git::config::parse(&listed.stdout);
        Settings::read(Some(&config), url, None)
    }

    #[test]
    fn the_best_match_wins_and_an_empty_header_resets() {
        let text = "[http]\n\tsslVerify = false\n\textraHeader = A: 1\n\
                    [http \"https://h/x\"]\n\tsslVerify = true\n\textraHeader = B: 2\n\
                    [http]\n\tsslVerify = false\n\textraHeader = C: 3\n";
        let s = settings(text, "https://h/x/repo.git");
        assert!(s.ssl_verify);
        assert_eq!(s.extra_headers, ["A: 1", "B: 2"]);
        let s = settings(text, "https://h/y/repo.git");
        assert!(!s.ssl_verify);
        assert_eq!(s.extra_headers, ["A: 1", "C: 3"]);
        let s = settings(
            "[http]\n\textraHeader = A: 1\n\textraHeader =\n\textraHeader = B: 2\n",
            "https://h/x",
        );
        assert_eq!(s.extra_headers, ["B: 2"]);
    }

    #[test]
    fn low_speed_needs_both_settings() {
        assert_eq!(settings("", "https://h/x").low_speed, DEFAULT_LOW_SPEED);
        let s = settings("[http]\n\tlowSpeedLimit = 5\n", "https://h/x");
        assert!(!s.low_speed_configured);
        let s = settings(
            "[http]\n\tlowSpeedLimit = 5\n\tlowSpeedTime = 7\n",
            "https://h/x",
        );
        assert_eq!(s.low_speed, (5, 7));
        let s = settings("[http]\n\tfollowRedirects = false\n", "https://h/x");
        assert_eq!(s.follow, Follow::None);
    }
}
