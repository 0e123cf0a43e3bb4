//! Keeping secrets out of every message: URLs are shown without their
//! userinfo (`https://user:token@host` reads `https://***@host`), and the
//! token from the environment is blotted out wherever it might appear
//! (libgit2 sometimes quotes the URL it was given in its error text).

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

#[cfg(test)]
mod tests {
    use super::*;

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
