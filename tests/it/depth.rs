//! `mlops set` at depth (issue 21): Helm `--set` paths on a realistic
//! nested values file, read back by four readers: Helm's own values reader
//! (sigs.k8s.io/yaml over go-yaml v2, built from tests/helm-values), the
//! chart model (mlops' YAML 1.1 reading), serde_yaml (YAML 1.2) and `yq`
//! (jq over PyYAML, YAML 1.1), the last one side by side with `yq` doing
//! the same assignments on the old file.

use std::fs;
use std::path::Path;
use std::process::Command;

use pretty_assertions::assert_eq;
use serde_json::{json, Value as Json};

use crate::common::{config, words, Env};

/// The reference chart's values style, with what real charts nest.
const NESTED: &str = "\
---
name: jukebox
version: latest
image_repository: quay.io
image_namespace: rhoai-mlops
autoscaling: false
keda: false
canary: {}
  # trafficPercent: 10
image:
  repository: quay.io/rhoai-mlops/jukebox # from CI
  tag: 'v1'
  pullPolicy: IfNotPresent
resources:
  limits:
    cpu: \"1\"
    memory: 2Gi
podAnnotations:
  prometheus.io/scrape: \"true\"
  prometheus.io/port: \"8080\"
env:
  - name: MODEL_NAME
    value: jukebox
  - name: LOG_LEVEL
    value: info
";

fn seeded(env: &Env, text: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let text = text.to_string();
    env.gitops(move |seed| fs::write(config(seed, "test", "jukebox"), text).unwrap())
}

