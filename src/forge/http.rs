//! The forge API's HTTP client: libcurl (the `curl` crate), with what git
//! reads to reach the remote that is cheap to carry over: `http.sslVerify`
//! and `GIT_SSL_NO_VERIFY`, `http.sslCAInfo` and `GIT_SSL_CAINFO`,
//! `http.sslCAPath`, `http.proxy` and `remote.<name>.proxy` (the proxy
//! variables and `no_proxy` libcurl reads itself, as git's libcurl does).
//! Not carried over: `http.<url>.*` sections, client certificates,
//! `http.extraHeader` and cookies. A request never waits for ever: 30 s
//! to connect, and a transfer slower than 1 byte/s for 60 s is given up
//! (`http.lowSpeedLimit`/`lowSpeedTime` as git's defaults would have it);
//! an answer over 8 MiB is refused. Redirects are not followed, so the
//! credentials reach no other server.

use std::path::PathBuf;
use std::time::Duration;

use curl::easy::{Easy, List};

/// The largest answer read: the forge's JSON is small.
const MAX_BODY: usize = 8 << 20;

/// How requests to the forge are made, from git's settings.
#[derive(Debug, Default, Clone)]
pub(crate) struct Settings {
    pub verify: bool,
    pub ca_info: Option<PathBuf>,
    pub ca_path: Option<PathBuf>,
    pub proxy: Option<String>,
}

impl Settings {
    /// Git's settings for `remote` from `config` and the environment.
    pub(crate) fn from_git(config: &git2::Config, remote: &str) -> Settings {
        let string = |key: &str| config.get_string(key).ok().filter(|v| !v.is_empty());
        let env = |key: &str| std::env::var(key).ok().filter(|v| !v.is_empty());
        let no_verify = env("GIT_SSL_NO_VERIFY").is_some();
        Settings {
            verify: !no_verify && config.get_bool("http.sslVerify").unwrap_or(true),
            ca_info: env("GIT_SSL_CAINFO")
                .or_else(|| string("http.sslCAInfo"))
                .map(PathBuf::from),
            ca_path: env("GIT_SSL_CAPATH")
                .or_else(|| string("http.sslCAPath"))
                .map(PathBuf::from),
            proxy: string(&format!("remote.{remote}.proxy")).or_else(|| string("http.proxy")),
        }
    }
}

/// One answer: the status and the body.
pub(crate) struct Answer {
    pub status: u32,
    pub body: Vec<u8>,
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
    let mut easy = Easy::new();
    let fail = |e: curl::Error| e.description().to_string();
    easy.url(url).map_err(fail)?;
    easy.custom_request(method).map_err(fail)?;
    easy.follow_location(false).map_err(fail)?;
    easy.connect_timeout(Duration::from_secs(30))
        .map_err(fail)?;
    easy.low_speed_limit(1).map_err(fail)?;
    easy.low_speed_time(Duration::from_secs(60)).map_err(fail)?;
    easy.useragent(concat!("mlops/", env!("CARGO_PKG_VERSION")))
        .map_err(fail)?;
    easy.ssl_verify_peer(settings.verify).map_err(fail)?;
    easy.ssl_verify_host(settings.verify).map_err(fail)?;
    if let Some(ca) = &settings.ca_info {
        easy.cainfo(ca).map_err(fail)?;
    }
    if let Some(ca) = &settings.ca_path {
        easy.capath(ca).map_err(fail)?;
    }
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
        headers
            .append("Content-Type: application/json")
            .map_err(fail)?;
        easy.post_fields_copy(payload).map_err(fail)?;
        easy.custom_request(method).map_err(fail)?;
    }
    easy.http_headers(headers).map_err(fail)?;
    let mut body = Vec::new();
    let too_big = std::cell::Cell::new(false);
    {
        let mut transfer = easy.transfer();
        transfer
            .write_function(|data| {
                if body.len() + data.len() > MAX_BODY {
                    too_big.set(true);
                    return Ok(0);
                }
                body.extend_from_slice(data);
                Ok(data.len())
            })
            .map_err(fail)?;
        let done = transfer.perform();
        if too_big.get() {
            return Err(format!("the answer is larger than {} MiB", MAX_BODY >> 20));
        }
        done.map_err(fail)?;
    }
    let status = easy.response_code().map_err(fail)?;
    Ok(Answer { status, body })
}
