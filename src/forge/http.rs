//! The forge API's HTTP client: libcurl (the `curl` crate), set up from
//! the same reading of git's settings as the push's own requests
//! ([`crate::git::http::Settings`], matched for the remote's URL):
//! the TLS settings as the push applies them (`crate::git::http::tls`:
//! verification, CAs, client certificates, version, ciphers, pinned key,
//! `http.curloptResolve`), `http.proxy`/`remote.<name>.proxy` (the proxy
//! variables and `no_proxy` libcurl reads itself, as git's libcurl does),
//! the low-speed limits and the user agent. Not carried over:
//! `http.extraHeader` and cookies (they are meant for git's requests). A request never waits for ever: 30 s to
//! connect, and the low-speed limit (git's, or the tool's default); an
//! answer over 8 MiB is refused. Redirects are not followed, so the
//! credentials reach no other server.

use std::time::Duration;

use curl::easy::{Easy2, Handler, List, WriteError};

/// The largest answer read: the forge's JSON is small.
const MAX_BODY: usize = 8 << 20;

pub(crate) use crate::git::http::Settings;

/// One answer: the status and the body.
pub(crate) struct Answer {
    pub status: u32,
    pub body: Vec<u8>,
}

/// Collects the body, refusing more than [`MAX_BODY`].
#[derive(Default)]
struct Body {
    bytes: Vec<u8>,
    too_big: bool,
}

impl Handler for Body {
    fn write(&mut self, data: &[u8]) -> Result<usize, WriteError> {
        if self.bytes.len() + data.len() > MAX_BODY {
            self.too_big = true;
            return Ok(0);
        }
        self.bytes.extend_from_slice(data);
        Ok(data.len())
    }
}

/// Makes one request; `auth` is a whole `Authorization: …` header line.
/// The error is libcurl's description (it never holds the header).
pub(crate) fn request(
    settings: &Settings,
    method: &str,
    url: &str,
    auth: Option<&str>,
    json: Option<&serde_json::Value>,
) -> Result<Answer, String> {
    let mut easy = Easy2::new(Body::default());
    let fail = |e: curl::Error| e.description().to_string();
    easy.url(url).map_err(fail)?;
    easy.custom_request(method).map_err(fail)?;
    easy.follow_location(false).map_err(fail)?;
    easy.connect_timeout(Duration::from_secs(30))
        .map_err(fail)?;
    let (limit, time) = settings.low_speed;
    easy.low_speed_limit(limit).map_err(fail)?;
    easy.low_speed_time(Duration::from_secs(u64::from(time)))
        .map_err(fail)?;
    easy.useragent(&settings.user_agent).map_err(fail)?;
    crate::git::http::tls::apply(&mut easy, settings).map_err(fail)?;
    if let Some(proxy) = &settings.proxy {
        easy.proxy(proxy).map_err(fail)?;
    }
    let mut headers = List::new();
    headers.append("Accept: application/json").map_err(fail)?;
    if let Some(auth) = auth {
        headers.append(auth).map_err(fail)?;
    }
    let payload = json.map(|j| j.to_string().into_bytes());
    if let Some(payload) = &payload {
        // A PATCH is a JSON merge patch (RFC 7396), as Kubernetes names it.
        let kind = if method == "PATCH" {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        headers
            .append(&format!("Content-Type: {kind}"))
            .map_err(fail)?;
        easy.post_fields_copy(payload).map_err(fail)?;
        easy.custom_request(method).map_err(fail)?;
    }
    easy.http_headers(headers).map_err(fail)?;
    let done = easy.perform();
    if easy.get_ref().too_big {
        return Err(format!("the answer is larger than {} MiB", MAX_BODY >> 20));
    }
    done.map_err(fail)?;
    let status = easy.response_code().map_err(fail)?;
    let body = std::mem::take(&mut easy.get_mut().bytes);
    Ok(Answer { status, body })
}
