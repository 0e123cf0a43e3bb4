//! HTTP(S): one client, on libcurl (what git's own HTTP is built on),
//! configured from git's settings as git's http.c configures it, for
//! every request to an HTTP(S) remote: libgit2's listing, fetch and
//! clone through the smart subtransport registered for `http` and
//! `https` ([`subtransport`]), and the own push (src/git/push/http.rs).

pub(crate) mod client;
pub(crate) mod config;
pub(crate) mod current;
mod passphrase;
mod response;
pub(crate) mod subtransport;
pub(crate) mod tls;
mod urlmatch;

pub(crate) use client::{Client, Response};
pub(crate) use config::Settings;

use std::cell::RefCell;

thread_local! {
    /// Why the last request libgit2 made through the HTTP client failed:
    /// libgit2 keeps only the text of a subtransport's error, and the
    /// failure's kind (credentials, a certificate) is told from this.
    static LAST: RefCell<Option<(git2::ErrorCode, git2::ErrorClass, String)>> =
        const { RefCell::new(None) };
}

/// Records `e` as the last request's failure.
pub(crate) fn failed(e: &git2::Error) {
    LAST.with(|l| *l.borrow_mut() = Some((e.code(), e.class(), e.message().to_string())));
}

/// The last request's failure, taken (asked once per failure).
pub(crate) fn take_failure() -> Option<git2::Error> {
    LAST.with(|l| l.borrow_mut().take())
        .map(|(code, class, message)| git2::Error::new(code, class, message))
}

impl super::Workspace {
    /// git's HTTP settings for a request to `url` on behalf of `remote`
    /// (the forge's API beside the remote): the same reading as the
    /// push's own requests.
    pub(crate) fn http_settings(&self, url: &str, remote: &str) -> Settings {
        Settings::for_remote(&super::config::of(&self.repo), url, Some(remote))
    }
}
