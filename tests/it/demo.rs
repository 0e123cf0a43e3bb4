//! `mlops demo`: the README's first command runs the whole job on its own.

use predicates::prelude::*;

use crate::common::Env;

#[test]
fn the_demo_edits_commits_and_pushes_to_its_own_remote_and_leaves_nothing() {
    let env = Env::new();
    let tmp = env.tmp();
    env.mlops(env.path())
        .arg("demo")
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
        ));
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "the demo folder is removed"
    );
}
