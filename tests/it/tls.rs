//! HTTPS through a real server (lighttpd with mod_openssl, a certificate
//! for 127.0.0.1 signed by a test CA): the certificate is verified against
//! the CAs the user names in `SSL_CERT_FILE` or `SSL_CERT_DIR` (by
//! mlops's TLS stream for libgit2 and its own push client, src/git/tls/),
//! an untrusted one, or one for another name, is refused with OpenSSL's
//! reason and without leaking the token, and child processes (credential
//! helpers) see the user's own `SSL_CERT_FILE`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::Command as Cmd;
use predicates::prelude::*;
use pretty_assertions::assert_eq;

use crate::clone::make_executable;
use crate::common::{all_output, words, Env};
use crate::servers::Http;

const TOKEN: &str = "s3cret-tls-t0ken";
const SUBJECT: &str = "Enable autoscaling for jukebox in test";

/// A gitops remote served over HTTPS.
fn https_remote(env: &Env) -> Option<(PathBuf, Http)> {
    let (remote, _) = env.gitops(|_| {});
    env.git(&remote, &["config", "http.receivepack", "true"]);
    let https = Http::start_tls(env.path(), env.path(), "bot", TOKEN)?;
    Some((remote, https))
}

/// `mlops` in `dir` with the outer environment's CA settings removed;
/// the caller adds the ones the test is about.
fn mlops(env: &Env, dir: &Path) -> Cmd {
    let mut cmd = env.mlops(dir);
    cmd.env_remove("SSL_CERT_FILE").env_remove("SSL_CERT_DIR");
    cmd
}

fn ca(https: &Http) -> &Path {
    https.ca.as_deref().unwrap()
}

fn tip(env: &Env, repo: &Path) -> String {
    env.git(repo, &["rev-parse", "main"]).trim().to_string()
}

/// A folder holding the test CA under its subject-hash name, as
/// `SSL_CERT_DIR` wants it (`openssl rehash`).
fn hashed_ca_dir(env: &Env, https: &Http) -> PathBuf {
    let dir = env.path().join("ca-dir");
    fs::create_dir_all(&dir).unwrap();
    fs::copy(ca(https), dir.join("test-ca.pem")).unwrap();
    let status = Command::new("openssl")
        .arg("rehash")
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

#[test]
fn clone_mode_over_https_with_the_test_ca_in_ssl_cert_file_pushes() {
    let env = Env::new();
    let Some((remote, https)) = https_remote(&env) else {
        return;
    };
    let out = mlops(&env, env.path())
        .env("SSL_CERT_FILE", ca(&https))
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("autoscale enable --env test jukebox --yes"))
        .args(["--clone", &https.url("remote.git")])
        .assert()
        .success()
        .stderr(predicate::str::contains("to origin/main"))
        .get_output()
        .clone();
    assert!(!all_output(&out).contains(TOKEN));
    assert_eq!(env.subjects(&remote, "main")[0], SUBJECT);
    env.git(&remote, &["fsck"]);
}

/// `--clone URL` with a token (and `SSL_CERT_FILE` when given): exit 4
/// naming `reason` and the `http.sslCAInfo` hint, the token nowhere.
fn refused_clone(env: &Env, url: &str, cert_file: Option<&Path>, reason: &str) {
    let mut cmd = mlops(env, env.path());
    if let Some(file) = cert_file {
        cmd.env("SSL_CERT_FILE", file);
    }
    let out = cmd
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("autoscale enable --env test jukebox --yes"))
        .args(["--clone", url])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(reason))
        .stderr(predicate::str::contains("http.sslCAInfo"))
        .get_output()
        .clone();
    let all = all_output(&out);
    assert!(!all.contains(TOKEN), "secret in the output: {all}");
}

#[test]
fn an_untrusted_certificate_is_exit_4_without_the_secret() {
    let env = Env::new();
    let Some((remote, https)) = https_remote(&env) else {
        return;
    };
    let before = tip(&env, &remote);
    // No SSL_CERT_FILE (the system's CAs), then the system bundle named
    // explicitly (where the distribution has one): neither trusts the
    // test CA.
    let mut cases: Vec<Option<&str>> = vec![None];
    let system = "/etc/ssl/certs/ca-certificates.crt";
    if Path::new(system).exists() {
        cases.push(Some(system));
    }
    for cert_file in cases {
        refused_clone(
            &env,
            &https.url("remote.git"),
            cert_file.map(Path::new),
            "the TLS certificate of 127.0.0.1 is invalid: unable to get local issuer certificate",
        );
    }
    assert_eq!(tip(&env, &remote), before, "the remote is unchanged");
}

