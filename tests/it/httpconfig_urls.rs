//! Which URL a run talks to, beside git (see httpconfig.rs): a
//! `pushurl` and `url.<base>.pushInsteadOf` send the push elsewhere
//! (and the "Pushed" line names where, without its credentials), and a
//! redirect is followed as `http.followRedirects` says.

use std::fs;

use crate::common::{all_output, Env};
use crate::httpconfig::{both, git_probe, mlops_run, store_credentials, TOKEN};
use crate::servers::served_gitops;

/// The "Pushed ..." line of a run's output.
fn pushed_line(text: &str) -> &str {
    text.lines()
        .find(|l| l.starts_with("Pushed "))
        .unwrap_or_default()
}

#[test]
fn the_push_goes_to_the_push_url_and_the_pushed_line_names_it() {
    let env = Env::new();
    let Some((_remote, work, http)) = served_gitops(&env, false, TOKEN) else {
        return;
    };
    store_credentials(&env, &http.url("remote.git"));
    // Another name of the same server, with the credentials in it.
    let push_base = format!("http://bot:{TOKEN}@localhost:{}/", http.port);
    let push_url = format!("{push_base}git/remote.git");
    let shown = format!("http://***@localhost:{}/git/remote.git", http.port);
    env.git(&work, &["config", "remote.origin.pushurl", &push_url]);
    let git = git_probe(&env, &work, &[]);
    assert!(git.status.success(), "{}", all_output(&git));
    let out = mlops_run(&env, &work, "enable", &[]);
    let text = all_output(&out);
    assert!(out.status.success(), "{text}");
    assert!(pushed_line(&text).contains(&format!("({shown})")), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
    // The same through url.<base>.pushInsteadOf.
    env.git(&work, &["config", "--unset", "remote.origin.pushurl"]);
    let fetch_base = format!("http://127.0.0.1:{}/", http.port);
    let key = format!("url.{push_base}.pushInsteadOf");
    env.git(&work, &["config", &key, &fetch_base]);
    let git = git_probe(&env, &work, &[]);
    assert!(git.status.success(), "{}", all_output(&git));
    let out = mlops_run(&env, &work, "disable", &[]);
    let text = all_output(&out);
    assert!(out.status.success(), "{text}");
    assert!(pushed_line(&text).contains(&format!("({shown})")), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
}

#[test]
fn a_redirect_is_followed_as_http_follow_redirects_says() {
    let env = Env::new();
    let Some((_remote, work, http)) = served_gitops(&env, false, TOKEN) else {
        return;
    };
    store_credentials(&env, &http.url("remote.git"));
    // The store knows the server on both its ports.
    let store = env.home().join(".git-credentials");
    let mut lines = fs::read_to_string(&store).unwrap();
    lines.push_str(&format!(
        "http://bot:{TOKEN}@127.0.0.1:{}\n",
        http.other_port
    ));
    fs::write(&store, lines).unwrap();
    env.git(
        &work,
        &["remote", "set-url", "origin", &http.moved_url("remote.git")],
    );
    // git's default ("initial"): the listing's redirect is followed, and
    // the push goes where it led.
    both(&env, &work, &[], true, "http.followRedirects unset");
    env.git(&work, &["config", "http.followRedirects", "true"]);
    both(&env, &work, &[], true, "http.followRedirects=true");
    env.git(&work, &["config", "http.followRedirects", "false"]);
    both(&env, &work, &[], false, "http.followRedirects=false");
}

#[test]
fn a_refused_password_in_the_url_says_so() {
    let env = Env::new();
    let Some((_remote, work, http)) = served_gitops(&env, false, TOKEN) else {
        return;
    };
    let url = format!("http://bot:wrong@127.0.0.1:{}/git/remote.git", http.port);
    env.git(&work, &["remote", "set-url", "origin", &url]);
    let stderr = both(&env, &work, &[], false, "a wrong password in the URL");
    assert!(
        stderr.contains("the password in the remote URL was refused"),
        "{stderr}"
    );
    assert!(!stderr.contains("nothing was configured"), "{stderr}");
    assert!(!stderr.contains("wrong@"), "{stderr}");
    // The right one in the URL works for both.
    let url = format!("http://bot:{TOKEN}@127.0.0.1:{}/git/remote.git", http.port);
    env.git(&work, &["remote", "set-url", "origin", &url]);
    let stderr = both(&env, &work, &[], true, "the password in the URL");
    assert!(!stderr.contains(TOKEN), "{stderr}");
}

#[test]
fn http_empty_auth_offers_the_empty_login_then_asks_as_git_does() {
    let env = Env::new();
    let Some((_remote, work, _http)) = served_gitops(&env, false, TOKEN) else {
        return;
    };
    env.git(&work, &["config", "http.emptyAuth", "true"]);
    // Nothing else to offer: both fail.
    both(&env, &work, &[], false, "http.emptyAuth alone");
    // With the helper's answer after it: both get through.
    let url = env.git(&work, &["remote", "get-url", "origin"]);
    store_credentials(&env, url.trim());
    both(&env, &work, &[], true, "http.emptyAuth and a helper");
}
