//! Pushing through real servers: smart HTTP with basic auth (token from
//! the environment, or from a credential helper) and SSH with key auth and
//! host key checks; a remote that moves during the push; a remote that
//! refuses.

use std::fs;
use std::path::{Path, PathBuf};

use predicates::prelude::*;
use pretty_assertions::assert_eq;

use crate::clone::make_executable;
use crate::common::{all_output, config, hook, race_main_once, words, Env};
use crate::servers::{keygen, Http, Sshd};

const TOKEN: &str = "s3cret-t0ken-value";

/// A gitops remote served over HTTP, and a checkout cloned over HTTP.
fn http_checkout(env: &Env) -> Option<(PathBuf, PathBuf, Http)> {
    let (remote, _) = env.gitops(|_| {});
    env.git(&remote, &["config", "http.receivepack", "true"]);
    let http = Http::start(env.path(), env.path(), "bot", TOKEN)?;
    let work = env.path().join("http-work");
    let authed = http
        .url("remote.git")
        .replace("http://", &format!("http://bot:{TOKEN}@"));
    env.git(
        env.path(),
        &["clone", "-q", &authed, work.to_str().unwrap()],
    );
    // The checkout's remote URL carries no secret.
    env.git(
        &work,
        &["remote", "set-url", "origin", &http.url("remote.git")],
    );
    Some((remote, work, http))
}

fn tip(env: &Env, repo: &Path) -> String {
    env.git(repo, &["rev-parse", "main"]).trim().to_string()
}

#[test]
fn an_http_token_from_the_environment_works() {
    let env = Env::new();
    let Some((remote, work, _http)) = http_checkout(&env) else {
        return;
    };
    env.mlops(&work)
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains(TOKEN).not());
    assert_eq!(
        tip(&env, &remote),
        env.git(&work, &["rev-parse", "HEAD"]).trim()
    );
}

#[test]
fn a_wrong_token_is_exit_4_without_the_secret() {
    let env = Env::new();
    let Some((remote, work, http)) = http_checkout(&env) else {
        return;
    };
    let before = tip(&env, &remote);
    let wrong = "wr0ng-t0ken-value";
    // Also with the secret in the URL itself: it must not be shown.
    let url = http
        .url("remote.git")
        .replace("http://", &format!("http://bot:{wrong}@"));
    for args in [vec!["-C", work.to_str().unwrap()], vec!["--clone", &url]] {
        let out = env
            .mlops(env.path())
            .env("MLOPS_GIT_USERNAME", "bot")
            .env("MLOPS_GIT_TOKEN", wrong)
            .args(words("autoscale enable --env test jukebox --yes"))
            .args(&args)
            .assert()
            .code(4)
            .stderr(predicate::str::contains("authentication"))
            .stderr(predicate::str::contains("MLOPS_GIT_TOKEN"))
            .get_output()
            .clone();
        let all = all_output(&out);
        assert!(!all.contains(wrong), "secret in the output: {all}");
        assert!(!all.contains(TOKEN), "secret in the output: {all}");
    }
    assert_eq!(tip(&env, &remote), before, "the remote is unchanged");
    assert_eq!(env.status(&work), "");
}

#[test]
fn the_store_credential_helper_works_without_an_env_token() {
    let env = Env::new();
    let Some((remote, work, http)) = http_checkout(&env) else {
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
    env.mlops(&work)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains(TOKEN).not());
    assert_eq!(
        tip(&env, &remote),
        env.git(&work, &["rev-parse", "HEAD"]).trim()
    );
}

#[test]
fn a_push_rejected_because_another_clone_pushed_first_is_retried() {
    let env = Env::new();
    let Some((remote, work, _http)) = http_checkout(&env) else {
        return;
    };
    // Another clone's change, waiting on a side branch of the remote...
    let other = env.clone_of(&remote, "other");
    fs::write(
        config(&other, "test", "jukebox-ui"),
        "---\nautoscaling: true\n",
    )
    .unwrap();
    env.git(
        &other,
        &[
            "commit",
            "-qam",
            "Enable autoscaling for jukebox-ui in test",
        ],
    );
    env.git(&other, &["push", "-q", "origin", "HEAD:refs/heads/other"]);
    // ...lands on main just before our first push updates it.
    race_main_once(&env, &remote);
    env.mlops(&work)
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains("after 2 attempts"));
    assert_eq!(
        env.subjects(&remote, "main"),
        [
            "Enable autoscaling for jukebox in test",
            "Enable autoscaling for jukebox-ui in test",
            "Initial mlops-gitops layout"
        ]
    );
    assert_eq!(env.status(&work), "");
    assert_eq!(
        env.git(&work, &["rev-parse", "HEAD"]).trim(),
        tip(&env, &remote)
    );
}

#[test]
fn a_remote_that_refuses_is_exit_4_with_its_message() {
    let env = Env::new();
    let Some((remote, work, _http)) = http_checkout(&env) else {
        return;
    };
    hook(&remote, "pre-receive", "cat >/dev/null\necho 'main is protected: open a pull request at https://forge.example/pulls' >&2\nexit 1\n");
    let before = tip(&env, &remote);
    let head = env.git(&work, &["rev-parse", "HEAD"]);
    env.mlops(&work)
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "remote: main is protected: open a pull request at https://forge.example/pulls",
        ))
        .stderr(predicate::str::contains("the remote refused"))
        .stderr(predicate::str::contains("your checkout is unchanged"));
    assert_eq!(tip(&env, &remote), before);
    assert_eq!(env.git(&work, &["rev-parse", "HEAD"]), head);
    assert_eq!(env.status(&work), "");
}

