//! `mlops autoscale status`: what the chart will see, in text and JSON.

use std::fs;

use predicates::prelude::*;
use pretty_assertions::assert_eq;
use serde_json::json;

use crate::common::{config, words, Env};

fn status_json(env: &Env, repo: &std::path::Path, extra: &[&str], code: i32) -> serde_json::Value {
    let out = env
        .mlops(repo)
        .args(words("autoscale status --output json"))
        .args(extra)
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).expect("stdout holds only the JSON document")
}

/// `env/model` -> `autoscaling` of each row of a status document.
fn states(doc: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    let rows = doc.as_array().expect("a JSON array");
    rows.iter()
        .map(|r| {
            let name = format!(
                "{}/{}",
                r["env"].as_str().unwrap(),
                r["model"].as_str().unwrap()
            );
            (name, r["autoscaling"].clone())
        })
        .collect()
}

#[test]
fn a_fresh_repository_reports_every_model_unset() {
    let env = Env::new();
    let repo = env.checkout();
    let doc = status_json(&env, &repo, &[], 0);
    let row = |e: &str, m: &str| {
        json!({
            "env": e, "model": m, "path": format!("model-deployments/{e}/{m}/config.yaml"),
            "autoscaler": "off", "autoscaling": null, "keda": null, "version": null,
            "warning": null, "error": null, "uncommitted": false, "differs_from_upstream": false,
        })
    };
    assert_eq!(
        doc,
        json!([
            row("prod", "jukebox"),
            row("prod", "jukebox-ui"),
            row("test", "jukebox"),
            row("test", "jukebox-ui"),
        ])
    );
}

#[test]
fn values_are_read_as_the_chart_reads_them() {
    let env = Env::new();
    let (_, repo) = env.gitops(|seed| {
        fs::write(
            config(seed, "test", "jukebox"),
            "version: v2\nautoscaling: \"false\"\n",
        )
        .unwrap();
        fs::write(config(seed, "test", "jukebox-ui"), "autoscaling: yes\n").unwrap();
        fs::write(
            config(seed, "prod", "jukebox"),
            "base: &base\n  autoscaling: true\n<<: *base\n",
        )
        .unwrap();
        fs::write(config(seed, "prod", "jukebox-ui"), "autoscaling: off\n").unwrap();
    });
    let doc = status_json(&env, &repo, &[], 0);
    let by_path = states(&doc);
    assert_eq!(
        by_path,
        [
            ("prod/jukebox".to_string(), json!(true)),
            ("prod/jukebox-ui".to_string(), json!(false)),
            ("test/jukebox".to_string(), json!(true)),
            ("test/jukebox-ui".to_string(), json!(true)),
        ]
    );
    env.mlops(&repo)
        .args(words("autoscale status --env test"))
        .assert()
        .success()
        .stdout(predicate::str::contains("warning:"))
        .stdout(predicate::str::contains("v2"))
        .stdout(predicate::str::contains("prod").not());
}

#[test]
fn a_broken_file_is_listed_with_its_error_and_the_rest_still_reported() {
    let env = Env::new();
    let (_, repo) = env.gitops(|seed| {
        fs::write(config(seed, "prod", "jukebox"), "name: [jukebox\n").unwrap();
        fs::write(config(seed, "test", "jukebox"), "autoscaling: true\n").unwrap();
    });
    let doc = status_json(&env, &repo, &[], 3);
    let rows = doc.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows[0]["path"],
        "model-deployments/prod/jukebox/config.yaml"
    );
    assert_eq!(rows[0]["autoscaling"], json!(null));
    assert!(rows[0]["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert_eq!(rows[2]["autoscaling"], json!(true));
}

#[test]
fn folders_without_config_hidden_folders_and_unknown_envs() {
    let env = Env::new();
    let (_, repo) = env.gitops(|seed| {
        fs::create_dir_all(seed.join("model-deployments/test/not-a-model")).unwrap();
        fs::write(
            seed.join("model-deployments/test/not-a-model/README.md"),
            "hi\n",
        )
        .unwrap();
        fs::create_dir_all(seed.join("model-deployments/.hidden/x")).unwrap();
        fs::write(
            seed.join("model-deployments/.hidden/x/config.yaml"),
            "---\n",
        )
        .unwrap();
    });
    // A folder that is not a model is listed with the reason (exit 3);
    // hidden folders are not listed at all.
    let doc = status_json(&env, &repo, &["--env", "test"], 3);
    let rows: Vec<(&str, Option<&str>)> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["model"].as_str().unwrap(), r["error"].as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("jukebox", None),
            ("jukebox-ui", None),
            (
                "not-a-model",
                Some("it holds no config.yaml (it has README.md)")
            ),
        ]
    );
    env.mlops(&repo)
        .args(words("autoscale status --env staging"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("unknown environment \"staging\""));
}

#[test]
fn status_with_clone_reports_the_remote_branch_and_leaves_nothing() {
    let env = Env::new();
    let (remote, work) = env.gitops(|seed| {
        fs::write(config(seed, "test", "jukebox"), "autoscaling: on\n").unwrap();
    });
    // A local, unpushed edit must not show: --clone reads the remote.
    fs::write(config(&work, "prod", "jukebox"), "autoscaling: true\n").unwrap();
    let tmp = env.tmp();
    let out = env
        .mlops(env.path())
        .args(words("autoscale status --output json --clone"))
        .arg(format!("file://{}", remote.display()))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let states = states(&doc);
    assert_eq!(
        states,
        [
            ("prod/jukebox".to_string(), json!(null)),
            ("prod/jukebox-ui".to_string(), json!(null)),
            ("test/jukebox".to_string(), json!(true)),
            ("test/jukebox-ui".to_string(), json!(null)),
        ]
    );
    assert_eq!(
        fs::read_dir(&tmp).unwrap().count(),
        0,
        "the temporary clone is removed"
    );
}

#[test]
fn status_json_version_is_the_value_the_chart_reads_not_its_yaml_spelling() {
    let env = Env::new();
    let cases = crate::log::spellings();
    let repo = env
        .gitops(|seed| {
            for (i, (spelling, _)) in cases.iter().enumerate() {
                let file = config(seed, "test", &format!("m{i:02}"));
                fs::create_dir_all(file.parent().unwrap()).unwrap();
                fs::write(file, format!("name: m{i:02}\nversion: {spelling}\n")).unwrap();
            }
        })
        .1;
    let (code, rows) = env.status_rows(&repo, "--env test");
    assert_eq!(code, 0);
    for (i, (spelling, want)) in cases.iter().enumerate() {
        let row = crate::common::row(&rows, "test", &format!("m{i:02}"));
        assert_eq!(&row["version"], want, "version: {spelling}");
    }
}
