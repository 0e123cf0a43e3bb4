//! What the chart renders (issue 9): status, enable, disable and picking
//! agree with the chart's template on every combination of `autoscaling`
//! and `keda` spellings. The expected rendering is computed here from the
//! template's rules (`and .Values.autoscaling (not .Values.keda)` for HPA,
//! `.Values.keda` for KEDA) and each spelling's truth for Helm, not by the
//! code under test.

use std::fs;
use std::path::Path;

use predicates::prelude::*;
use pretty_assertions::assert_eq;

use crate::common::{self, config, words, Env};

/// (spelling, truthy for Helm: YAML 1.1 and Go template truthiness, a
/// null value removed); `None` leaves the key out.
const SPELLINGS: &[(Option<&str>, bool)] = &[
    (None, false),
    (Some("true"), true),
    (Some("false"), false),
    (Some("yes"), true),
    (Some("no"), false),
    (Some("on"), true),
    (Some("off"), false),
    (Some("True"), true),
    (Some("\"false\""), true),
    (Some("null"), false),
    (Some(""), false),
];

fn rendered(a: bool, k: bool) -> &'static str {
    match (a, k) {
        (_, true) => "keda",
        (true, false) => "hpa",
        _ => "off",
    }
}

fn text(a: Option<&str>, k: Option<&str>) -> String {
    let mut t = String::from("---\nname: jukebox # the model\n");
    if let Some(a) = a {
        t.push_str(&format!("autoscaling: {a}\n"));
    }
    if let Some(k) = k {
        t.push_str(&format!("keda: {k}\n"));
    }
    t
}

/// A repository with one model per combination, `m-<i>-<j>` in test.
fn combinations(env: &Env) -> std::path::PathBuf {
    env.gitops(|seed| {
        for (i, (a, _)) in SPELLINGS.iter().enumerate() {
            for (j, (k, _)) in SPELLINGS.iter().enumerate() {
                let dir = seed.join(format!("model-deployments/test/m-{i}-{j}"));
                fs::create_dir_all(&dir).unwrap();
                fs::write(dir.join("config.yaml"), text(*a, *k)).unwrap();
            }
        }
    })
    .1
}

fn status(env: &Env, repo: &Path) -> Vec<serde_json::Value> {
    let (code, rows) = env.status_rows(repo, "--env test");
    assert_eq!(code, 0);
    rows
}

/// The row of test/`model`.
fn row<'a>(rows: &'a [serde_json::Value], model: &str) -> &'a serde_json::Value {
    common::row(rows, "test", model)
}

#[test]
fn status_reports_what_the_template_renders_for_every_spelling() {
    let env = Env::new();
    let repo = combinations(&env);
    let rows = status(&env, &repo);
    for (i, (a, a_on)) in SPELLINGS.iter().enumerate() {
        for (j, (k, k_on)) in SPELLINGS.iter().enumerate() {
            let r = row(&rows, &format!("m-{i}-{j}"));
            let what = format!("autoscaling={a:?} keda={k:?}: {r}");
            assert_eq!(r["autoscaler"], rendered(*a_on, *k_on), "{what}");
            let key = |s: Option<&str>, on: bool| match s {
                None => serde_json::Value::Null,
                Some(_) => serde_json::Value::Bool(on),
            };
            assert_eq!(r["autoscaling"], key(*a, *a_on), "{what}");
            assert_eq!(r["keda"], key(*k, *k_on), "{what}");
            let disputed =
            // (and a null value, which Helm drops: the default applies)
                |s: Option<&str>| matches!(s, Some("yes" | "no" | "on" | "off" | "\"false\"" | "null" | ""));
            assert_eq!(
                !r["warning"].is_null(),
                disputed(*a) || disputed(*k),
                "{what}"
            );
        }
    }
}