/// sshd serving the gitops remote, a client key in a file, and whether
/// known_hosts should trust the server.
pub(crate) fn ssh_setup(env: &Env, trust: bool) -> Option<(PathBuf, PathBuf, Sshd)> {
    ssh_setup_with(env, trust, "")
}

/// [`ssh_setup`] with `sshd_config` lines added to the server's config.
pub(crate) fn ssh_setup_with(
    env: &Env,
    trust: bool,
    sshd_config: &str,
) -> Option<(PathBuf, PathBuf, Sshd)> {
    let (remote, _) = env.gitops(|_| {});
    let key = env.path().join("client_key");
    let public = keygen(&key);
    let sshd = Sshd::start_with(env.path(), &public, sshd_config)?;
    let ssh_dir = env.home().join(".ssh");
    fs::create_dir_all(&ssh_dir).unwrap();
    if trust {
        fs::write(ssh_dir.join("known_hosts"), sshd.known_hosts_line()).unwrap();
    }
    Some((remote, key, sshd))
}

#[test]
fn an_ssh_key_works() {
    let env = Env::new();
    let Some((remote, key, sshd)) = ssh_setup(&env, true) else {
        return;
    };
    env.mlops(env.path())
        .env("MLOPS_SSH_KEY", &key)
        .args(words("autoscale enable --env test jukebox --yes"))
        .args(["--clone", &sshd.url(&remote)])
        .assert()
        .success();
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Enable autoscaling for jukebox in test"
    );
    // Without MLOPS_SSH_KEY (and no agent): the default key file.
    fs::copy(&key, env.home().join(".ssh/id_ed25519")).unwrap();
    env.mlops(env.path())
        .args(words("autoscale disable --env test jukebox --yes"))
        .args(["--clone", &sshd.url(&remote)])
        .assert()
        .success();
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Disable autoscaling for jukebox in test"
    );
}

#[test]
fn a_changed_ssh_host_key_is_refused() {
    let env = Env::new();
    let Some((remote, key, sshd)) = ssh_setup(&env, false) else {
        return;
    };
    let impostor = keygen(&env.path().join("other_host_key"));
    let public = fs::read_to_string(impostor).unwrap();
    let public: Vec<&str> = public.split_whitespace().take(2).collect();
    fs::write(
        env.home().join(".ssh/known_hosts"),
        format!("[127.0.0.1]:{} {}\n", sshd.port, public.join(" ")),
    )
    .unwrap();
    env.mlops(env.path())
        .env("MLOPS_SSH_KEY", &key)
        .args(words("autoscale enable --env test jukebox --yes"))
        .args(["--clone", &sshd.url(&remote)])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("does not match the key recorded"))
        .stderr(predicate::str::contains("ssh-keygen -R"));
}

#[test]
fn an_unknown_ssh_host_key_is_refused_with_its_fingerprint() {
    let env = Env::new();
    let Some((remote, key, sshd)) = ssh_setup(&env, false) else {
        return;
    };
    let before = tip(&env, &remote);
    let out = env
        .mlops(env.path())
        .env("MLOPS_SSH_KEY", &key)
        .args(words("autoscale enable --env test jukebox --yes"))
        .args(["--clone", &sshd.url(&remote)])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("is not in ~/.ssh/known_hosts"))
        .stderr(predicate::str::contains("SHA256:"))
        .stderr(predicate::str::contains(format!(
            "ssh-keyscan -p {}",
            sshd.port
        )))
        .get_output()
        .clone();
    // The fingerprint shown is the server's.
    let fingerprint = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(env.path().join("sshd/host_key.pub"))
        .output()
        .unwrap();
    let fingerprint = String::from_utf8_lossy(&fingerprint.stdout);
    let sha = fingerprint.split_whitespace().nth(1).unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains(sha));
    assert_eq!(tip(&env, &remote), before);
}

#[test]
fn a_kill_during_the_push_leaves_the_checkout_consistent() {
    let env = Env::new();
    let Some((remote, work, _http)) = http_checkout(&env) else {
        return;
    };
    fs::write(work.join("scratch.txt"), "mine\n").unwrap();
    let marker = env.path().join("push-started");
    let hook = remote.join("hooks/pre-receive");
    fs::write(
        &hook,
        format!(
            "#!/bin/sh\ncat >/dev/null\ntouch '{}'\nsleep 4\n",
            marker.display()
        ),
    )
    .unwrap();
    make_executable(&hook);
    let head = env.git(&work, &["rev-parse", "HEAD"]);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mlops"));
    env.apply(&mut cmd);
    let mut child = cmd
        .current_dir(&work)
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("autoscale enable --env test jukebox --yes"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !marker.exists() {
        assert!(start.elapsed().as_secs() < 20, "the push never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The shell builtin: no procps needed.
    std::process::Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    assert!(!child.wait().unwrap().success());
    // Killed before the push finished: the checkout is exactly as before.
    assert_eq!(env.git(&work, &["rev-parse", "HEAD"]), head);
    assert_eq!(env.status(&work), "?? scratch.txt\n");
    // Running again finishes the job, whatever the remote got.
    fs::remove_file(&hook).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(5));
    env.mlops(&work)
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", TOKEN)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success();
    let shown = env.git(
        &remote,
        &["show", "main:model-deployments/test/jukebox/config.yaml"],
    );
    assert!(shown.contains("autoscaling: true"));
    env.git(&remote, &["fsck"]);
}
