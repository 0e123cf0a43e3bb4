//! One smart-HTTP client on libcurl, configured as git's http.c configures
//! it ([`super::config::Settings`]), for every request mlops makes to an
//! HTTP(S) remote: libgit2's listing and fetch (through
//! [`super::subtransport`]) and the own push (src/git/push/http.rs).
//!
//! Responses are read as they arrive ([`super::response`]). Credentials:
//! those known ahead go with the first request; a 401 asks the next ones
//! (the URL's password, then the session's sources,
//! src/git/credentials.rs) and the request is sent again.

use std::time::Duration;

use curl::easy::{Auth, Easy2, HttpVersion, List};

use super::config::{Follow, Settings};
pub(crate) use super::response::Response;
use super::response::{net, Sink};
use crate::git::basic::basic;
use crate::git::session::Session;
use crate::git::url::{has_password, redact, strip_userinfo, url_user};

/// A request: GET of `url`, or POST of `body`.
pub(crate) struct Request<'a> {
    pub url: String,
    pub post: Option<(&'a str, &'a [u8])>,
    pub accept: Option<&'a str>,
    pub follow: bool,
}

/// The client for one remote: its settings, its connections, and the
/// credentials it sends.
pub(crate) struct Client {
    settings: Settings,
    /// The handle of the last request, with its connection, for the next.
    easy: Option<Easy2<Sink>>,
    /// The repository's URL without userinfo or a trailing `/` (after a
    /// redirect of the first request, the one it led to).
    pub base: String,
    /// The URL as configured: credentials are asked and remembered for it.
    pub url: String,
    user: Option<String>,
    /// The URL's own `user:password`, tried on the first 401.
    url_pass: Option<(String, String)>,
    /// Whether it was sent (a 401 after it ends the tries).
    url_pass_sent: bool,
    /// The `Authorization` value sent with each request.
    auth: Option<String>,
    /// Whether a request went out already (redirects: `initial`).
    listed: bool,
}

impl Client {
    pub(crate) fn new(url: &str, settings: Settings) -> Client {
        let url_pass = has_password(url).then(|| {
            let rest = url.split_once("://").map_or("", |(_, r)| r);
            let info = rest.split('/').next().unwrap_or("");
            let info = info.rsplit_once('@').map_or("", |(u, _)| u);
            let (u, p) = info.split_once(':').unwrap_or((info, ""));
            let decode = crate::git::transport::local::decode;
            (decode(u), decode(p))
        });
        Client {
            settings,
            easy: None,
            base: strip_userinfo(url).trim_end_matches('/').to_string(),
            url: url.to_string(),
            user: url_user(url),
            url_pass,
            url_pass_sent: false,
            auth: None,
            listed: false,
        }
    }

    /// Credentials known before the server asks: the value of the
    /// `Authorization` header.
    pub(crate) fn authorize(&mut self, auth: Option<String>) {
        if auth.is_some() {
            self.auth = auth;
        }
    }