/// `yq` (the Python one: jq over PyYAML, a YAML 1.1 reader), when there.
fn yq(filter: &str, file: &Path) -> Option<Json> {
    let out = Command::new("yq").arg(filter).arg(file).output().ok()?;
    assert!(
        out.status.success(),
        "yq {filter}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[path = "../helm-values/reader.rs"]
mod helm_values;

/// What Helm reads from `text` (as JSON), when its reader is there.
fn helm(_env: &Env, text: &str) -> Option<Json> {
    Some(helm_values::read(text.as_bytes())?.unwrap_or_else(|e| panic!("Helm's reader: {e}")))
}

/// The YAML 1.2 reading of a file, as JSON.
fn yaml12(text: &str) -> Json {
    let data: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    serde_json::to_value(data).unwrap()
}

/// What the chart reads at `path` (mlops' YAML 1.1 model), as JSON.
fn chart(text: &str, path: &str) -> Option<Json> {
    let path = mlops::edit::Path::parse(path).unwrap();
    mlops::edit::lookup(text.as_bytes(), &path)
        .unwrap()
        .map(|found| found.json)
}

/// Every path form in one run: the file changes only in those values (and
/// the new mapping), every reader reads what `helm --set` would give the
/// chart, and `yq` doing the same assignments agrees.
#[test]
fn every_path_form_sets_the_nested_value_helm_set_would() {
    let env = Env::new();
    let (remote, work) = seeded(&env, NESTED);
    let out = env
        .mlops(&work)
        .args([
            "set",
            "--env",
            "test",
            "jukebox",
            "image.tag=v2",
            "resources.limits.cpu=500m",
            "podAnnotations.prometheus\\.io/scrape=false",
            "env[1].value=debug",
            "resources.requests.memory=1Gi",
            "canary.trafficPercent:=10",
            "--yes",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = NESTED
        .replace("tag: 'v1'", "tag: 'v2'")
        .replace("cpu: \"1\"", "cpu: \"500m\"")
        .replace(
            "memory: 2Gi\n",
            "memory: 2Gi\n  requests:\n    memory: 1Gi\n",
        )
        .replace("scrape: \"true\"", "scrape: \"false\"")
        .replace("value: info", "value: debug")
        .replace("canary: {}", "canary: {trafficPercent: 10}");
    let pushed = env.git(
        &remote,
        &["show", "main:model-deployments/test/jukebox/config.yaml"],
    );
    assert_eq!(pushed, expected, "only those values' bytes changed");
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Set image.tag=v2 resources.limits.cpu=500m podAnnotations.prometheus\\.io/scrape=false \
         env[1].value=debug resources.requests.memory=1Gi canary.trafficPercent:=10 for jukebox in test"
    );
    // What the chart reads (YAML 1.1), at each path.
    for (path, value) in [
        ("image.tag", json!("v2")),
        ("resources.limits.cpu", json!("500m")),
        ("resources.limits.memory", json!("2Gi")),
        ("resources.requests.memory", json!("1Gi")),
        ("podAnnotations.prometheus\\.io/scrape", json!("false")),
        ("podAnnotations.prometheus\\.io/port", json!("8080")),
        ("env[1].value", json!("debug")),
        ("env[1].name", json!("LOG_LEVEL")),
        ("canary.trafficPercent", json!(10)),
        ("version", json!("latest")),
    ] {
        assert_eq!(chart(&pushed, path), Some(value), "{path}");
    }
    assert_eq!(
        chart(&pushed, "image\\.tag"),
        None,
        "no top-level `image.tag`"
    );
    // Helm (YAML 1.1, go-yaml v2): the old values with exactly those set,
    // as `helm --set-string` (and `--set` for the typed one) gives them.
    match (helm(&env, NESTED), helm(&env, &pushed)) {
        (Some(mut want), Some(got)) => {
            want["image"]["tag"] = json!("v2");
            want["resources"]["limits"]["cpu"] = json!("500m");
            want["resources"]["requests"] = json!({"memory": "1Gi"});
            want["podAnnotations"]["prometheus.io/scrape"] = json!("false");
            want["env"][1]["value"] = json!("debug");
            want["canary"] = json!({"trafficPercent": 10});
            assert_eq!(got, want, "Helm's reading");
        }
        _ => eprintln!("skipped the comparison with Helm's reader (see above)"),
    }
    // YAML 1.2: the old data with exactly those values set.
    let mut want = yaml12(NESTED);
    want["image"]["tag"] = json!("v2");
    want["resources"]["limits"]["cpu"] = json!("500m");
    want["resources"]["requests"] = json!({"memory": "1Gi"});
    want["podAnnotations"]["prometheus.io/scrape"] = json!("false");
    want["env"][1]["value"] = json!("debug");
    want["canary"] = json!({"trafficPercent": 10});
    assert_eq!(yaml12(&pushed), want);
    // The JSON report: values as the chart reads them, as JSON types.
    let doc: Json = serde_json::from_slice(&out.stdout).unwrap();
    let values = &doc["changed"][0]["values"];
    assert_eq!(values["image.tag"], json!({"old": "v1", "new": "v2"}));
    assert_eq!(
        values["resources.requests.memory"],
        json!({"old": null, "new": "1Gi"})
    );
    assert_eq!(
        values["canary.trafficPercent"],
        json!({"old": null, "new": 10})
    );
    // yq (YAML 1.1, PyYAML) doing the same assignments on the old file.
    let old_file = env.path().join("old.yaml");
    let new_file = env.path().join("new.yaml");
    fs::write(&old_file, NESTED).unwrap();
    fs::write(&new_file, &pushed).unwrap();
    let filter = r#".image.tag = "v2" | .resources.limits.cpu = "500m"
        | .podAnnotations["prometheus.io/scrape"] = "false" | .env[1].value = "debug"
        | .resources.requests.memory = "1Gi" | .canary.trafficPercent = 10"#;
    match (yq(filter, &old_file), yq(".", &new_file)) {
        (Some(yq_set), Some(mlops_set)) => assert_eq!(mlops_set, yq_set),
        _ => eprintln!("skipped the yq comparison: `yq` is not installed"),
    }
}

/// The issue's case: `image.tag=v2` sets `.image.tag`, the line says so,
/// and a second run changes nothing.
#[test]
fn image_tag_sets_the_nested_tag_not_a_dotted_top_level_key() {
    let env = Env::new();
    let (remote, work) = seeded(&env, "image:\n    repository: x\n    tag: v1\n");
    env.mlops(&work)
        .args(words("set --env test jukebox image.tag=v2 --yes"))
        .assert()
        .success()
        .stderr(predicates::str::contains("image.tag v1 -> v2"));
    let pushed = env.git(
        &remote,
        &["show", "main:model-deployments/test/jukebox/config.yaml"],
    );
    assert_eq!(pushed, "image:\n    repository: x\n    tag: v2\n");
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Set image.tag=v2 for jukebox in test"
    );
    // Missing mappings are created indented like the file (4 here).
    env.mlops(&work)
        .args(words("set test/jukebox resources.limits.cpu=2 --yes"))
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(config(&work, "test", "jukebox")).unwrap(),
        "image:\n    repository: x\n    tag: v2\nresources:\n    limits:\n        cpu: \"2\"\n"
    );
    env.mlops(&work)
        .args(words("set test/jukebox image.tag=v2 --yes"))
        .assert()
        .success()
        .stderr(predicates::str::contains("Nothing to change"));
}

/// Each refusal: exit 3, the file and line named, a hint, nothing written
/// or committed.
#[test]
fn paths_that_cannot_be_set_safely_are_refused() {
    let env = Env::new();
    let text = format!(
        "{NESTED}base: &b\n  cpu: 1\nother: *b\nflow: {{a: 1,\n  b: 2}}\ndup:\n  a: 1\n  a: 2\n"
    );
    let (_, work) = seeded(&env, &text);
    let file = config(&work, "test", "jukebox");
    let before = fs::read(&file).unwrap();
    for (word, line, why) in [
        ("version.major=1", 3, "single value"),
        ("env[5].value=x", 22, "2 elements"),
        ("other.cpu=2", 28, "alias"),
        ("base.cpu=2", 26, "used again"),
        ("flow.a=2", 29, "several lines"),
        ("dup.a=3", 33, "appears twice in `dup`"),
    ] {
        let out = env
            .mlops(&work)
            .args(["set", "test/jukebox", word, "--no-push", "--yes"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{word}: {stderr}");
        assert!(
            stderr.contains(&format!("config.yaml:{line}")),
            "{word}: line {line}: {stderr}"
        );
        assert!(stderr.contains(why), "{word}: {stderr}");
        assert!(stderr.contains("Hint:"), "{word}: {stderr}");
        assert_eq!(fs::read(&file).unwrap(), before, "{word}: nothing written");
    }
    // A path that is not one is a usage error, before anything is read.
    for word in ["env[x]=1", "a..b=1", "image.=1"] {
        env.mlops(&work)
            .args(["set", "test/jukebox", word, "--no-push", "--yes"])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("is not a path"));
    }
    assert_eq!(fs::read(&file).unwrap(), before);
    assert_eq!(env.subjects(&work, "HEAD").len(), 1);
    assert_eq!(env.status(&work), "");
}

/// `--output json` carries values as the chart reads them: a string that
/// YAML would read as a number, a date or a boolean is a JSON string (not
/// its quoted YAML spelling), a typed value its JSON type.
#[test]
fn json_carries_values_as_json_types() {
    let env = Env::new();
    let (_, work) = seeded(&env, "version: v1\nreplicas: 1\nflag: false\n");
    let out = env
        .mlops(&work)
        .args(words(
            "set test/jukebox version=4562e17 a.date=2024-01-01 a.n=1234567 a.oct=0123 \
             a.t=true replicas:=3 flag:=true gone:=null --no-push --yes --output json",
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Json = serde_json::from_slice(&out.stdout).unwrap();
    let values = &doc["changed"][0]["values"];
    for (path, old, new) in [
        ("version", json!("v1"), json!("4562e17")),
        ("a.date", json!(null), json!("2024-01-01")),
        ("a.n", json!(null), json!("1234567")),
        ("a.oct", json!(null), json!("0123")),
        ("a.t", json!(null), json!("true")),
        ("replicas", json!(1), json!(3)),
        ("flag", json!(false), json!(true)),
    ] {
        assert_eq!(values[path], json!({"old": old, "new": new}), "{path}");
    }
    // Helm's reader sees exactly the values the JSON reports.
    let text = fs::read_to_string(config(&work, "test", "jukebox")).unwrap();
    if let Some(read) = helm(&env, &text) {
        for (path, at) in [
            ("version", &read["version"]),
            ("a.date", &read["a"]["date"]),
            ("a.n", &read["a"]["n"]),
            ("a.oct", &read["a"]["oct"]),
            ("a.t", &read["a"]["t"]),
            ("replicas", &read["replicas"]),
            ("flag", &read["flag"]),
        ] {
            assert_eq!(&values[path]["new"], at, "{path} as Helm reads it");
        }
    }
    // `gone:=null` writes a null where nothing was: both read as null.
    assert_eq!(values["gone"], json!({"old": null, "new": null}));
}

/// `log --key PATH` follows a nested value: the commits that changed it,
/// as git lists the commits that touched the file, less the one that
/// changed another value; the text names the path.
#[test]
fn log_key_takes_helm_paths() {
    let env = Env::new();
    let (_, work) = seeded(&env, NESTED);
    for line in [
        "set test/jukebox image.tag=v2 --no-push --yes",
        "set test/jukebox version=v9 --no-push --yes",
        "set test/jukebox image.tag=v3 env[0].value=other --no-push --yes",
    ] {
        env.mlops(&work).args(words(line)).assert().success();
    }
    // git's commits of the file, without the one that set `version`.
    let file = "model-deployments/test/jukebox/config.yaml";
    let git_commits: Vec<String> = env
        .git(&work, &["log", "--format=%h %s", "--", file])
        .lines()
        .filter(|l| !l.contains("version=v9"))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(git_commits.len(), 3);
    let log = |keys: &[&str]| {
        let out = env
            .mlops(&work)
            .args(["log", "test/jukebox"])
            .args(keys.iter().flat_map(|k| ["--key", k]))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let text = log(&["image.tag"]);
    let changes: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("->"))
        .map(str::trim)
        .collect();
    assert_eq!(
        changes,
        [
            "image.tag: v2 -> v3",
            "image.tag: v1 -> v2",
            "image.tag: (absent) -> v1"
        ],
        "{text}"
    );
    for commit in &git_commits {
        assert!(text.contains(commit.as_str()), "{commit} in {text}");
    }
    let text = log(&["env[0].value", "podAnnotations.prometheus\\.io/scrape"]);
    let changes: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("->"))
        .map(str::trim)
        .collect();
    assert_eq!(
        changes,
        [
            "env[0].value: jukebox -> other",
            "env[0].value: (absent) -> jukebox",
            "podAnnotations.prometheus\\.io/scrape: (absent) -> \"true\"",
        ],
        "{text}"
    );
    env.mlops(&work)
        .args(words("log test/jukebox --key a..b"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not a path"));
}

/// Numbers compared by value (Helm's reader goes through JSON, so every
/// number comes back as a float).
fn same_json(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// The chart model's JSON of a value (what `set --output json` reports)
/// is what Helm's own reader makes of it, for the spellings YAML 1.1 and
/// 1.2 read differently.
#[test]
fn the_chart_model_reads_values_as_helm_does() {
    let env = Env::new();
    let spellings = [
        "4562e17",
        "\"4562e17\"",
        "2024-01-01",
        "1234567",
        "0123",
        "\"0123\"",
        "\"true\"",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "True",
        "~",
        "null",
        "",
        "1e3",
        "0x1F",
        "-7",
        "+3",
        "1_000",
        "1.5",
        "12:30",
        "v1",
        "'it''s'",
        "{a: 1}",
        "[1, two]",
        "0o17",
        ".5",
        "08",
        "0b101",
        "-0",
        "+0x1F",
        "1e",
        "0.",
        "-1_0",
        "9223372036854775808",
        "18446744073709551616",
        "1:2",
        "0x",
        "=",
        "!!str 3",
        "!!bool yes",
        "Yes",
        "NULL",
    ];
    let text: String = spellings
        .iter()
        .enumerate()
        .map(|(i, v)| format!("k{i}: {v}\n"))
        .collect();
    let Some(helm_read) = helm(&env, &text) else {
        eprintln!("skipped: Helm's reader is not available (see above)");
        return;
    };
    for (i, spelling) in spellings.iter().enumerate() {
        let key = format!("k{i}");
        let ours = chart(&text, &key).unwrap_or(Json::Null);
        assert!(
            same_json(&ours, &helm_read[&key]),
            "`{spelling}`: mlops reads {ours}, Helm reads {}",
            helm_read[&key]
        );
    }
}

/// `set` completes the paths of the nested single values of the named
/// models (`image.t` -> `image.tag=`, a dotted key escaped).
#[test]
fn set_completes_nested_paths() {
    let env = Env::new();
    let (_, work) = seeded(&env, NESTED);
    let complete = |word: &str| {
        let line = ["mlops", "set", "test/jukebox", word];
        let out = env
            .mlops(&work)
            .env("COMPLETE", "bash")
            .env("_CLAP_IFS", "\n")
            .env("_CLAP_COMPLETE_INDEX", (line.len() - 1).to_string())
            .arg("--")
            .args(line)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines().map(str::to_string).collect::<Vec<_>>()
    };
    assert_eq!(
        complete("image."),
        ["image.repository=", "image.tag=", "image.pullPolicy="]
    );
    assert_eq!(
        complete("res"),
        ["resources.limits.cpu=", "resources.limits.memory="]
    );
    assert_eq!(
        complete("podAnnotations.prometheus\\.io/s"),
        ["podAnnotations.prometheus\\.io/scrape="]
    );
    assert_eq!(complete("env[1]"), ["env[1].name=", "env[1].value="]);
}
