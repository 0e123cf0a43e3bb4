//! An HTTPS proxy (`https_proxy=https://…`): stunnel with the test CA's
//! certificate in front of tinyproxy, optionally asking for a client
//! certificate, beside git on the same setup (see httpconfig.rs).
//! `http.proxySSLCAInfo` / `GIT_PROXY_SSL_CAINFO` name the CA that
//! signed the proxy's certificate (not `http.sslCAInfo`, which is for
//! the remote); `http.proxySSLCert`/`proxySSLKey` and
//! `GIT_PROXY_SSL_CERT`/`_KEY` answer a proxy that asks for a client
//! certificate.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::Env;
use crate::httpconfig::{both, store_credentials, TOKEN};
use crate::httpconfig_tls::openssl;
use crate::servers::{available, free_port, served_gitops, wait_for_port, Http, Proxy, Running};

/// tinyproxy behind stunnel: the proxy's URL is `https://127.0.0.1:PORT`
/// with the certificate in `pki` (server.pem, for 127.0.0.1); with
/// `client_ca`, stunnel asks for a client certificate that CA signed.
struct HttpsProxy {
    port: u16,
    inner: Proxy,
    _tunnel: Running,
}

impl HttpsProxy {
    fn start(dir: &Path, pki: &Path, client_ca: Option<&Path>) -> Option<HttpsProxy> {
        if !available(&["stunnel4"]) {
            return None;
        }
        let inner = Proxy::start(dir, None)?;
        let port = free_port();
        let log = dir.join(format!("stunnel-{port}.log"));
        let conf = dir.join(format!("stunnel-{port}.conf"));
        let mut text = format!(
            "foreground = yes\npid =\noutput = {}\ndebug = 5\n[proxy]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{}\ncert = {}\nkey = {}\n",
            log.display(),
            inner.port,
            pki.join("server.pem").display(),
            pki.join("server.key").display(),
        );
        if let Some(ca) = client_ca {
            text.push_str(&format!(
                "verifyChain = yes\nrequireCert = yes\nCAfile = {}\n",
                ca.display()
            ));
        }
        fs::write(&conf, text).unwrap();
        let mut child = Command::new("stunnel4")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(port, &mut child, &log);
        Some(HttpsProxy {
            port,
            inner,
            _tunnel: Running(child),
        })
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Whether the proxy (behind the tunnel) carried a CONNECT to `port`
    /// since the last [`HttpsProxy::clear`].
    fn tunnelled(&self, port: u16) -> bool {
        let tunnel = format!("CONNECT 127.0.0.1:{port}");
        self.inner.requests().iter().any(|r| r.starts_with(&tunnel))
    }

    fn clear(&self) {
        self.inner.clear();
    }
}

/// The HTTPS test server with its checkout, and the proxy in front of
/// tinyproxy with the same test CA's certificate.
struct Setup {
    work: PathBuf,
    https: Http,
    proxy: HttpsProxy,
    pki: PathBuf,
}

/// [`Setup`] with the store helper answering for the server; with
/// `client_cert`, the proxy asks for a certificate the test CA signed.
fn setup(env: &Env, client_cert: bool) -> Option<Setup> {
    let (_remote, work, https) = served_gitops(env, true, TOKEN)?;
    let ca = https.ca.clone().unwrap();
    let pki = ca.parent().unwrap().to_path_buf();
    let proxy = HttpsProxy::start(env.path(), &pki, client_cert.then_some(ca.as_path()))?;
    store_credentials(env, &https.url("remote.git"));
    Some(Setup {
        work,
        https,
        proxy,
        pki,
    })
}

#[test]
fn an_https_proxy_is_trusted_through_the_proxy_ca_settings_as_git_trusts_it() {
    let env = Env::new();
    let Some(Setup {
        work, https, proxy, ..
    }) = setup(&env, false)
    else {
        return;
    };
    let ca = https.ca.clone().unwrap();
    let (ca, url) = (ca.to_str().unwrap(), proxy.url());
    let through = [("GIT_SSL_CAINFO", ca), ("https_proxy", url.as_str())];

    // The remote's CA does not vouch for the proxy: both refuse it.
    both(
        &env,
        &work,
        &through,
        false,
        "a proxy no CA setting vouches for",
    );
    assert!(!proxy.tunnelled(https.port), "nothing may pass the proxy");

    env.git(&work, &["config", "http.proxySSLCAInfo", ca]);
    proxy.clear();
    both(&env, &work, &through, true, "http.proxySSLCAInfo");
    assert!(
        proxy.tunnelled(https.port),
        "the push went through the proxy"
    );
    env.git(&work, &["config", "--unset", "http.proxySSLCAInfo"]);

    let with_env = [through[0], through[1], ("GIT_PROXY_SSL_CAINFO", ca)];
    proxy.clear();
    both(&env, &work, &with_env, true, "GIT_PROXY_SSL_CAINFO");
    assert!(
        proxy.tunnelled(https.port),
        "the push went through the proxy"
    );
}

#[test]
fn an_https_proxy_that_asks_for_a_client_certificate_gets_the_proxy_ssl_cert() {
    let env = Env::new();
    let Some(Setup {
        work,
        https,
        proxy,
        pki,
    }) = setup(&env, true)
    else {
        return;
    };
    let ca = https.ca.clone().unwrap();
    let (ca, url) = (ca.to_str().unwrap(), proxy.url());
    let (cert, key) = (pki.join("client.pem"), pki.join("client.key"));
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    env.git(&work, &["config", "http.proxySSLCAInfo", ca]);
    let through = [("GIT_SSL_CAINFO", ca), ("https_proxy", url.as_str())];

    both(
        &env,
        &work,
        &through,
        false,
        "no client certificate for the proxy",
    );
    // The remote's client certificate is not the proxy's.
    let remote_cert = [
        through[0],
        through[1],
        ("GIT_SSL_CERT", cert),
        ("GIT_SSL_KEY", key),
    ];
    both(
        &env,
        &work,
        &remote_cert,
        false,
        "http.sslCert is for the remote",
    );

    env.git(&work, &["config", "http.proxySSLCert", cert]);
    env.git(&work, &["config", "http.proxySSLKey", key]);
    proxy.clear();
    both(
        &env,
        &work,
        &through,
        true,
        "http.proxySSLCert and proxySSLKey",
    );
    assert!(
        proxy.tunnelled(https.port),
        "the push went through the proxy"
    );
    env.git(&work, &["config", "--unset", "http.proxySSLCert"]);
    env.git(&work, &["config", "--unset", "http.proxySSLKey"]);

    let with_env = [
        through[0],
        through[1],
        ("GIT_PROXY_SSL_CERT", cert),
        ("GIT_PROXY_SSL_KEY", key),
    ];
    both(&env, &work, &with_env, true, "GIT_PROXY_SSL_CERT and _KEY");

    // A key with a passphrase, given by askpass once
    // http.proxySSLCertPasswordProtected says so.
    openssl(
        &pki,
        "openssl pkey -in client.key -aes256 -passout pass:pr0xy-phrase -out locked.key",
    );
    let locked_key = pki.join("locked.key");
    let askpass = env.path().join("askpass.sh");
    fs::write(&askpass, "#!/bin/sh\necho pr0xy-phrase\n").unwrap();
    crate::clone::make_executable(&askpass);
    let locked = [
        through[0],
        through[1],
        ("GIT_PROXY_SSL_CERT", cert),
        ("GIT_PROXY_SSL_KEY", locked_key.to_str().unwrap()),
        ("GIT_ASKPASS", askpass.to_str().unwrap()),
    ];
    let stderr = both(&env, &work, &locked, false, "a locked proxy key, not said");
    assert!(
        stderr.contains("http.proxySSLCertPasswordProtected"),
        "{stderr}"
    );
    env.git(
        &work,
        &["config", "http.proxySSLCertPasswordProtected", "true"],
    );
    let stderr = both(&env, &work, &locked, true, "proxySSLCertPasswordProtected");
    assert!(!stderr.contains("pr0xy-phrase"), "{stderr}");
}
