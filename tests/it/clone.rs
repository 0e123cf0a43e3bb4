//! `--clone URL`: a temporary bare clone, nothing left on disk, safe to run
//! many times at once.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;
use pretty_assertions::assert_eq;

use crate::common::{config, leftovers, words, Env};
use crate::servers::Http;

#[test]
fn clone_mode_pushes_to_the_default_branch_and_leaves_nothing() {
    let env = Env::new();
    let (remote, _) = env.gitops(|_| {});
    let tmp = env.tmp();
    env.mlops(env.path())
        .args(words("autoscale enable --env test jukebox --yes"))
        .args(["--clone", remote.to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::contains("to origin/main"));
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Enable autoscaling for jukebox in test"
    );
    assert_eq!(leftovers(&tmp), Vec::<String>::new());
    // The temporary clone read the remote's objects in place; the remote
    // holds every object of the pushed commit itself.
    env.git(&remote, &["fsck", "--strict", "--no-dangling"]);
    assert!(!remote.join("objects/info/alternates").exists());
    // A failure (an unknown model) leaves nothing either.
    env.mlops(env.path())
        .args(words("autoscale enable --env test nope --yes"))
        .args(["--clone", remote.to_str().unwrap()])
        .assert()
        .code(3);
    assert_eq!(leftovers(&tmp), Vec::<String>::new());
}

/// A gitops remote with eight models in test, served over HTTP.
fn eight_models(env: &Env) -> Option<(PathBuf, Http)> {
    let (remote, _) = env.gitops(|seed| {
        for i in 1..=8 {
            let dir = config(seed, "test", &format!("model{i}"));
            fs::create_dir_all(dir.parent().unwrap()).unwrap();
            fs::write(dir, "---\nname: x\n").unwrap();
        }
    });
    env.git(&remote, &["config", "http.receivepack", "true"]);
    let http = Http::start(env.path(), env.path(), "bot", "t0ken-secret")?;
    Some((remote, http))
}

#[test]
fn eight_concurrent_clone_runs_all_land_with_linear_history() {
    let env = Env::new();
    let Some((remote, http)) = eight_models(&env) else {
        return;
    };
    let url = http.url("remote.git");
    let children: Vec<_> = (1..=8)
        .map(|i| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_mlops"));
            env.apply(&mut cmd);
            cmd.current_dir(env.path())
                .env("MLOPS_GIT_USERNAME", "bot")
                .env("MLOPS_GIT_TOKEN", "t0ken-secret")
                .args([
                    "autoscale",
                    "enable",
                    "--env",
                    "test",
                    &format!("model{i}"),
                    "--yes",
                ])
                .args(["--clone", &url, "--retries", "30"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let subjects = env.subjects(&remote, "main");
    assert_eq!(subjects.len(), 9, "{subjects:?}");
    for i in 1..=8 {
        assert!(subjects.contains(&format!("Enable autoscaling for model{i} in test")));
        let shown = env.git(
            &remote,
            &[
                "show",
                &format!("main:model-deployments/test/model{i}/config.yaml"),
            ],
        );
        assert!(shown.contains("autoscaling: true"), "model{i}: {shown}");
    }
    assert_eq!(
        env.git(&remote, &["rev-list", "--merges", "main"]),
        "",
        "linear"
    );
    env.git(&remote, &["fsck", "--strict"]);
}

#[test]
fn a_kill_during_the_push_leaves_no_temporary_clone() {
    let env = Env::new();
    let Some((remote, http)) = eight_models(&env) else {
        return;
    };
    let marker = env.path().join("push-started");
    let hook = remote.join("hooks/pre-receive");
    fs::write(
        &hook,
        format!(
            "#!/bin/sh\ncat >/dev/null\ntouch '{}'\nsleep 5\n",
            marker.display()
        ),
    )
    .unwrap();
    make_executable(&hook);
    let tip = env.git(&remote, &["rev-parse", "main"]);
    let tmp = env.tmp();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mlops"));
    env.apply(&mut cmd);
    let child = cmd
        .current_dir(env.path())
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", "t0ken-secret")
        .args(words("autoscale enable --env test model1 --yes"))
        .args(["--clone", &http.url("remote.git")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !marker.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the push never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !leftovers(&tmp).is_empty(),
        "the clone exists during the push"
    );
    // The shell builtin: no procps needed.
    Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(leftovers(&tmp), Vec::<String>::new());
    // The remote is either as before or has the whole change.
    std::thread::sleep(Duration::from_secs(6));
    let now = env.git(&remote, &["rev-parse", "main"]);
    if now != tip {
        assert_eq!(
            env.subjects(&remote, "main")[0],
            "Enable autoscaling for model1 in test"
        );
    }
    env.git(&remote, &["fsck"]);
}

pub fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn url_instead_of_from_git_config_is_honoured() {
    let env = Env::new();
    let (remote, _) = env.gitops(|_| {});
    let base = format!("{}/", env.path().display());
    env.git(
        env.path(),
        &[
            "config",
            "--global",
            &format!("url.{base}.insteadOf"),
            "gitops:",
        ],
    );
    env.mlops(env.path())
        .args(words("autoscale enable --env test jukebox --yes"))
        .args(["--clone", "gitops:remote.git"])
        .assert()
        .success();
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Enable autoscaling for jukebox in test"
    );
}

#[test]
fn no_push_with_clone_is_a_usage_error_that_points_to_dry_run() {
    let env = Env::new();
    let (remote, _) = env.gitops(|_| {});
    let before = env.subjects(&remote, "main");
    env.mlops(env.path())
        .args(words("autoscale enable --env test jukebox --no-push --yes"))
        .args(["--clone", remote.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--dry-run"));
    assert_eq!(env.subjects(&remote, "main"), before);
}
