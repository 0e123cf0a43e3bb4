//! The parts of a remote's URL (origin, userinfo), and keeping secrets
//! out of every message: URLs are shown without their userinfo
//! (`https://user:token@host` reads `https://***@host`), and the token
//! from the environment is blotted out wherever it might appear (libgit2
//! sometimes quotes the URL it was given in its error text).

/// `url` with any `user:password@` part replaced by `***@`.
pub fn redact(url: &str) -> String {
    scrub_userinfo(url)
}

/// `text` with the userinfo of every URL in it, and any secret from the
/// environment, replaced by `***`.
pub fn scrub(text: &str) -> String {
    let mut out = scrub_userinfo(text);
    for var in ["MLOPS_GIT_TOKEN"] {
        if let Ok(secret) = std::env::var(var) {
            if secret.len() >= 3 {
                out = out.replace(&secret, "***");
            }
        }
    }
    out
}

fn scrub_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        // The authority ends at the first '/', whitespace or quote.
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'' || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `scheme://host:port` of an HTTP(S) URL (lowercase, no userinfo, the
/// default port spelled out); `None` for any other scheme.
pub(crate) fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host_port = host_port.to_ascii_lowercase();
    // `[::1]:8443`, `host:8443`, `host`.
    let (host, port) = match host_port.rfind(':') {
        Some(i) if !host_port[i..].contains(']') => (&host_port[..i], &host_port[i + 1..]),
        _ => (host_port.as_str(), ""),
    };
    let port = if port.is_empty() {
        default
    } else {
        port.parse::<u16>().ok()?
    };
    Some(format!("{scheme}://{host}:{port}"))
}

/// The userinfo of an HTTP(S) URL, when it has one.
fn userinfo(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    authority.rsplit_once('@').map(|(u, _)| u)
}

/// Whether the URL carries its own password (`https://user:pass@host`).
pub(crate) fn has_password(url: &str) -> bool {
    userinfo(url).is_some_and(|u| u.contains(':'))
}

/// The username the URL names (`https://user@host`), decoded: what
/// libgit2 hands the credential callback.
pub(crate) fn url_user(url: &str) -> Option<String> {
    userinfo(url).map(super::transport::local::decode)
}

/// `https://user:pass@host/x` → `https://host/x`.
pub(crate) fn strip_userinfo(url: &str) -> String {
    match url.find("://") {
        Some(i) => {
            let (scheme, rest) = url.split_at(i + 3);
            let end = rest.find('/').unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => format!("{scheme}{}", &rest[at + 1..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_userinfo() {
        assert_eq!(strip_userinfo("https://a:b@h/x"), "https://h/x");
        assert_eq!(strip_userinfo("https://h/x@y"), "https://h/x@y");
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin("https://u:p@Git.Example.com/x").as_deref(),
            Some("https://git.example.com:443")
        );
        assert_eq!(
            origin("http://127.0.0.1:8080/x").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin("https://[::1]/x").as_deref(),
            Some("https://[::1]:443")
        );
        assert_eq!(
            origin("https://[::1]:8443").as_deref(),
            Some("https://[::1]:8443")
        );
        assert_eq!(origin("ssh://git@h/x"), None);
        assert_ne!(origin("https://h:444/x"), origin("https://h/x"));
    }

    #[test]
    fn redacts_userinfo() {
        assert_eq!(
            redact("https://bot:s3cret@git.example.com/team/repo.git"),
            "https://***@git.example.com/team/repo.git"
        );
        assert_eq!(
            redact("https://git.example.com/a@b"),
            "https://git.example.com/a@b"
        );
        assert_eq!(
            scrub("failed to reach 'http://u:p@127.0.0.1:80/x' and ssh://git@h/y"),
            "failed to reach 'http://***@127.0.0.1:80/x' and ssh://***@h/y"
        );
    }
}
