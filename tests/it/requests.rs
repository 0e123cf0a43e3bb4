//! What a run asks of a smart HTTP server, counted from lighttpd's access
//! log: an up-to-date checkout lists and pushes on the push service alone
//! (at most 3 requests), credentials known before the first request go
//! with it over HTTPS (no 401 round trip) but never over plain HTTP before
//! a challenge, and never to another port a redirect points to.

use std::fs;
use std::path::Path;

use predicates::prelude::*;

use crate::common::{all_output, config, words, Env};
use crate::servers::{served_gitops, shown};

const TOKEN: &str = "s3cret-requests-t0ken";

fn tip(env: &Env, repo: &Path) -> String {
    env.git(repo, &["rev-parse", "main"]).trim().to_string()
}

#[test]
fn an_up_to_date_checkout_takes_three_requests_and_a_behind_one_four_on_one_connection() {
    let env = Env::new();
    let Some((remote, work, http)) = served_gitops(&env, false, TOKEN) else {
        return;
    };
    fs::write(
        env.home().join(".git-credentials"),
        format!("http://bot:{TOKEN}@127.0.0.1:{}\n", http.port),
    )
    .unwrap();
    env.git(
        env.path(),
        &["config", "--global", "credential.helper", "store"],
    );
    http.clear_requests();
    env.mlops(&work)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success();
    let requests = http.requests();
    shown(&requests);
    assert!(
        requests.len() <= 3,
        "{} requests:\n{}",
        requests.len(),
        shown(&requests)
    );
    assert!(
        requests.iter().all(|r| !r.line.contains("upload-pack")),
        "nothing was fetched:\n{}",
        shown(&requests)
    );
    assert_eq!(
        tip(&env, &remote),
        env.git(&work, &["rev-parse", "HEAD"]).trim()
    );

    // Behind: the tip the push service names is fetched, then pushed
    // on the connection that listed it.
    let other = env.clone_of(&remote, "other");
    fs::write(
        config(&other, "test", "jukebox-ui"),
        "---\nautoscaling: true\n",
    )
    .unwrap();
    env.git(&other, &["commit", "-qam", "Elsewhere"]);
    env.git(&other, &["push", "-q", "origin", "main"]);
    http.clear_requests();
    env.mlops(&work)
        .args(words("autoscale disable --env test jukebox --yes"))
        .assert()
        .success();
    let requests = http.requests();
    // The 401, the push listing, one fetch request (want, have, done), the
    // push: one connection.
    let lines: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.status, r.line.split('?').next().unwrap_or("")))
        .collect();
    assert_eq!(
        lines
            .iter()
            .map(|l| l.split(" HTTP/").next().unwrap())
            .collect::<Vec<_>>(),
        [
            "401 GET /git/remote.git/info/refs",
            "200 GET /git/remote.git/info/refs",
            "200 POST /git/remote.git/git-upload-pack",
            "200 POST /git/remote.git/git-receive-pack",
        ],
        "{}",
        shown(&requests)
    );
    let ports: std::collections::BTreeSet<_> = requests.iter().map(|r| r.client_port).collect();
    assert_eq!(ports.len(), 1, "one connection:\n{}", shown(&requests));
    assert_eq!(
        env.subjects(&remote, "main")[..2],
        ["Disable autoscaling for jukebox in test", "Elsewhere"]
    );
    assert_eq!(
        tip(&env, &remote),
        env.git(&work, &["rev-parse", "HEAD"]).trim()
    );
    assert_eq!(env.status(&work), "");
}

#[test]
fn https_with_a_token_makes_no_401_round_trip() {
    let env = Env::new();
    let Some((remote, work, https)) = served_gitops(&env, true, TOKEN) else {
        return;
    };
    let ca = https.ca.clone().unwrap();
    https.clear_requests();
    env.mlops(&work)
        .env("SSL_CERT_FILE", &ca)
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains(TOKEN).not());
    let requests = https.requests();
    shown(&requests);
    assert!(
        requests.iter().all(|r| r.status != 401) && requests.len() <= 2,
        "{}",
        shown(&requests)
    );

    https.clear_requests();
    env.mlops(env.path())
        .env("SSL_CERT_FILE", &ca)
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(["--clone", &https.url("remote.git")])
        .args(words("autoscale enable --env prod jukebox --yes"))
        .assert()
        .success();
    let requests = https.requests();
    shown(&requests);
    assert!(
        requests.iter().all(|r| r.status != 401),
        "{}",
        shown(&requests)
    );
    assert_eq!(
        env.subjects(&remote, "main")[..2],
        [
            "Enable autoscaling for jukebox in prod",
            "Enable autoscaling for jukebox in test"
        ]
    );
}

