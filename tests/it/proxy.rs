//! Pushing to an HTTPS remote through an HTTP proxy (CONNECT), as git
//! does: the proxy comes from git config (`http.proxy`) or the environment
//! (`https_proxy`, less `no_proxy`). A real proxy, tinyproxy, on
//! 127.0.0.1; its log shows what went through it. git does the same push
//! through the same proxy, side by side. (More: a plain `http://` remote,
//! a proxy that asks for a login, `remote.<name>.proxy`, in
//! httpconfig_proxy.rs.)

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{words, Env};
use crate::servers::{served_gitops, Http, Proxy};

const TOKEN: &str = "pr0xy-t0ken";

/// The fixture on an HTTPS server, and a proxy; `None` (after a note)
/// when either can't be had.
fn https_and_proxy(env: &Env) -> Option<(PathBuf, PathBuf, Http, Proxy)> {
    let (remote, work, https) = served_gitops(env, true, TOKEN)?;
    let proxy = Proxy::start(env.path(), None)?;
    Some((remote, work, https, proxy))
}

/// `mlops ARGS` in `work`, trusting the test CA, with the token and
/// `vars`; it must succeed.
fn push(env: &Env, work: &Path, ca: &Path, args: &str, vars: &[(&str, &str)]) {
    let mut cmd = env.mlops(work);
    cmd.env("SSL_CERT_FILE", ca)
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN);
    for (name, value) in vars {
        cmd.env(name, value);
    }
    cmd.args(words(args)).assert().success();
}

#[test]
fn a_push_over_https_tunnels_through_the_proxy_in_the_environment_as_gits_does() {
    let env = Env::new();
    let Some((remote, work, https, proxy)) = https_and_proxy(&env) else {
        return;
    };
    let ca = https.ca.clone().unwrap();
    let tunnel = format!("CONNECT 127.0.0.1:{}", https.port);
    proxy.clear();
    let via = proxy.url();
    let enable = "autoscale enable --env test jukebox --yes";
    push(&env, &work, &ca, enable, &[("https_proxy", &via)]);
    let ours = proxy.requests();
    assert!(
        ours.iter().any(|r| r.starts_with(&tunnel)),
        "the push did not go through the proxy:\n{}",
        ours.join("\n")
    );
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Enable autoscaling for jukebox in test"
    );

    // git, the referee: the same kind of push through the same proxy.
    let theirs = env.clone_of(&remote, "theirs");
    let url = format!(
        "https://bot:{TOKEN}@127.0.0.1:{}/git/remote.git",
        https.port
    );
    env.git(&theirs, &["remote", "set-url", "origin", &url]);
    fs::write(theirs.join("notes.md"), "via the proxy\n").unwrap();
    env.git(&theirs, &["add", "notes.md"]);
    env.git(&theirs, &["commit", "-q", "-m", "Notes"]);
    proxy.clear();
    let out = Command::new("git")
        .args(["push", "-q", "origin", "main"])
        .current_dir(&theirs)
        .env("HOME", env.home())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_SSL_CAINFO", &ca)
        .env("https_proxy", proxy.url())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(proxy.requests().iter().any(|r| r.starts_with(&tunnel)));
}

#[test]
fn a_push_over_https_tunnels_through_the_proxy_in_git_config_and_no_proxy_is_honoured() {
    let env = Env::new();
    let Some((remote, work, https, proxy)) = https_and_proxy(&env) else {
        return;
    };
    let ca = https.ca.clone().unwrap();
    env.git(&work, &["config", "http.proxy", &proxy.url()]);
    proxy.clear();
    push(
        &env,
        &work,
        &ca,
        "autoscale enable --env test jukebox --yes",
        &[],
    );
    let tunnel = format!("CONNECT 127.0.0.1:{}", https.port);
    let requests = proxy.requests();
    assert!(
        requests.iter().any(|r| r.starts_with(&tunnel)),
        "no tunnel through the proxy:\n{}",
        requests.join("\n")
    );
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Enable autoscaling for jukebox in test"
    );

    // From the environment, a host in no_proxy is reached directly.
    env.git(&work, &["config", "--unset", "http.proxy"]);
    proxy.clear();
    let via = proxy.url();
    let disable = "autoscale disable --env test jukebox --yes";
    push(
        &env,
        &work,
        &ca,
        disable,
        &[("https_proxy", &via), ("no_proxy", "127.0.0.1")],
    );
    assert_eq!(proxy.requests(), Vec::<String>::new());
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Disable autoscaling for jukebox in test"
    );
}
