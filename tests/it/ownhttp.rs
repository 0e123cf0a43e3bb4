//! mlops's own smart-HTTP push (src/git/push/http.rs), against lighttpd
//! and git http-backend: one change to a remote of thousands of files
//! goes as a small POST (libgit2's pack for it was tens of KB: it walks
//! the whole tree of the remote tip), the listing and the push share one
//! connection, the remote's hooks speak as `remote:` lines (a refusal is
//! exit 4 with nothing moved), a push that loses a race is retried on the
//! new tip, and what the own client does not do falls back to libgit2.

use std::fs;
use std::path::{Path, PathBuf};

use predicates::prelude::*;
use pretty_assertions::assert_eq;

use crate::common::{all_output, config, hook, race_main_once, words, Env};
use crate::servers::{served_gitops, shown, Http, Request};

const TOKEN: &str = "s3cret-ownhttp-t0ken";
const SUBJECT: &str = "Enable autoscaling for jukebox in test";

/// A remote with 3,000 more models in `test` (its tree alone is about
/// 100 KB), served over HTTP or HTTPS, and a checkout whose origin is
/// the served URL.
fn big_remote(env: &Env, tls: bool) -> Option<(PathBuf, PathBuf, Http)> {
    let (remote, work) = env.gitops(|seed| {
        for i in 0..3000 {
            let dir = seed.join(format!("model-deployments/test/extra-{i:04}"));
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join("config.yaml"), format!("---\nversion: v{i}\n")).unwrap();
        }
    });
    env.git(&remote, &["config", "http.receivepack", "true"]);
    let http = match tls {
        true => Http::start_tls(env.path(), env.path(), "bot", TOKEN)?,
        false => Http::start(env.path(), env.path(), "bot", TOKEN)?,
    };
    env.git(
        &work,
        &["remote", "set-url", "origin", &http.url("remote.git")],
    );
    Some((remote, work, http))
}

/// `mlops --verbose autoscale enable --env test jukebox --yes` in `work`
/// with the token (and the test CA over HTTPS); its stderr.
fn enable(env: &Env, work: &Path, http: &Http) -> String {
    let mut cmd = env.mlops(work);
    if let Some(ca) = &http.ca {
        cmd.env("SSL_CERT_FILE", ca);
    }
    let out = cmd
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("--verbose autoscale enable --env test jukebox --yes"))
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains(TOKEN), "{stderr}");
    stderr
}

fn posts(requests: &[Request]) -> Vec<&Request> {
    requests
        .iter()
        .filter(|r| r.line.starts_with("POST"))
        .collect()
}

/// The remote has the commit, whole: fsck is clean, the log and the
/// file's content are the checkout's, the other files are as they were.
fn landed(env: &Env, remote: &Path, work: &Path) {
    env.git(remote, &["fsck", "--strict", "--no-dangling"]);
    assert_eq!(env.subjects(remote, "main")[0], SUBJECT);
    assert_eq!(
        env.git(remote, &["rev-parse", "main"]),
        env.git(work, &["rev-parse", "HEAD"])
    );
    assert_eq!(
        env.git(
            remote,
            &["show", "main:model-deployments/test/jukebox/config.yaml"]
        ),
        fs::read_to_string(config(work, "test", "jukebox")).unwrap()
    );
    assert!(env
        .git(
            remote,
            &["show", "main:model-deployments/test/jukebox/config.yaml"]
        )
        .contains("autoscaling: true"));
    assert_eq!(
        env.git(
            remote,
            &["show", "main:model-deployments/test/extra-2999/config.yaml"]
        ),
        "---\nversion: v2999\n"
    );
    assert_eq!(env.status(work), "");
}

fn a_small_post_on_one_connection(tls: bool) {
    let env = Env::new();
    let Some((remote, work, http)) = big_remote(&env, tls) else {
        return;
    };
    http.clear_requests();
    let stderr = enable(&env, &work, &http);
    assert!(stderr.contains("mlops's own smart-HTTP client"), "{stderr}");
    let requests = http.requests();
    eprintln!("{}", shown(&requests));
    let post = posts(&requests);
    assert_eq!(post.len(), 1, "{}", shown(&requests));
    // The commands, the commit, four trees (one as a delta against the
    // 100 KB it replaces) and one blob, and the headers.
    assert!(post[0].bytes_in < 5_000, "{}", shown(&requests));
    assert!(
        requests
            .iter()
            .all(|r| r.client_port == post[0].client_port),
        "one connection for the listing and the push:\n{}",
        shown(&requests)
    );
    // HTTPS with the token: no 401 round trip; plain HTTP: one.
    let expected = if tls { 2 } else { 3 };
    assert_eq!(requests.len(), expected, "{}", shown(&requests));
    landed(&env, &remote, &work);
}

#[test]
fn one_change_to_thousands_of_files_is_a_small_post_over_http() {
    a_small_post_on_one_connection(false);
}

#[test]
fn one_change_to_thousands_of_files_is_a_small_post_over_https() {
    a_small_post_on_one_connection(true);
}

