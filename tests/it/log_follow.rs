//! `mlops log` follows a model folder renamed with `git mv` into its old
//! name, as `git log --follow` follows a file (issue 21), beside git.

use std::fs;
use std::path::Path;

use pretty_assertions::assert_eq;

use crate::common::{config, words, Env};
use crate::log::{as_user, log_json, s, summary};

/// (commit, path) of each commit `git log --follow` lists for `path`,
/// with the path the file had at that commit.
fn git_follow(env: &Env, dir: &Path, path: &str) -> Vec<(String, String)> {
    let out = env.git(
        dir,
        &["log", "--follow", "--format=@%H", "--name-only", "--", path],
    );
    let mut got = Vec::new();
    for block in out.split('@').filter(|b| !b.trim().is_empty()) {
        let mut lines = block.lines().filter(|l| !l.is_empty());
        let sha = lines.next().unwrap().to_string();
        got.push((sha, lines.next().unwrap_or_default().to_string()));
    }
    got
}

#[test]
fn log_follows_a_model_folder_renamed_with_git_mv_as_git_log_follow() {
    let env = Env::new();
    let work = env.checkout();
    let values =
        "name: jukebox\nimage_namespace: team1\nowner: ada\nversion: v0\nreplicas: 1\nport: 8080\n";
    fs::write(config(&work, "test", "jukebox"), values).unwrap();
    env.git(&work, &["commit", "-q", "-am", "Describe jukebox"]);
    as_user(
        &env,
        &work,
        "Ada",
        "set test/jukebox version=v1 --no-push --yes",
    );
    // A plain rename, then a rename with an edit in the same commit.
    env.git(
        &work,
        &[
            "mv",
            "model-deployments/test/jukebox",
            "model-deployments/test/radio",
        ],
    );
    env.git(&work, &["commit", "-q", "-m", "Rename jukebox to radio"]);
    as_user(
        &env,
        &work,
        "Bob",
        "set test/radio version=v2 --no-push --yes",
    );
    env.git(
        &work,
        &[
            "mv",
            "model-deployments/test/radio",
            "model-deployments/test/radio2",
        ],
    );
    let moved = config(&work, "test", "radio2");
    let text = fs::read_to_string(&moved).unwrap();
    fs::write(&moved, text.replace("owner: ada", "owner: bob")).unwrap();
    env.git(
        &work,
        &["commit", "-q", "-am", "Rename radio to radio2, new owner"],
    );

    // Every commit git follows, in git's order, each under the path the
    // file had then.
    let path = "model-deployments/test/radio2/config.yaml";
    let git = git_follow(&env, &work, path);
    let entries = log_json(&env, &work, "log test/radio2 --output json");
    let ours: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                s(e["commit"].as_str().unwrap()),
                s(e["path"].as_str().unwrap()),
            )
        })
        .collect();
    assert_eq!(ours, git);
    assert_eq!(git.len(), 6, "{git:#?}");
    let from: Vec<&serde_json::Value> = entries.iter().map(|e| &e["renamed_from"]).collect();
    let null = serde_json::Value::Null;
    assert_eq!(
        from,
        [
            &"test/radio".into(),
            &null,
            &"test/jukebox".into(),
            &null,
            &null,
            &null
        ]
    );
    // The rename with an edit lists the edit; the plain rename nothing more.
    let got = summary(&entries);
    assert_eq!(got[0].2, [s("owner: ada -> bob")]);
    assert_eq!(got[1].2, [s("version: v1 -> v2")]);
    assert!(got[2].2.is_empty(), "{got:#?}");
    assert_eq!(got[3].2, [s("version: v0 -> v1")]);

    // The old name's history is still there, as `git log -- OLD` shows it.
    let old = "model-deployments/test/jukebox/config.yaml";
    let plain: Vec<String> = env
        .git(&work, &["log", "--format=%H", "--", old])
        .lines()
        .map(str::to_string)
        .collect();
    let entries = log_json(&env, &work, "log test/jukebox --output json");
    let ours: Vec<String> = entries
        .iter()
        .map(|e| s(e["commit"].as_str().unwrap()))
        .collect();
    assert_eq!(ours, plain);
    assert_eq!(entries[0]["renamed_to"], "test/radio");
    assert_eq!(entries[0]["changes"], serde_json::json!([]));
    let out = env
        .mlops(&work)
        .args(words("log test/jukebox --max-count 1"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("    (renamed to test/radio)\n"), "{text}");

    // A name that never existed is still refused (exit 3).
    env.mlops(&work)
        .args(words("log test/jukebx"))
        .assert()
        .code(3);
}