/// For each command, every file ends up rendering what was asked, and a
/// file that already did is byte for byte as it was.
#[test]
fn enable_and_disable_leave_every_file_rendering_what_was_asked() {
    for (command, want) in [
        ("autoscale enable", "hpa"),
        ("autoscale enable --autoscaler keda", "keda"),
        ("autoscale disable", "off"),
    ] {
        let env = Env::new();
        let repo = combinations(&env);
        let before = status(&env, &repo);
        let out = env
            .mlops(&repo)
            .args(words(command))
            .args(["--env", "test", "--no-push", "--yes", "--output", "json"])
            .args(
                before
                    .iter()
                    .map(|r| r["model"].as_str().unwrap().to_string()),
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let after = status(&env, &repo);
        for r in &after {
            let model = r["model"].as_str().unwrap();
            assert_eq!(r["autoscaler"], want, "{command}: {model}");
            let was = row(&before, model)["autoscaler"] == want;
            let listed_unchanged = report["unchanged"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["model"] == model);
            assert_eq!(was, listed_unchanged, "{command}: {model}");
        }
        // One commit for all of them, holding exactly the changed files.
        assert_eq!(env.subjects(&repo, "HEAD").len(), 2, "{command}");
        let mut changed = env.changed_paths(&repo, "HEAD");
        changed.sort();
        let mut expected: Vec<String> = before
            .iter()
            .filter(|r| r["autoscaler"] != want)
            .map(|r| r["path"].as_str().unwrap().to_string())
            .collect();
        expected.sort();
        assert_eq!(changed, expected, "{command}");
    }
}

/// Only the bytes of the values that must change are touched.
#[test]
fn enable_and_disable_change_only_the_values_that_must_change() {
    let env = Env::new();
    let (_, repo) = env.gitops(|seed| {
        fs::write(
            config(seed, "test", "jukebox"),
            "---\nname: jukebox\nautoscaling: yes # on\nkeda: \"false\"  # a string!\n",
        )
        .unwrap();
    });
    let file = config(&repo, "test", "jukebox");
    env.mlops(&repo)
        .args(words("autoscale enable test/jukebox --no-push --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "test/jukebox: autoscaler keda -> hpa",
        ));
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        "---\nname: jukebox\nautoscaling: yes # on\nkeda: false  # a string!\n"
    );
    env.mlops(&repo)
        .args(words("autoscale disable test/jukebox --no-push --yes"))
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        "---\nname: jukebox\nautoscaling: false # on\nkeda: false  # a string!\n"
    );
    env.mlops(&repo)
        .args(words("autoscale disable test/jukebox --no-push --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains("Nothing to change"));
}

/// End to end per autoscaler: the diff, the commit pushed, and status
/// afterwards, on the remote branch Argo CD deploys.
#[test]
fn each_autoscaler_end_to_end_diff_commit_and_status() {
    for (flag, key, autoscaler) in [("hpa", "autoscaling", "hpa"), ("keda", "keda", "keda")] {
        let env = Env::new();
        let (remote, work) = env.gitops(|_| {});
        env.mlops(&work)
            .args(words(
                "autoscale enable --env test jukebox --yes --autoscaler",
            ))
            .arg(flag)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("+{key}: true")))
            .stderr(predicate::str::contains(format!(
                "autoscaler off -> {autoscaler}"
            )));
        let subject = &env.subjects(&remote, "main")[0];
        let expected = match flag {
            "hpa" => "Enable autoscaling for jukebox in test",
            _ => "Enable KEDA autoscaling for jukebox in test",
        };
        assert_eq!(subject, expected);
        let (_, rows) = env.status_rows(&work, "--remote-branch");
        assert_eq!(row(&rows, "jukebox")["autoscaler"], autoscaler);
        env.mlops(&work)
            .args(words("autoscale status --env test"))
            .assert()
            .success()
            .stdout(predicate::str::contains("AUTOSCALER"))
            .stdout(predicate::str::is_match(format!("test +jukebox +{autoscaler}")).unwrap());
    }
}

/// `ENV/MODEL` names exactly those models: no cross product, and a model
/// that exists in one environment only is fine.
#[test]
fn env_model_arguments_change_exactly_the_named_models() {
    let env = Env::new();
    let (_, repo) = env.gitops(|seed| {
        let dir = seed.join("model-deployments/test/only-in-test");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("config.yaml"), "name: x\n").unwrap();
    });
    env.mlops(&repo)
        .args(words(
            "autoscale enable test/jukebox prod/jukebox-ui test/only-in-test --no-push --yes",
        ))
        .assert()
        .success();
    let mut paths = env.changed_paths(&repo, "HEAD");
    paths.sort();
    assert_eq!(
        paths,
        [
            "model-deployments/prod/jukebox-ui/config.yaml",
            "model-deployments/test/jukebox/config.yaml",
            "model-deployments/test/only-in-test/config.yaml",
        ]
    );
    assert_eq!(
        env.subjects(&repo, "-1")[0],
        "Enable autoscaling for jukebox and only-in-test in test; jukebox-ui in prod"
    );
}

/// Without `--remote-branch` status reads the work tree and says when it
/// differs from the upstream; with it, the upstream as fetched.
#[test]
fn status_says_when_the_work_tree_is_not_what_argo_cd_deploys() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    // Someone else enables test/jukebox-ui on the remote; we are behind.
    let other = env.clone_of(&remote, "other");
    env.mlops(&other)
        .args(words("autoscale enable test/jukebox-ui --yes"))
        .assert()
        .success();
    env.git(&work, &["fetch", "-q"]);
    // And we have an uncommitted edit of test/jukebox.
    fs::write(config(&work, "test", "jukebox"), "keda: true\n").unwrap();
    let (_, rows) = env.status_rows(&work, "--env test");
    assert_eq!(row(&rows, "jukebox")["autoscaler"], "keda");
    assert_eq!(row(&rows, "jukebox")["uncommitted"], true);
    assert_eq!(row(&rows, "jukebox")["differs_from_upstream"], true);
    assert_eq!(row(&rows, "jukebox-ui")["autoscaler"], "off");
    assert_eq!(row(&rows, "jukebox-ui")["uncommitted"], false);
    assert_eq!(row(&rows, "jukebox-ui")["differs_from_upstream"], true);
    env.mlops(&work)
        .args(words("autoscale status --env test"))
        .assert()
        .success()
        .stderr(predicate::str::contains("differs from origin/main"))
        .stderr(predicate::str::contains(
            "uncommitted edits in test/jukebox",
        ))
        .stderr(predicate::str::contains("1 commit(s) behind"))
        .stderr(predicate::str::contains("--remote-branch"));
    let (_, rows) = env.status_rows(&work, "--env test --remote-branch");
    assert_eq!(row(&rows, "jukebox")["autoscaler"], "off");
    assert_eq!(row(&rows, "jukebox-ui")["autoscaler"], "hpa");
}

/// Picking on a terminal ranks by the chart's rendering for the command:
/// for KEDA, the model already on KEDA comes last.
#[test]
fn picking_ranks_models_by_what_the_chart_renders() {
    let env = Env::new();
    let (_, work) = env.gitops(|seed| {
        fs::write(config(seed, "test", "jukebox"), "keda: on\n").unwrap();
    });
    let Some(term) = crate::term::Term::start(&env, &work) else {
        return;
    };
    term.run("mlops autoscale enable --autoscaler keda --env test --no-push; echo rc=$?");
    term.pick_first_model(
        "Models for `mlops autoscale enable --autoscaler keda`",
        "jukebox-ui  autoscaler off",
        "jukebox     autoscaler keda",
        "Picked: mlops autoscale enable --autoscaler keda test/jukebox-ui",
    );
}
