//! Proxies as git takes them, beside git on the same setup (see
//! httpconfig.rs): a proxy that asks for a login (tinyproxy with
//! `BasicAuth`, the login in the proxy's URL), `remote.<name>.proxy`
//! over `http.proxy`, and a plain `http://` remote through `http_proxy`
//! (and not through it for a host in `no_proxy`).

use crate::common::Env;
use crate::httpconfig::{both, store_credentials, TOKEN};
use crate::servers::{free_port, served_gitops, Proxy};

#[test]
fn a_proxy_that_asks_for_a_login_gets_the_one_in_its_url() {
    let env = Env::new();
    let Some((_remote, work, https)) = served_gitops(&env, true, TOKEN) else {
        return;
    };
    let Some(proxy) = Proxy::start(env.path(), Some(("px", "pxpass"))) else {
        return;
    };
    store_credentials(&env, &https.url("remote.git"));
    let ca = https.ca.clone().unwrap();
    let ca = ca.to_str().unwrap();
    let tunnel = format!("CONNECT 127.0.0.1:{}", https.port);
    let good = format!("http://px:pxpass@127.0.0.1:{}", proxy.port);
    let bad = format!("http://px:wrong@127.0.0.1:{}", proxy.port);
    let vars = [("GIT_SSL_CAINFO", ca), ("https_proxy", good.as_str())];
    proxy.clear();
    let stderr = both(&env, &work, &vars, true, "the login in https_proxy");
    assert!(!stderr.contains("pxpass"), "{stderr}");
    assert!(
        proxy.requests().iter().any(|r| r.starts_with(&tunnel)),
        "{:?}",
        proxy.requests()
    );
    let vars = [("GIT_SSL_CAINFO", ca), ("https_proxy", bad.as_str())];
    let stderr = both(&env, &work, &vars, false, "a wrong proxy login");
    assert!(!stderr.contains("wrong@"), "{stderr}");
    // The same login in http.proxy.
    env.git(&work, &["config", "http.proxy", &good]);
    both(
        &env,
        &work,
        &[("GIT_SSL_CAINFO", ca)],
        true,
        "http.proxy with a login",
    );
}

#[test]
fn the_remote_s_own_proxy_comes_before_http_proxy() {
    let env = Env::new();
    let Some((_remote, work, http)) = served_gitops(&env, false, TOKEN) else {
        return;
    };
    let Some(proxy) = Proxy::start(env.path(), None) else {
        return;
    };
    store_credentials(&env, &http.url("remote.git"));
    let dead = format!("http://127.0.0.1:{}", free_port());
    // A dead proxy for the remote: git fails, and so does mlops (it does
    // not go around it).
    env.git(&work, &["config", "remote.origin.proxy", &dead]);
    both(&env, &work, &[], false, "a dead remote.origin.proxy");
    // The remote's proxy works, http.proxy is dead: the remote's wins.
    env.git(&work, &["config", "remote.origin.proxy", &proxy.url()]);
    env.git(&work, &["config", "http.proxy", &dead]);
    proxy.clear();
    both(
        &env,
        &work,
        &[],
        true,
        "remote.origin.proxy over http.proxy",
    );
    let listing = format!(
        "GET http://127.0.0.1:{}/git/remote.git/info/refs",
        http.port
    );
    assert!(
        proxy.requests().iter().any(|r| r.starts_with(&listing)),
        "{:?}",
        proxy.requests()
    );
}

#[test]
fn a_plain_http_remote_goes_through_http_proxy_unless_no_proxy_names_it() {
    let env = Env::new();
    let Some((_remote, work, http)) = served_gitops(&env, false, TOKEN) else {
        return;
    };
    let Some(proxy) = Proxy::start(env.path(), None) else {
        return;
    };
    store_credentials(&env, &http.url("remote.git"));
    let via = proxy.url();
    let listing = format!(
        "GET http://127.0.0.1:{}/git/remote.git/info/refs",
        http.port
    );
    proxy.clear();
    both(&env, &work, &[("http_proxy", &via)], true, "http_proxy");
    let carried = proxy.requests();
    assert!(
        carried.iter().any(|r| r.starts_with(&listing)),
        "{carried:?}"
    );
    assert!(
        carried.iter().any(|r| r.contains("git-receive-pack HTTP")),
        "the push too: {carried:?}"
    );
    proxy.clear();
    let vars = [("http_proxy", via.as_str()), ("no_proxy", "127.0.0.1")];
    both(&env, &work, &vars, true, "no_proxy");
    assert_eq!(proxy.requests(), Vec::<String>::new());
}
