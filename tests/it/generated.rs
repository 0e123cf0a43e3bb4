//! The generated files in the repository (completions/, man/) are exactly
//! what the binary prints now, so they can never go stale unnoticed.
//! `UPDATE_GENERATED=1 cargo test generated` rewrites them instead.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{words, Env};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn update() -> bool {
    std::env::var_os("UPDATE_GENERATED").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Compares `want` with the file at `path`, or writes it when updating.
fn check(path: &Path, want: &[u8]) {
    if update() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, want).unwrap();
        return;
    }
    let have = fs::read(path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run `UPDATE_GENERATED=1 cargo test generated` and commit the result",
        path.display()
    );
}

#[test]
fn completion_scripts_are_fresh() {
    let env = Env::new();
    for (shell, ext) in [
        ("bash", "bash"),
        ("zsh", "zsh"),
        ("fish", "fish"),
        ("powershell", "ps1"),
        ("elvish", "elv"),
    ] {
        let out = env
            .mlops(env.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "mlops completions {shell}");
        assert!(out.stderr.is_empty(), "{shell}: nothing on stderr");
        check(
            &root().join(format!("completions/mlops.{ext}")),
            &out.stdout,
        );
    }
}

#[test]
fn man_pages_are_fresh() {
    let env = Env::new();
    let dir = env.path().join("man");
    env.mlops(env.path())
        .args(["man", "--out-dir", dir.to_str().unwrap(), "-q"])
        .assert()
        .success();
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for name in &names {
        check(
            &root().join("man").join(name),
            &fs::read(dir.join(name)).unwrap(),
        );
    }
    let mut committed: Vec<String> = fs::read_dir(root().join("man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".1"))
        .collect();
    committed.sort();
    if update() {
        for name in committed.iter().filter(|n| !names.contains(n)) {
            fs::remove_file(root().join("man").join(name)).unwrap();
        }
    } else {
        assert_eq!(
            committed, names,
            "man/ holds pages mlops no longer generates"
        );
    }
    let top = env.mlops(env.path()).arg("man").output().unwrap();
    assert_eq!(
        top.stdout,
        fs::read(dir.join("mlops.1")).unwrap(),
        "mlops man prints mlops.1"
    );
}

#[test]
fn generators_speak_json_when_asked() {
    let env = Env::new();
    let plain = env
        .mlops(env.path())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let json = env
        .mlops(env.path())
        .args(words("completions bash --output json"))
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["shell"], "bash");
    assert_eq!(doc["script"].as_str().unwrap().as_bytes(), plain.stdout);
    let man = env
        .mlops(env.path())
        .args(["man", "--output=json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&man.stdout).unwrap();
    assert_eq!(doc["name"], "mlops.1");
    assert!(doc["page"].as_str().unwrap().contains(".TH mlops 1"));
}
