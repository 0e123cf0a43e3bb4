//! Git's lock files held by someone else (code-server's git extension
//! holds `.git/index.lock` often): mlops waits briefly, and when the lock
//! stays it stops before anything reaches the remote, names the lock file
//! and leaves the checkout as it was. After a push, a checkout that cannot
//! follow is left merely behind, and the next run brings it along.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pretty_assertions::assert_eq;

use super::{colleague_pushes, nothing, sides, snapshot, text, ENABLE};
use crate::common::{words, Env};

fn tip(env: &Env, remote: &Path) -> String {
    env.git(remote, &["rev-parse", "main"])
}

/// `mlops autoscale enable` started in `dir`, its stderr captured.
fn spawn_enable(env: &Env, dir: &Path) -> Child {
    let mut cmd = Command::new(super::MLOPS);
    cmd.args(words(ENABLE))
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    env.apply(&mut cmd);
    cmd.spawn().unwrap()
}

/// With `lock` (relative to the clone's `.git`) held by someone else, the
/// run exits 4 naming it, nothing is pushed and the checkout is as it
/// was; once it is gone, the same command works.
fn held(lock: &str, args: &str) {
    let env = Env::new();
    let s = sides(&env, &nothing);
    colleague_pushes(&env, &s.colleague, &|dir| {
        fs::write(dir.join("scripts/lint.sh"), "#!/bin/sh\nyamllint -s .\n").unwrap();
    });
    let lock = s.mlops.join(".git").join(lock);
    fs::write(&lock, "").unwrap();
    let remote_before = tip(&env, &s.remote);
    let before = snapshot(&env, &s.mlops);
    let out = env.mlops(&s.mlops).args(words(args)).output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains(&lock.display().to_string()), "{stderr}");
    assert!(stderr.contains("another git command"), "{stderr}");
    assert!(stderr.contains("remove"), "{stderr}");
    assert!(!stderr.contains("class="), "{stderr}");
    assert_eq!(tip(&env, &s.remote), remote_before, "nothing pushed");
    assert_eq!(snapshot(&env, &s.mlops), before, "checkout as it was");
    assert!(lock.exists(), "someone else's lock is not removed");
    fs::remove_file(&lock).unwrap();
    env.mlops(&s.mlops).args(words(args)).assert().success();
    assert_eq!(env.status(&s.mlops), "");
}

#[test]
fn checkout_a_held_index_lock_stops_the_push_and_names_the_lock() {
    held("index.lock", ENABLE);
}

#[test]
fn checkout_a_held_branch_lock_stops_the_push_and_names_the_lock() {
    held("refs/heads/main.lock", ENABLE);
}

#[test]
fn checkout_a_held_index_lock_stops_a_local_commit() {
    held(
        "index.lock",
        "autoscale enable --env test jukebox-ui --no-push --yes",
    );
}

#[test]
fn checkout_a_lock_released_within_the_wait_is_waited_for() {
    let env = Env::new();
    let s = sides(&env, &nothing);
    let lock = s.mlops.join(".git/index.lock");
    fs::write(&lock, "").unwrap();
    let child = spawn_enable(&env, &s.mlops);
    std::thread::sleep(Duration::from_millis(600));
    fs::remove_file(&lock).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        env.git(&s.mlops, &["rev-parse", "HEAD"]),
        tip(&env, &s.remote)
    );
    assert_eq!(env.status(&s.mlops), "");
}

/// Interrupted while it holds `index.lock` (here: waiting for the branch
/// lock someone else holds), mlops removes its own lock, not theirs.
#[test]
fn checkout_an_interrupted_run_leaves_no_lock_of_its_own() {
    let env = Env::new();
    let s = sides(&env, &nothing);
    let theirs = s.mlops.join(".git/refs/heads/main.lock");
    fs::write(&theirs, "").unwrap();
    let child = spawn_enable(&env, &s.mlops);
    let ours = s.mlops.join(".git/index.lock");
    for _ in 0..100 {
        if ours.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(ours.exists(), "mlops holds the index lock while it waits");
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(!ours.exists(), "its own lock is removed");
    assert!(theirs.exists(), "someone else's lock is not");
}

#[test]
fn checkout_a_held_lock_leaves_a_catch_up_for_later() {
    let env = Env::new();
    let s = sides(&env, &nothing);
    env.mlops(&s.colleague)
        .args(words(ENABLE))
        .assert()
        .success();
    let lock = s.mlops.join(".git/index.lock");
    fs::write(&lock, "").unwrap();
    let before = snapshot(&env, &s.mlops);
    let out = env.mlops(&s.mlops).args(words(ENABLE)).output().unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(&lock.display().to_string()), "{stderr}");
    assert_eq!(snapshot(&env, &s.mlops), before);
}

/// Sets the immutable attribute on `dir` until dropped (root ignores
/// permission bits, not this).
struct Immutable<'p>(&'p Path);

impl<'p> Immutable<'p> {
    fn set(dir: &'p Path) -> Option<Immutable<'p>> {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: chattr +i is not available here");
        }
        ok.then_some(Immutable(dir))
    }
}

impl Drop for Immutable<'_> {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(self.0).status();
    }
}

/// A folder the checkout cannot write into (found only while writing,
/// after the push): the push stands, the checkout is left as it was
/// (behind, consistent) with a warning and exit 0, and the next run
/// brings it along exactly as git would.
#[test]
fn checkout_that_cannot_follow_a_push_is_left_behind_and_caught_up_later() {
    let env = Env::new();
    let s = sides(&env, &nothing);
    colleague_pushes(&env, &s.colleague, &|dir| {
        fs::write(dir.join("charts/values/common.yaml"), "replicas: 2\n").unwrap();
        fs::write(dir.join("scripts/check.sh"), "#!/bin/sh\n").unwrap();
    });
    let before = snapshot(&env, &s.mlops);
    let scripts = s.mlops.join("scripts");
    let out = {
        let Some(_frozen) = Immutable::set(&scripts) else {
            return;
        };
        env.mlops(&s.mlops).args(words(ENABLE)).output().unwrap()
    };
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("your checkout is behind"), "{stderr}");
    assert!(stderr.contains("git pull --ff-only"), "{stderr}");
    assert_eq!(snapshot(&env, &s.mlops), before, "left as it was");
    let pushed = tip(&env, &s.remote);
    assert_ne!(env.git(&s.mlops, &["rev-parse", "HEAD"]), pushed);
    env.mlops(&s.mlops)
        .args(words(ENABLE))
        .assert()
        .success()
        .stderr(predicates::str::contains("Brought the checkout up"));
    env.git(&s.git, &["pull", "-q", "--ff-only"]);
    assert_eq!(snapshot(&env, &s.git), snapshot(&env, &s.mlops));
}
