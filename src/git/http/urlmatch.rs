//! Which `http.<url>.*` entries apply to a URL, as git's urlmatch.c
//! decides: same scheme, port and host (`*` matching one label), the
//! entry's path a prefix of the URL's at a `/`, its user the URL's; the
//! longest host match, then the longest path, then a matching user wins.

/// The parts of a URL urlmatch.c compares.
#[derive(Debug, PartialEq)]
pub(super) struct Parts {
    scheme: String,
    user: Option<String>,
    host: String,
    port: String,
    path: String,
}

pub(super) fn parts(url: &str) -> Option<Parts> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u.split(':').next().unwrap_or("").to_string()), h),
        None => (None, authority),
    };
    let host_port = host_port.to_ascii_lowercase();
    let (host, port) = match host_port.rfind(':') {
        Some(i) if !host_port[i..].contains(']') => {
            (host_port[..i].to_string(), host_port[i + 1..].to_string())
        }
        _ => (host_port.clone(), String::new()),
    };
    let port = match (port.as_str(), scheme.as_str()) {
        ("", "http") => "80".to_string(),
        ("", "https") => "443".to_string(),
        _ => port,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = if path.is_empty() { "/" } else { path };
    Some(Parts {
        scheme,
        user,
        host,
        port,
        path: path.to_string(),
    })
}

/// How well the config's URL `pattern` matches `url` (urlmatch.c's
/// `match_urls`): `None` for no match, else the host and path lengths
/// matched and whether a user was named and matched.
pub(super) fn rank(pattern: &str, url: &Parts) -> Option<(usize, usize, bool)> {
    let p = parts(pattern)?;
    if p.scheme != url.scheme || p.port != url.port {
        return None;
    }
    let user_matched = match &p.user {
        Some(user) => {
            if url.user.as_deref() != Some(user.as_str()) {
                return None;
            }
            true
        }
        None => false,
    };
    let pattern_labels: Vec<&str> = p.host.split('.').collect();
    let labels: Vec<&str> = url.host.split('.').collect();
    if pattern_labels.len() != labels.len()
        || !pattern_labels
            .iter()
            .zip(&labels)
            .all(|(p, l)| *p == "*" || p == l)
    {
        return None;
    }
    let want = p.path.trim_end_matches('/');
    let have = url.path.as_str();
    let path_len = if want.is_empty() {
        1
    } else if have == want || have.starts_with(&format!("{want}/")) {
        want.len()
    } else {
        return None;
    };
    Some((p.host.len(), path_len, user_matched))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_match_as_in_urlmatch() {
        let url = parts("https://bot@git.example.com/team/repo.git").unwrap();
        assert!(rank("https://git.example.com", &url).is_some());
        assert!(rank("https://git.example.com/team", &url).is_some());
        assert!(rank("https://git.example.com/team/", &url).is_some());
        assert!(rank("https://git.example.com/tea", &url).is_none());
        assert!(rank("http://git.example.com", &url).is_none());
        assert!(rank("https://git.example.com:8443", &url).is_none());
        assert!(rank("https://*.example.com", &url).is_some());
        assert!(rank("https://*.com", &url).is_none());
        assert!(rank("https://bot@git.example.com", &url).is_some());
        assert!(rank("https://other@git.example.com", &url).is_none());
        let longer = rank("https://git.example.com/team", &url).unwrap();
        let shorter = rank("https://git.example.com", &url).unwrap();
        assert!(longer > shorter);
    }
}