#[test]
fn a_certificate_for_another_name_is_refused_with_the_reason() {
    let env = Env::new();
    let Some((remote, https)) = https_remote(&env) else {
        return;
    };
    let before = tip(&env, &remote);
    // The CA is trusted, but the certificate is for 127.0.0.1 only:
    // `localhost` reaches the same server under a name it does not have.
    let url = https.url("remote.git").replace("127.0.0.1", "localhost");
    refused_clone(
        &env,
        &url,
        Some(ca(&https)),
        "the TLS certificate of localhost is invalid: hostname mismatch",
    );
    assert_eq!(tip(&env, &remote), before, "the remote is unchanged");
}

#[test]
fn a_checkout_cloned_over_https_pushes_to_its_origin() {
    let env = Env::new();
    let Some((remote, https)) = https_remote(&env) else {
        return;
    };
    let work = env.path().join("https-work");
    let ca_info = format!("http.sslCAInfo={}", ca(&https).display());
    let authed = https
        .url("remote.git")
        .replace("https://", &format!("https://bot:{TOKEN}@"));
    env.git(
        env.path(),
        &[
            "-c",
            &ca_info,
            "clone",
            "-q",
            &authed,
            work.to_str().unwrap(),
        ],
    );
    // The checkout's remote URL carries no secret.
    env.git(
        &work,
        &["remote", "set-url", "origin", &https.url("remote.git")],
    );
    let out = mlops(&env, &work)
        .env("SSL_CERT_FILE", ca(&https))
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(!all_output(&out).contains(TOKEN));
    assert_eq!(
        tip(&env, &remote),
        env.git(&work, &["rev-parse", "HEAD"]).trim()
    );
    assert_eq!(env.subjects(&remote, "main")[0], SUBJECT);
    assert_eq!(env.status(&work), "");
}

#[test]
fn the_test_ca_in_ssl_cert_dir_is_trusted_too() {
    let env = Env::new();
    let Some((remote, https)) = https_remote(&env) else {
        return;
    };
    let dir = hashed_ca_dir(&env, &https);
    mlops(&env, env.path())
        .env("SSL_CERT_DIR", &dir)
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("autoscale enable --env test jukebox --yes"))
        .args(["--clone", &https.url("remote.git")])
        .assert()
        .success();
    assert_eq!(env.subjects(&remote, "main")[0], SUBJECT);
}

/// A credential helper that records the CA variables it was started with
/// (`unset` when absent), one pair of lines per call, and answers with the
/// test credentials.
fn recording_helper(env: &Env) -> PathBuf {
    let helper = env.path().join("record-helper");
    let seen = env.path().join("helper-saw");
    fs::write(
        &helper,
        format!(
            "#!/bin/sh\ncase \"$1\" in get)\n  printf 'SSL_CERT_FILE=%s\\nSSL_CERT_DIR=%s\\n' \"${{SSL_CERT_FILE-unset}}\" \"${{SSL_CERT_DIR-unset}}\" >> '{seen}'\n  echo username=bot\n  echo password={TOKEN}\n;; esac\n",
            seen = seen.display()
        ),
    )
    .unwrap();
    make_executable(&helper);
    env.git(
        env.path(),
        &[
            "config",
            "--global",
            "credential.helper",
            helper.to_str().unwrap(),
        ],
    );
    seen
}

#[test]
fn a_credential_helper_sees_the_users_own_ssl_cert_file() {
    let env = Env::new();
    let Some((remote, https)) = https_remote(&env) else {
        return;
    };
    let seen = recording_helper(&env);
    // SSL_CERT_FILE set: the helper sees that value (nothing in mlops
    // changes it, git2's initialisation included).
    mlops(&env, env.path())
        .env("SSL_CERT_FILE", ca(&https))
        .args(words("autoscale enable --env test jukebox --yes"))
        .args(["--clone", &https.url("remote.git")])
        .assert()
        .success();
    assert_eq!(env.subjects(&remote, "main")[0], SUBJECT);
    assert_every_call_saw(
        &seen,
        &format!(
            "SSL_CERT_FILE={}\nSSL_CERT_DIR=unset\n",
            ca(&https).display()
        ),
    );
    // SSL_CERT_FILE unset (the CA comes from SSL_CERT_DIR): the helper
    // sees it unset, and SSL_CERT_DIR as given.
    let dir = hashed_ca_dir(&env, &https);
    mlops(&env, env.path())
        .env("SSL_CERT_DIR", &dir)
        .args(words("autoscale disable --env test jukebox --yes"))
        .args(["--clone", &https.url("remote.git")])
        .assert()
        .success();
    assert_every_call_saw(
        &seen,
        &format!("SSL_CERT_FILE=unset\nSSL_CERT_DIR={}\n", dir.display()),
    );
}

/// The helper was asked once in the run (its answer is reused for the
/// fetch and the push), and saw `expected`.
fn assert_every_call_saw(seen: &Path, expected: &str) {
    let text = fs::read_to_string(seen).unwrap();
    assert_eq!(text, expected, "one call, with the user's own values");
    let _ = fs::remove_file(seen);
}
