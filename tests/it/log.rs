//! `mlops log` (issue 10): who changed which value of which model, when,
//! as the chart reads it, across two authors, a merge and an environment
//! folder renamed.

use std::fs;
use std::path::Path;

use pretty_assertions::assert_eq;

use crate::common::{config, words, Env};

/// Runs mlops as `name` (author and committer).
pub(crate) fn as_user(env: &Env, dir: &Path, name: &str, line: &str) {
    env.mlops(dir)
        .args(words(line))
        .env("GIT_AUTHOR_NAME", name)
        .env(
            "GIT_AUTHOR_EMAIL",
            format!("{}@example.com", name.to_lowercase()),
        )
        .env("GIT_COMMITTER_NAME", name)
        .env(
            "GIT_COMMITTER_EMAIL",
            format!("{}@example.com", name.to_lowercase()),
        )
        .assert()
        .success();
}

pub(crate) fn log_json(env: &Env, dir: &Path, line: &str) -> Vec<serde_json::Value> {
    let out = env.mlops(dir).args(words(line)).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (author, model, [key: old -> new]) of each entry, newest first.
pub(crate) fn summary(entries: &[serde_json::Value]) -> Vec<(String, String, Vec<String>)> {
    entries
        .iter()
        .map(|e| {
            let changes = e["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    let v = |x: &serde_json::Value| match x {
                        serde_json::Value::Null => "(absent)".to_string(),
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    format!(
                        "{}: {} -> {}",
                        c["key"].as_str().unwrap(),
                        v(&c["old"]),
                        v(&c["new"])
                    )
                })
                .collect();
            (
                e["author"].as_str().unwrap().to_string(),
                format!(
                    "{}/{}",
                    e["env"].as_str().unwrap(),
                    e["model"].as_str().unwrap()
                ),
                changes,
            )
        })
        .collect()
}

pub(crate) fn s(v: &str) -> String {
    v.to_string()
}

