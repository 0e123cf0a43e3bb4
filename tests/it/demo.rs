//! `mlops demo`: the README's first command runs the whole job on its own.

use predicates::prelude::*;

use crate::common::Env;

#[test]
fn the_demo_edits_commits_and_pushes_to_its_own_remote_and_leaves_nothing() {
    let env = Env::new();
    let tmp = env.tmp();
    // Without the real servers the demo says what closing the loop needs.
    env.mlops(env.path())
        .arg("demo")
        .env("MLOPS_TEST_SERVERS", env.path().join("no-servers"))
        .assert()
        .success()
        .stdout(predicate::str::contains("+autoscaling: true"))
        .stdout(predicate::str::contains("+keda: true"))
        .stdout(predicate::str::contains("+version: 7f3e9a1b2c #"))
        .stdout(
            predicate::str::is_match(r"test\s+jukebox\s+keda\s+true\s+true\s+7f3e9a1b2c").unwrap(),
        )
        .stdout(predicate::str::contains(
            "    version: 4562a17c17 -> 7f3e9a1b2c",
        ))
        .stdout(predicate::str::contains("    autoscaler: hpa -> keda"))
        .stderr(predicate::str::contains("Pushed "))
        .stderr(predicate::str::contains("Argo CD application jukebox-test"))
        .stderr(predicate::str::contains("main is now at"))
        .stderr(predicate::str::contains(
            "Set version=7f3e9a1b2c for jukebox in test",
        ))
        .stderr(predicate::str::contains(
            "is shown when the real servers are there; missing:",
        ))
        .stderr(predicate::str::contains(
            "scripts/test-servers.sh gitea builds it",
        ));
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "the demo folder is removed"
    );
}

#[test]
fn the_demo_closes_the_loop_on_a_real_gitea_and_kubernetes_api() {
    let env = Env::new();
    let tmp = env.tmp();
    let servers = mlops::testbed::servers_dir();
    let missing = mlops::testbed::missing();
    if !missing.is_empty() {
        crate::skipped::skip(&missing.join(", "));
        return;
    }
    let out = env
        .mlops(env.path())
        .arg("demo")
        .env("MLOPS_TEST_SERVERS", &servers)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for said in [
        "$ mlops autoscale enable --env test jukebox --wait",
        "Asked Argo CD to refresh Argo CD application jukebox-test (namespace argocd)",
        "Deployed: jukebox-test is Synced and Healthy at",
        "$ mlops set --env prod jukebox version=v3 --branch jukebox-v3 --pull-request",
        "Opened pull request #1 from jukebox-v3 into main: http://127.0.0.1:",
        "Gitea's open pull request #1: Set version=v3 for jukebox in prod (jukebox-v3 into main)",
    ] {
        assert!(stderr.contains(said), "no {said:?} in:\n{stderr}");
    }
    // The wait saw the states the stand-in controllers went through.
    assert!(stderr.contains("OutOfSync"), "{stderr}");
    assert!(
        stdout.contains("-keda: true") || stdout.contains("keda: false"),
        "{stdout}"
    );
    // The token lives in the credential store only.
    let token_shown = stderr
        .lines()
        .any(|l| l.contains("root:") && l.contains('@'));
    assert!(!token_shown, "{stderr}");
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "the demo folder is removed"
    );
}