/// A push over HTTPS asks the credential helper before its first request
/// and sends the answer with it (a push always needs credentials); a read
/// waits for the 401, as git does. A stored password that is wrong is
/// refused once, and the run ends without showing it.
#[test]
fn https_with_a_credential_helper_makes_no_401_round_trip_for_a_push() {
    let env = Env::new();
    let Some((remote, work, https)) = served_gitops(&env, true, TOKEN) else {
        return;
    };
    let ca = https.ca.clone().unwrap();
    let store = |password: &str| {
        fs::write(
            env.home().join(".git-credentials"),
            format!("https://bot:{password}@127.0.0.1:{}\n", https.port),
        )
        .unwrap();
    };
    store(TOKEN);
    env.git(
        env.path(),
        &["config", "--global", "credential.helper", "store"],
    );
    https.clear_requests();
    env.mlops(&work)
        .env("SSL_CERT_FILE", &ca)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success();
    let requests = https.requests();
    assert!(
        requests.iter().all(|r| r.status != 401 && r.authorization) && requests.len() <= 2,
        "{}",
        shown(&requests)
    );
    assert_eq!(tip(&env, &remote), tip(&env, &work));

    https.clear_requests();
    env.mlops(&work)
        .env("SSL_CERT_FILE", &ca)
        .args(words("autoscale status --remote-branch"))
        .assert()
        .success();
    let requests = https.requests();
    let first = requests.first().expect("a request");
    assert!(
        !first.authorization && first.status == 401,
        "{}",
        shown(&requests)
    );

    let wrong = "not-the-t0ken";
    store(wrong);
    https.clear_requests();
    let out = env
        .mlops(&work)
        .env("SSL_CERT_FILE", &ca)
        .args(words("autoscale disable --env test jukebox --yes"))
        .output()
        .unwrap();
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(!text.contains(wrong) && !text.contains(TOKEN), "{text}");
    assert!(text.contains("credential helper"), "{text}");
    let requests = https.requests();
    assert_eq!(
        requests.iter().filter(|r| r.authorization).count(),
        1,
        "{}",
        shown(&requests)
    );
    assert_eq!(tip(&env, &remote), tip(&env, &work));
}

#[test]
fn plain_http_gets_the_token_only_after_a_challenge() {
    let env = Env::new();
    let Some((_remote, work, http)) = served_gitops(&env, false, TOKEN) else {
        return;
    };
    http.clear_requests();
    env.mlops(&work)
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success();
    let requests = http.requests();
    let first = requests.first().expect("a request");
    assert!(
        !first.authorization && first.status == 401,
        "{}",
        shown(&requests)
    );
}

#[test]
fn a_redirect_to_another_port_does_not_receive_the_token() {
    let env = Env::new();
    let Some((remote, _work, https)) = served_gitops(&env, true, TOKEN) else {
        return;
    };
    let ca = https.ca.clone().unwrap();
    let before = tip(&env, &remote);
    https.clear_requests();
    let out = env
        .mlops(env.path())
        .env("SSL_CERT_FILE", &ca)
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(["--clone", &https.moved_url("remote.git")])
        .args(words("autoscale enable --env test jukebox --yes"))
        .output()
        .unwrap();
    let text = all_output(&out);
    assert!(!text.contains(TOKEN), "{text}");
    let requests = https.requests();
    assert!(
        requests.iter().any(|r| r.port == https.other_port),
        "the redirect was followed:\n{}\n{text}",
        shown(&requests)
    );
    assert!(
        requests
            .iter()
            .filter(|r| r.port == https.other_port)
            .all(|r| !r.authorization),
        "the other port received credentials:\n{}",
        shown(&requests)
    );
    // The other server asks for credentials nobody gives it: nothing moved.
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert_eq!(tip(&env, &remote), before);
}