    fn configure(&self, easy: &mut Easy2<Sink>, request: &Request<'_>) -> Result<(), curl::Error> {
        let s = &self.settings;
        easy.url(&request.url)?;
        easy.useragent(&s.user_agent)?;
        super::tls::apply(easy, s)?;
        let mut auth = Auth::new();
        match s.proxy_auth_method.as_deref() {
            Some("basic") => auth.basic(true),
            Some("digest") => auth.digest(true),
            Some("negotiate") => auth.gssnegotiate(true),
            Some("ntlm") => auth.ntlm(true),
            _ => auth.basic(true).digest(true).ntlm(true),
        };
        easy.proxy_auth(&auth)?;
        self.proxy(easy)?;
        if let Some(file) = &s.cookie_file {
            easy.cookie_file(file)?;
            if s.save_cookies {
                easy.cookie_jar(file)?;
            }
        }
        let (limit, time) = s.low_speed;
        easy.low_speed_limit(limit)?;
        easy.low_speed_time(Duration::from_secs(u64::from(time)))?;
        easy.max_redirections(20)?;
        easy.follow_location(request.follow)?;
        match s.version.as_deref() {
            Some("HTTP/2") => easy.http_version(HttpVersion::V2)?,
            Some("HTTP/1.1") => easy.http_version(HttpVersion::V11)?,
            _ => {}
        }
        if s.empty_auth && self.auth.is_none() {
            easy.username("")?;
            easy.password("")?;
            let mut any = Auth::new();
            any.basic(true).digest(true).ntlm(true).gssnegotiate(true);
            easy.http_auth(&any)?;
        }
        let mut headers = List::new();
        headers.append("Pragma: no-cache")?;
        headers.append("Expect:")?;
        if let Some((content_type, body)) = request.post {
            headers.append(&format!("Content-Type: {content_type}"))?;
            easy.post(true)?;
            easy.post_fields_copy(body)?;
        } else {
            easy.get(true)?;
        }
        if let Some(accept) = request.accept {
            headers.append(&format!("Accept: {accept}"))?;
        }
        if let Some(auth) = &self.auth {
            headers.append(&format!("Authorization: {auth}"))?;
        }
        for header in &s.extra_headers {
            headers.append(header)?;
        }
        easy.http_headers(headers)?;
        Ok(())
    }

