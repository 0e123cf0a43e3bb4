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

/// The config paths status flags `uncommitted`, sorted.
fn flagged(env: &Env, dir: &std::path::Path) -> Vec<String> {
    let (code, rows) = env.status_rows(dir, "");
    assert_eq!(code, 0, "{rows:#?}");
    let mut out: Vec<String> = rows
        .iter()
        .filter(|r| r["uncommitted"] == true)
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

/// The config paths `git status --porcelain` lists, sorted.
fn git_dirty(env: &Env, dir: &std::path::Path) -> Vec<String> {
    let mut out: Vec<String> = env
        .git(dir, &["status", "--porcelain", "--untracked-files=all"])
        .lines()
        .map(|l| l[3..].to_string())
        .filter(|p| p.starts_with("model-deployments/") && p.ends_with("/config.yaml"))
        .collect();
    out.sort();
    out
}

const MODELS: [(&str, &str); 3] = [
    ("test", "jukebox"),
    ("test", "jukebox-ui"),
    ("prod", "jukebox"),
];

#[test]
fn status_compares_through_git_filters_as_git_status_does() {
    let env = Env::new();
    let values = "name: jukebox\nversion: v1\nautoscaling: true\n";
    let (remote, _) = env.gitops(|seed| {
        for (e, m) in MODELS {
            fs::write(config(seed, e, m), values).unwrap();
        }
    });
    // One checkout with core.autocrlf=true, one with .gitattributes eol.
    let crlf = env.path().join("crlf");
    let (from, to) = (remote.to_str().unwrap(), crlf.to_str().unwrap());
    env.git(
        env.path(),
        &["clone", "-q", "-c", "core.autocrlf=true", from, to],
    );
    let attrs = env.clone_of(&remote, "attrs");
    fs::write(attrs.join(".gitattributes"), "*.yaml text eol=crlf\n").unwrap();
    env.git(&attrs, &["add", ".gitattributes"]);
    env.git(
        &attrs,
        &["commit", "-q", "-m", "CRLF for YAML in the work tree"],
    );
    // Check the files out again under the new attributes.
    for (e, m) in MODELS {
        fs::remove_file(config(&attrs, e, m)).unwrap();
    }
    env.git(&attrs, &["checkout", "--", "."]);
    for dir in [&crlf, &attrs] {
        let file = config(dir, "test", "jukebox");
        assert!(
            fs::read_to_string(&file).unwrap().contains("v1\r\n"),
            "the work tree holds CRLF"
        );
        assert_eq!(git_dirty(&env, dir), Vec::<String>::new());
        assert_eq!(
            flagged(&env, dir),
            git_dirty(&env, dir),
            "{}",
            dir.display()
        );
        // New stat data, same content: git status reads the files through
        // the filters and still finds them clean.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        for (e, m) in MODELS {
            let f = fs::File::options()
                .append(true)
                .open(config(dir, e, m))
                .unwrap();
            f.set_modified(later).unwrap();
        }
        assert_eq!(
            flagged(&env, dir),
            git_dirty(&env, dir),
            "{}",
            dir.display()
        );
        assert_eq!(git_dirty(&env, dir), Vec::<String>::new());
        // A real edit is flagged by both, and only that file.
        let text = fs::read_to_string(&file).unwrap();
        fs::write(&file, text.replace("v1", "v2")).unwrap();
        assert_eq!(
            git_dirty(&env, dir),
            ["model-deployments/test/jukebox/config.yaml"]
        );
        assert_eq!(
            flagged(&env, dir),
            git_dirty(&env, dir),
            "{}",
            dir.display()
        );
        // Staged, then committed.
        env.git(dir, &["add", "-A"]);
        assert_eq!(
            flagged(&env, dir),
            git_dirty(&env, dir),
            "{}",
            dir.display()
        );
        env.git(dir, &["commit", "-q", "-m", "v2"]);
        assert_eq!(flagged(&env, dir), Vec::<String>::new());
    }
}

#[test]
fn status_flags_what_git_status_lists_staged_or_not() {
    let env = Env::new();
    let values = "name: jukebox\nversion: v1\n";
    let (_, work) = env.gitops(|seed| {
        for (e, m) in MODELS {
            fs::write(config(seed, e, m), values).unwrap();
        }
        // A model folder with a second file.
        let notes = config(seed, "test", "jukebox-ui").with_file_name("notes.txt");
        fs::write(notes, "owner: ada\n").unwrap();
    });
    assert_eq!(flagged(&env, &work), Vec::<String>::new());
    // Untracked: a new model.
    let new = config(&work, "test", "radio");
    fs::create_dir_all(new.parent().unwrap()).unwrap();
    fs::write(&new, values).unwrap();
    // The executable bit, not staged.
    let jukebox = config(&work, "test", "jukebox");
    let mut mode = fs::metadata(&jukebox).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut mode, 0o755);
    fs::set_permissions(&jukebox, mode).unwrap();
    // Only the folder's other file staged: the config is as committed.
    let notes = config(&work, "test", "jukebox-ui").with_file_name("notes.txt");
    fs::write(&notes, "owner: bob\n").unwrap();
    env.git(
        &work,
        &["add", "model-deployments/test/jukebox-ui/notes.txt"],
    );
    // Staged, then the work tree put back as in HEAD.
    let prod = config(&work, "prod", "jukebox");
    fs::write(&prod, "name: jukebox\nversion: v2\n").unwrap();
    env.git(
        &work,
        &["add", "model-deployments/prod/jukebox/config.yaml"],
    );
    fs::write(&prod, values).unwrap();

    let ours = flagged(&env, &work);
    assert_eq!(ours, git_dirty(&env, &work));
    assert_eq!(
        ours,
        [
            "model-deployments/prod/jukebox/config.yaml",
            "model-deployments/test/jukebox/config.yaml",
            "model-deployments/test/radio/config.yaml",
        ]
    );
}
