//! `mlops set` (issue 10): the workshop pipeline's yq step, byte-exact,
//! with the same flow as `autoscale` (diff, confirmation, commit, push).

use std::fs;

use predicates::prelude::*;
use pretty_assertions::assert_eq;

use crate::common::{self, config, fixture_config, words, Env};

const WORKSHOP: &str = "workshop-example.yaml";

/// The workshop step's three keys in the reference config: its comment
/// and `---` kept, every other byte identical, pushed in one commit.
#[test]
fn the_workshop_steps_three_keys_are_set_byte_exactly() {
    let env = Env::new();
    let (remote, work) = env.gitops(|seed| {
        fs::write(config(seed, "test", "jukebox"), fixture_config(WORKSHOP)).unwrap();
    });
    let out = env
        .mlops(&work)
        .args(words(
            "set --env test jukebox version=9c0ffee123 image_repository=quay.io image_namespace=team1-test --yes --output json",
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let old = String::from_utf8(fixture_config(WORKSHOP)).unwrap();
    let expected = old
        .replace("version: 4562a17c17 #", "version: 9c0ffee123 #")
        .replace(
            "image_repository: image-registry.openshift-image-registry.svc:5000",
            "image_repository: quay.io",
        )
        .replace("image_namespace: user1-test", "image_namespace: team1-test");
    let remote_file = env.git(
        &remote,
        &["show", "main:model-deployments/test/jukebox/config.yaml"],
    );
    assert_eq!(remote_file, expected);
    assert_eq!(
        fs::read_to_string(config(&work, "test", "jukebox")).unwrap(),
        expected
    );
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Set version=9c0ffee123 image_repository=quay.io image_namespace=team1-test for jukebox in test"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["pushed"], true);
    assert_eq!(
        doc["changed"][0]["values"]["version"],
        serde_json::json!({"old": "4562a17c17", "new": "9c0ffee123"})
    );
    assert_eq!(doc["applications"], serde_json::json!(["jukebox-test"]));
    // The same again: nothing to change, no commit.
    env.mlops(&work)
        .args(words("set test/jukebox version=9c0ffee123 --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains("Nothing to change"));
    assert_eq!(env.subjects(&remote, "main").len(), 2);
}

/// Values YAML would read as something else are quoted, so the chart
/// reads exactly the string given; git's own view of the file agrees.
#[test]
fn strings_that_look_like_other_types_are_quoted_and_read_back_exactly() {
    let env = Env::new();
    let (_, work) = env.gitops(|seed| {
        fs::write(
            config(seed, "test", "jukebox"),
            "---\nname: jukebox\nversion: v1 # pinned\n",
        )
        .unwrap();
    });
    let values = [
        "0123",
        "1e3",
        "true",
        "no",
        "null",
        "~",
        "12:30",
        "*star",
        "&amp",
        "!bang",
        "@at",
        "`tick",
        "%pct",
        "#hash",
        "- dash",
        "a: b",
        "a #b",
        " lead",
        "trail ",
        "",
        "0x1F",
        "on",
        "2024-01-01",
        "plain-text",
        "it's",
        "say \"hi\"",
    ];
    for value in values {
        env.mlops(&work)
            .args([
                "set",
                "test/jukebox",
                &format!("version={value}"),
                "--no-push",
                "--yes",
            ])
            .assert()
            .success();
        let text = fs::read_to_string(config(&work, "test", "jukebox")).unwrap();
        assert!(
            text.starts_with("---\nname: jukebox\nversion: "),
            "{value:?}: {text}"
        );
        assert!(
            text.ends_with(" # pinned\n"),
            "{value:?}: the comment stays: {text}"
        );
        let data: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(
            data["version"],
            serde_yaml::Value::String(value.to_string()),
            "{value:?} reads back as the string: {text}"
        );
        let (_, rows) = env.status_rows(&work, "--env test");
        assert_eq!(
            common::row(&rows, "test", "jukebox")["version"],
            value,
            "{value:?}: the chart's reading"
        );
    }
}

/// `KEY:=SCALAR` writes a typed value; absent keys are inserted.
#[test]
fn typed_values_and_new_keys() {
    let env = Env::new();
    let work = env.checkout();
    env.mlops(&work)
        .args(words(
            "set test/jukebox keda:=true replicas:=2 note=hello --no-push --yes",
        ))
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(config(&work, "test", "jukebox")).unwrap(),
        "---\nkeda: true\nreplicas: 2\nnote: hello\n"
    );
    let (_, rows) = env.status_rows(&work, "--env test");
    assert_eq!(common::row(&rows, "test", "jukebox")["autoscaler"], "keda");
}

/// What can't be written safely is refused with exit 3 and nothing is
/// written or committed.
#[test]
fn refusals_write_nothing() {
    let env = Env::new();
    let (_, work) = env.gitops(|seed| {
        fs::write(
            config(seed, "test", "jukebox"),
            "base: &b\n  x: 1\nmore: *b\nlist:\n  - a\nblock: |\n  text\n",
        )
        .unwrap();
    });
    let before = fs::read(config(&work, "test", "jukebox")).unwrap();
    for word in [
        "base=x",
        "more=x",
        "list=x",
        "block=x",
        "bad..key=x",
        "k:=[1, 2]",
    ] {
        let out = env
            .mlops(&work)
            .args(["set", "test/jukebox", word, "--no-push", "--yes"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(2 | 3)),
            "{word}: exit {:?}: {stderr}",
            out.status.code()
        );
        assert!(stderr.contains("Hint:"), "{word}: {stderr}");
    }
    assert_eq!(fs::read(config(&work, "test", "jukebox")).unwrap(), before);
    assert_eq!(env.subjects(&work, "HEAD").len(), 1);
    assert_eq!(env.status(&work), "");
    env.mlops(&work)
        .args(words("set test/jukebox version=1 version=2 --yes"))
        .assert()
        .code(2);
    env.mlops(&work)
        .args(words("set test/jukebox --yes"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("KEY=VALUE"));
}

/// prod goes through a pull request: `--branch APP-VERSION` pushes a
/// review branch from main, as the workshop pipeline does.
#[test]
fn prod_goes_to_a_review_branch() {
    let env = Env::new();
    let (remote, _) = env.gitops(|_| {});
    let url = format!("file://{}", remote.display());
    env.mlops(env.path())
        .args(words(
            "set --env prod jukebox version=9c0ffee123 --branch jukebox-9c0ffee123 --yes",
        ))
        .args(["--clone", &url])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Created the branch jukebox-9c0ffee123 from main",
        ));
    assert_eq!(
        env.git(
            &remote,
            &[
                "show",
                "jukebox-9c0ffee123:model-deployments/prod/jukebox/config.yaml"
            ]
        ),
        "---\nversion: 9c0ffee123\n"
    );
    assert_eq!(env.subjects(&remote, "main").len(), 1, "main is untouched");
}