    /// The proxy as git chooses it: git config, else the variables of the
    /// URL's scheme, then `all_proxy` (lowercase first), with `no_proxy`.
    fn proxy(&self, easy: &mut Easy2<Sink>) -> Result<(), curl::Error> {
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
        };
        let https = self.base.to_ascii_lowercase().starts_with("https://");
        let proxy = self.settings.proxy.clone().or_else(|| {
            match https {
                true => var(&["https_proxy", "HTTPS_PROXY"]),
                false => var(&["http_proxy"]),
            }
            .or_else(|| var(&["all_proxy", "ALL_PROXY"]))
        });
        match proxy.as_deref() {
            None => easy.proxy(""),
            Some("") => easy.proxy(""),
            Some(p) => {
                let p = if p.contains("://") {
                    p.to_string()
                } else {
                    format!("http://{p}")
                };
                easy.proxy(&p)?;
                match var(&["no_proxy", "NO_PROXY"]) {
                    Some(skip) => easy.noproxy(&skip),
                    None => easy.noproxy(""),
                }
            }
        }
    }

    /// Sends `request` once: the response once its status is known.
    pub(crate) fn send(&mut self, request: &Request<'_>) -> Result<Response, git2::Error> {
        let (sink, rx) = Sink::new();
        let mut easy = self
            .easy
            .take()
            .unwrap_or_else(|| Easy2::new(Sink::default()));
        *easy.get_mut() = sink;
        self.configure(&mut easy, request)
            .map_err(|e| net(&format!("could not set up the HTTP request: {e}")))?;
        let s = &self.settings;
        let save_cookies = s.cookie_file.is_some() && s.save_cookies;
        let (limit, time) = s.low_speed;
        let low_speed = (limit, time, s.low_speed_configured);
        Response::start(easy, rx, save_cookies, low_speed, &request.url)
    }

    /// Takes back a response's handle (and its connection) for the next
    /// request, when it was read to its end; else the transfer is left
    /// to end on its own.
    pub(crate) fn recycle(&mut self, mut response: Response) {
        // After a listing redirected, the URL it led to is the base.
        if let Some(url) = response.effective_url() {
            if let Some((base, _)) = url.split_once("/info/refs?service=") {
                self.base = base.to_string();
            }
        }
        if let Some(easy) = response.into_handle() {
            self.easy = Some(easy);
        }
    }

    /// Sends `request` (unless `first` is its answer already), and again
    /// with the next credentials after each 401 until they are used up
    /// (an `Auth` error from `session`). Any answer but 401 is returned.
    pub(crate) fn call(
        &mut self,
        session: Option<&Session>,
        request: &Request<'_>,
        mut first: Option<Result<Response, git2::Error>>,
    ) -> Result<Response, git2::Error> {
        let mut url = request.url.clone();
        let mut ask = self.url.clone();
        loop {
            let mut response = match first.take() {
                Some(answer) => answer?,
                None => self.send(&Request {
                    url: url.clone(),
                    post: request.post,
                    accept: request.accept,
                    follow: request.follow,
                })?,
            };
            self.listed = true;
            if response.status != 401 {
                return Ok(response);
            }
            response.drain();
            // Refused where a redirect led (another server, another
            // port): as git does, the credentials are asked for that URL
            // and the request goes there.
            let moved = response.effective_url().filter(|u| *u != url);
            self.recycle(response);
            if let Some(effective) = moved {
                url = effective;
                ask = self.base.clone();
            }
            if self.url_pass_sent {
                // As git: the URL's own password refused, nothing else is
                // asked.
                return Err(git2::Error::new(
                    git2::ErrorCode::Auth,
                    git2::ErrorClass::Http,
                    format!("{} refused the password in its URL", redact(&ask)),
                ));
            }
            let (user, pass) = match self.url_pass.take() {
                Some(given) => {
                    self.url_pass_sent = true;
                    if let Some(session) = session {
                        session.tried_url_password();
                    }
                    given
                }
                None => match session {
                    Some(session) => session.challenged(&ask, self.user.as_deref())?,
                    None => {
                        return Err(git2::Error::new(
                            git2::ErrorCode::Auth,
                            git2::ErrorClass::Http,
                            format!("{} asked for credentials", redact(&ask)),
                        ))
                    }
                },
            };
            self.auth = Some(basic(&user, &pass));
        }
    }

    /// `GET info/refs?service=SERVICE`: the advertisement's body (with
    /// its `# service=` line). A redirect is followed as
    /// `http.followRedirects` says; the URL it led to is the base of the
    /// requests that follow.
    pub(crate) fn list(
        &mut self,
        session: Option<&Session>,
        service: &str,
        first: Option<Result<Response, git2::Error>>,
    ) -> Result<Response, git2::Error> {
        let request = self.listing(service);
        let mut response = self.call(session, &request, first)?;
        self.check(
            &mut response,
            &format!("application/x-{service}-advertisement"),
        )?;
        Ok(response)
    }

    /// The listing request, for a first answer started ahead.
    pub(crate) fn listing(&self, service: &str) -> Request<'static> {
        Request {
            url: format!("{}/info/refs?service={service}", self.base),
            post: None,
            accept: None,
            follow: !self.listed && self.settings.follow != Follow::None
                || self.settings.follow == Follow::Always,
        }
    }

    /// `POST SERVICE` with `body`: the result's body.
    pub(crate) fn post(
        &mut self,
        session: Option<&Session>,
        service: &str,
        body: &[u8],
    ) -> Result<Response, git2::Error> {
        let content_type = format!("application/x-{service}-request");
        let accept = format!("application/x-{service}-result");
        let request = Request {
            url: format!("{}/{service}", self.base),
            post: Some((&content_type, body)),
            accept: Some(&accept),
            follow: self.settings.follow == Follow::Always,
        };
        let mut response = self.call(session, &request, None)?;
        self.check(&mut response, &accept)?;
        Ok(response)
    }

    /// A 2xx answer of `content_type`, else an error saying what came.
    fn check(&self, response: &mut Response, content_type: &str) -> Result<(), git2::Error> {
        let shown = redact(&self.url);
        let status = response.status;
        if (300..400).contains(&status) {
            return Err(net(&format!(
                "{shown} redirected (HTTP {status}) and http.followRedirects does not follow it"
            )));
        }
        if status == 404 {
            return Err(git2::Error::new(
                git2::ErrorCode::NotFound,
                git2::ErrorClass::Http,
                format!("repository {shown} not found (HTTP 404)"),
            ));
        }
        if !(200..300).contains(&status) {
            return Err(net(&format!("{shown} answered with HTTP status {status}")));
        }
        if response.content_type != content_type {
            return Err(net(&format!(
                "{shown} is not a smart git HTTP server (it answered with {:?}, not {content_type})",
                response.content_type
            )));
        }
        Ok(())
    }
}