#[test]
fn a_cookie_file_keeps_the_one_push_path() {
    let env = Env::new();
    let Some((remote, work, http)) = big_remote(&env, false) else {
        return;
    };
    let cookies = env.path().join("cookies.txt");
    fs::write(&cookies, "").unwrap();
    env.git(
        &work,
        &["config", "http.cookieFile", cookies.to_str().unwrap()],
    );
    http.clear_requests();
    let stderr = enable(&env, &work, &http);
    // One push path: the own client takes git's HTTP settings along.
    assert!(stderr.contains("mlops's own smart-HTTP client"), "{stderr}");
    assert!(!stderr.contains("libgit2 builds the pack"), "{stderr}");
    landed(&env, &remote, &work);
}

#[test]
fn a_post_receive_hook_speaks_over_http() {
    let env = Env::new();
    let Some((remote, work, _http)) = served_gitops(&env, false, TOKEN) else {
        return;
    };
    hook(
        &remote,
        "post-receive",
        "read old new ref\necho \"deployed $ref by post-receive\" >&2\n",
    );
    env.mlops(&work)
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "remote: deployed refs/heads/main by post-receive",
        ));
    assert_eq!(env.subjects(&remote, "main")[0], SUBJECT);
}

#[test]
fn a_refusing_pre_receive_hook_over_https_is_exit_4_with_its_words() {
    let env = Env::new();
    let Some((remote, work, https)) = served_gitops(&env, true, TOKEN) else {
        return;
    };
    hook(
        &remote,
        "pre-receive",
        "cat >/dev/null\necho 'main is frozen until Monday' >&2\nexit 1\n",
    );
    let before = env.git(&remote, &["rev-parse", "main"]);
    let head = env.git(&work, &["rev-parse", "HEAD"]);
    env.mlops(&work)
        .env("SSL_CERT_FILE", https.ca.as_deref().unwrap())
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("--verbose autoscale enable --env test jukebox --yes"))
        .assert()
        .code(4)
        .stderr(predicate::str::contains("mlops's own smart-HTTP client"))
        .stderr(predicate::str::contains(
            "remote: main is frozen until Monday",
        ))
        .stderr(predicate::str::contains("the remote refused"))
        .stderr(predicate::str::contains("your checkout is unchanged"))
        .stderr(predicate::str::contains(TOKEN).not());
    assert_eq!(env.git(&remote, &["rev-parse", "main"]), before);
    assert_eq!(env.git(&work, &["rev-parse", "HEAD"]), head);
    assert_eq!(env.status(&work), "");
}

#[test]
fn a_push_between_listing_and_push_over_http_is_retried_on_the_new_tip() {
    let env = Env::new();
    let Some((remote, work, _http)) = served_gitops(&env, false, TOKEN) else {
        return;
    };
    // Someone else's commit on a side branch of the remote...
    let other = env.clone_of(&remote, "other");
    fs::write(
        config(&other, "test", "jukebox-ui"),
        "---\nautoscaling: true\n",
    )
    .unwrap();
    env.git(&other, &["commit", "-qam", "Elsewhere"]);
    env.git(&other, &["push", "-q", "origin", "HEAD:refs/heads/other"]);
    // ...lands on main after mlops listed it, just before its first push
    // moves the ref: the ref update fails, mlops lists, rebuilds, retries.
    race_main_once(&env, &remote);
    let out = env
        .mlops(&work)
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("--verbose autoscale enable --env test jukebox --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains("after 2 attempts"))
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("mlops's own smart-HTTP client").count(),
        2,
        "both attempts over the own client:\n{stderr}"
    );
    assert_eq!(
        env.subjects(&remote, "main"),
        [SUBJECT, "Elsewhere", "Initial mlops-gitops layout"]
    );
    env.git(&remote, &["fsck", "--strict", "--no-dangling"]);
    assert_eq!(
        env.git(&work, &["rev-parse", "HEAD"]),
        env.git(&remote, &["rev-parse", "main"])
    );
}

#[test]
fn a_wrong_token_over_https_is_refused_once_without_the_secret() {
    let env = Env::new();
    let Some((remote, work, https)) = served_gitops(&env, true, TOKEN) else {
        return;
    };
    let wrong = "wr0ng-ownhttp-t0ken";
    let before = env.git(&remote, &["rev-parse", "main"]);
    https.clear_requests();
    let out = env
        .mlops(&work)
        .env("SSL_CERT_FILE", https.ca.as_deref().unwrap())
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", wrong)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .code(4)
        .stderr(predicate::str::contains("authentication"))
        .stderr(predicate::str::contains("MLOPS_GIT_TOKEN"))
        .get_output()
        .clone();
    let all = all_output(&out);
    assert!(!all.contains(wrong), "{all}");
    // The token went with the first request; refused, nothing else is
    // tried (the contract's order), so no second request.
    let requests = https.requests();
    assert_eq!(requests.len(), 1, "{}", shown(&requests));
    assert!(requests[0].authorization && requests[0].status == 401);
    assert_eq!(env.git(&remote, &["rev-parse", "main"]), before);
}