#[test]
fn log_follows_values_across_authors_a_merge_and_a_renamed_environment() {
    let env = Env::new();
    let (_, work) = env.gitops(|seed| {
        // The environment starts out as `staging`; it is renamed later.
        fs::rename(
            seed.join("model-deployments/test"),
            seed.join("model-deployments/staging"),
        )
        .unwrap();
        fs::write(
            config(seed, "staging", "jukebox"),
            "name: jukebox\nversion: v1\nimage_namespace: team1\nowner: ada\n",
        )
        .unwrap();
    });
    as_user(
        &env,
        &work,
        "Ada",
        "autoscale enable staging/jukebox --no-push --yes",
    );
    // Rename the environment folder (a plain git mv, as people do).
    env.git(
        &work,
        &["mv", "model-deployments/staging", "model-deployments/test"],
    );
    env.git(&work, &["commit", "-q", "-m", "Rename staging to test"]);
    // A side branch by Bob sets the version; main disables autoscaling.
    env.git(&work, &["switch", "-q", "-c", "bump"]);
    as_user(
        &env,
        &work,
        "Bob",
        "set test/jukebox version=v2 --no-push --yes",
    );
    env.git(&work, &["switch", "-q", "main"]);
    as_user(
        &env,
        &work,
        "Ada",
        "autoscale disable test/jukebox --no-push --yes",
    );
    env.git(&work, &["merge", "-q", "--no-edit", "bump"]);
    as_user(
        &env,
        &work,
        "Bob",
        "autoscale enable --autoscaler keda test/jukebox --no-push --yes",
    );
    // An unrelated model's change is not listed for test/jukebox.
    as_user(
        &env,
        &work,
        "Ada",
        "autoscale enable prod/jukebox --no-push --yes",
    );

    let entries = log_json(&env, &work, "log --env test jukebox --output json");
    let got = summary(&entries);
    let mut order: Vec<(String, String, Vec<String>)> = vec![(
        s("Bob"),
        s("test/jukebox"),
        vec![s("autoscaler: off -> keda"), s("keda: (absent) -> true")],
    )];
    // The two branches' commits: newest first by time, either order when
    // they share a second.
    let ada = (
        s("Ada"),
        s("test/jukebox"),
        vec![s("autoscaler: hpa -> off"), s("autoscaling: true -> false")],
    );
    let bob = (s("Bob"), s("test/jukebox"), vec![s("version: v1 -> v2")]);
    assert!(
        got[1..3].contains(&ada) && got[1..3].contains(&bob),
        "{got:#?}"
    );
    order.push(got[1].clone());
    order.push(got[2].clone());
    order.push((s("Test User"), s("test/jukebox"), vec![]));
    order.push((
        s("Ada"),
        s("staging/jukebox"),
        vec![
            s("autoscaler: off -> hpa"),
            s("autoscaling: (absent) -> true"),
        ],
    ));
    // The rename commit is listed with where the model came from.
    assert_eq!(entries[3]["renamed_from"], "staging/jukebox");
    assert_eq!(got.len(), 6, "{got:#?}");
    assert_eq!(got[..5], order[..], "{got:#?}");
    // The initial commit brings the file.
    assert_eq!(got[5].1, "staging/jukebox");
    assert!(got[5].2.contains(&s("version: (absent) -> v1")), "{got:#?}");

    // --key and --max-count.
    let only = log_json(
        &env,
        &work,
        "log test/jukebox --key autoscaler --max-count 2 --output json",
    );
    let got = summary(&only);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0].2, [s("autoscaler: off -> keda")]);
    assert_eq!(got[1].2, [s("autoscaler: hpa -> off")]);
    for e in &only {
        assert_eq!(e["commit"].as_str().unwrap().len(), 40);
        assert!(e["date"].as_str().unwrap().len() >= 19);
        assert_eq!(e["path"], "model-deployments/test/jukebox/config.yaml");
    }

    // Text: one header per entry and one `key: old -> new` line per change.
    let out = env
        .mlops(&work)
        .args(words("log test/jukebox --max-count 1"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let head = env.git(
        &work,
        &[
            "log",
            "-1",
            "--format=%H %ad",
            "--date=iso",
            "--",
            "model-deployments/test/jukebox/config.yaml",
        ],
    );
    let (sha, date) = head.trim().split_once(' ').unwrap();
    assert!(
        text.starts_with(&format!(
            "{} {date} Bob <bob@example.com> test/jukebox\n",
            &sha[..10]
        )),
        "{text}"
    );
    assert!(text.contains("    keda: (absent) -> true\n"), "{text}");
}

#[test]
fn log_max_count_zero_lists_nothing_as_git_and_n_stays_dry_run() {
    let env = Env::new();
    let work = env.checkout();
    as_user(
        &env,
        &work,
        "Ada",
        "set test/jukebox version=v2 --no-push --yes",
    );
    let path = "model-deployments/test/jukebox/config.yaml";
    // git lists nothing for --max-count 0, one commit for --max-count 1.
    assert_eq!(env.git(&work, &["log", "--max-count", "0", "--", path]), "");
    assert_eq!(
        env.git(
            &work,
            &["log", "--format=%H", "--max-count", "1", "--", path]
        )
        .lines()
        .count(),
        1
    );
    let none = log_json(&env, &work, "log test/jukebox --max-count 0 --output json");
    assert!(none.is_empty(), "{none:#?}");
    let out = env
        .mlops(&work)
        .args(words("log test/jukebox --max-count 0"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    let one = log_json(&env, &work, "log test/jukebox --max-count 1 --output json");
    assert_eq!(one.len(), 1, "{one:#?}");
    // `-n` is --dry-run wherever it applies, never a count: log refuses it
    // (usage, exit 2), and `set -n` writes nothing.
    env.mlops(&work)
        .args(words("log test/jukebox -n 1"))
        .assert()
        .code(2);
    let before = env.git(&work, &["rev-parse", "HEAD"]);
    env.mlops(&work)
        .args(words("set test/jukebox version=v3 -n --no-push --yes"))
        .assert()
        .success();
    assert_eq!(env.git(&work, &["rev-parse", "HEAD"]), before);
    assert_eq!(env.status(&work), "");
}

/// Each spelling in a values file and the value the chart reads, as JSON.
pub(crate) fn spellings() -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::json;
    vec![
        ("\"4562e17\"", json!("4562e17")),
        ("4562e17", json!(4.562e20)),
        ("\"2024-01-01\"", json!("2024-01-01")),
        ("2024-01-01", json!("2024-01-01")),
        ("\"1234567\"", json!("1234567")),
        ("1234567", json!(1234567)),
        ("'0123'", json!("0123")),
        ("0123", json!(83)),
        ("\"true\"", json!("true")),
        ("true", json!(true)),
        ("\"1e3\"", json!("1e3")),
        ("1e3", json!(1000.0)),
        ("~", json!(null)),
    ]
}

#[test]
fn log_json_carries_the_values_the_chart_reads_not_their_yaml_spellings() {
    let env = Env::new();
    let work = env.checkout();
    let cases = spellings();
    let file: String = cases
        .iter()
        .enumerate()
        .map(|(i, (spelling, _))| format!("k{i:02}: {spelling}\n"))
        .collect();
    fs::write(config(&work, "test", "jukebox"), file).unwrap();
    env.git(&work, &["commit", "-q", "-am", "Values in every spelling"]);
    // What set writes for a string that YAML would read as a number.
    as_user(
        &env,
        &work,
        "Ada",
        "set test/jukebox version=4562e17 --no-push --yes",
    );
    let on_disk = fs::read_to_string(config(&work, "test", "jukebox")).unwrap();
    assert!(on_disk.contains("version: \"4562e17\""), "{on_disk}");

    let entries = log_json(&env, &work, "log test/jukebox --output json");
    assert_eq!(entries.len(), 3, "{entries:#?}");
    let change = |entry: &serde_json::Value, key: &str| {
        entry["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == key)
            .unwrap_or_else(|| panic!("no change of {key} in {entry:#?}"))
            .clone()
    };
    let set = change(&entries[0], "version");
    assert_eq!(set["old"], serde_json::Value::Null);
    assert_eq!(set["new"], "4562e17");
    for (i, (spelling, want)) in cases.iter().enumerate() {
        let c = change(&entries[1], &format!("k{i:02}"));
        assert_eq!(c["old"], serde_json::Value::Null, "{spelling}");
        assert_eq!(&c["new"], want, "{spelling}");
    }
    // Text keeps showing a string that YAML would read otherwise quoted.
    let out = env
        .mlops(&work)
        .args(words("log test/jukebox --max-count 1"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("    version: (absent) -> \"4562e17\"\n"),
        "{text}"
    );
}
