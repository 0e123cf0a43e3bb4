//! The edit engine over 104 unusual-but-valid top-level mappings from the
//! official YAML test suite (public data kept beside the checkout, in
//! `../shared/yaml-test-suite`, never copied into this repository).
//!
//! For each case and each value the engine either refuses, or its output
//! parses to exactly the suite's expected data plus `autoscaling`, and
//! differs from the input on one line or by one inserted line. Zero wrong
//! edits are allowed. The same holds for `set` of strings and typed values,
//! on a new key and on the case's first existing top-level key.

use mlops::edit::{read, set, set_autoscaling, Assign, ChartValue, NewValue, Outcome};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

fn suite_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/yaml-test-suite");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{} is missing on a CI machine", dir.display());
    }
    eprintln!(
        "note: {} not found, yaml-test-suite check skipped",
        dir.display()
    );
    None
}

/// serde_yaml's reading of `bytes`, as JSON (None when it cannot read it or
/// the data has no JSON form, e.g. a non-string key). Local tags (`!foo`)
/// are dropped, as the suite's JSON drops them.
fn yaml_as_json(bytes: &[u8]) -> Option<Json> {
    let value: serde_yaml::Value = serde_yaml::from_slice(bytes).ok()?;
    serde_json::to_value(untag(value)).ok()
}

fn untag(value: serde_yaml::Value) -> serde_yaml::Value {
    use serde_yaml::Value;
    match value {
        Value::Tagged(t) => untag(t.value),
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(untag).collect()),
        Value::Mapping(m) => {
            Value::Mapping(m.into_iter().map(|(k, v)| (untag(k), untag(v))).collect())
        }
        other => other,
    }
}

/// True when `new` is `old` with text changed inside one line, or with one
/// line inserted.
fn one_line_diff(old: &[u8], new: &[u8]) -> bool {
    let p = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let max_s = old.len().min(new.len()) - p;
    let s = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take(max_s)
        .take_while(|(a, b)| a == b)
        .count();
    let old_mid = &old[p..old.len() - s];
    let new_mid = &new[p..new.len() - s];
    let breaks = |m: &[u8]| m.iter().filter(|b| **b == b'\n').count();
    (breaks(old_mid) == 0 && breaks(new_mid) == 0) || (old_mid.is_empty() && breaks(new_mid) == 1)
}

#[derive(Default, Debug)]
struct Counts {
    edits: usize,
    unchanged: usize,
    refusals: usize,
}

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("in.yaml").is_file())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 104, "expected 104 cases in {}", dir.display());
    cases
}

#[test]
fn yaml_test_suite_edits_are_exact_or_refused() {
    let Some(dir) = suite_dir() else { return };
    let cases = cases(&dir);

    let mut wrong = Vec::new();
    let mut disagree = Vec::new();
    let mut refused = Vec::new();
    let mut edited_despite_disagreement = Vec::new();
    let mut counts = [Counts::default(), Counts::default()];
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read(case.join("in.yaml")).unwrap();
        let expected: Json =
            serde_json::from_slice(&std::fs::read(case.join("expected.json")).unwrap()).unwrap();
        // Where serde_yaml (libyaml, like Helm's go-yaml) reads the input
        // differently from the suite, an edit is held to serde_yaml's own
        // reading instead: it must keep that reading too.
        let seen = yaml_as_json(&input);
        let agrees = seen.as_ref() == Some(&expected);
        if !agrees {
            disagree.push(name.clone());
        }
        for (i, value) in [true, false].into_iter().enumerate() {
            match set_autoscaling(&input, value) {
                Err(r) => {
                    counts[i].refusals += 1;
                    refused.push(format!("{name} ({value}): line {:?}: {}", r.line, r.reason));
                }
                Ok(Outcome::Unchanged) => {
                    counts[i].unchanged += 1;
                    let already = expected.get("autoscaling") == Some(&Json::Bool(value));
                    if value && !already {
                        wrong.push(format!("{name} ({value}): unchanged"));
                    }
                }
                Ok(Outcome::Changed { bytes, .. }) => {
                    counts[i].edits += 1;
                    let mut want = if agrees {
                        expected.clone()
                    } else {
                        seen.clone().unwrap_or(Json::Null)
                    };
                    want["autoscaling"] = Json::Bool(value);
                    if yaml_as_json(&bytes) != Some(want) {
                        wrong.push(format!("{name} ({value}): data differs"));
                    }
                    if !agrees {
                        edited_despite_disagreement.push(format!("{name} ({value})"));
                    }
                    if !one_line_diff(&input, &bytes) {
                        wrong.push(format!("{name} ({value}): more than one line changed"));
                    }
                }
            }
        }
    }
    eprintln!("yaml-test-suite, set_autoscaling(true):  {:?}", counts[0]);
    eprintln!("yaml-test-suite, set_autoscaling(false): {:?}", counts[1]);
    eprintln!("refusals:\n  {}", refused.join("\n  "));
    eprintln!("serde_yaml disagrees with expected.json on: {disagree:?}");
    eprintln!(
        "of those, edited (checked against serde_yaml's reading): {edited_despite_disagreement:?}"
    );
    assert!(wrong.is_empty(), "wrong edits: {wrong:#?}");
}

/// serde_yaml's reading of a BOM-less input as a mapping, untagged.
fn mapping(bytes: &[u8]) -> Option<serde_yaml::Mapping> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match untag(serde_yaml::from_slice(bytes).ok()?) {
        serde_yaml::Value::Mapping(m) => Some(m),
        serde_yaml::Value::Null => Some(serde_yaml::Mapping::new()),
        _ => None,
    }
}

/// The first top-level key of the input whose value is a scalar (by
/// serde_yaml's reading), as a candidate for replacing in place.
fn first_scalar_key(input: &[u8]) -> Option<String> {
    mapping(input)?.into_iter().find_map(|(k, v)| match (k, v) {
        (serde_yaml::Value::String(k), v) if !v.is_mapping() && !v.is_sequence() => Some(k),
        _ => None,
    })
}

/// Checks one `set` edit independently of the engine: None when right.
fn wrong_edit(input: &[u8], output: &[u8], key: &str, value: &NewValue) -> Option<&'static str> {
    let Some(mut want) = mapping(input) else {
        return Some("edited an input serde_yaml does not read as a mapping");
    };
    let (yaml12, chart) = match value {
        NewValue::Str(s) => (
            serde_yaml::Value::from(s.as_str()),
            Some(ChartValue::Str(s.clone())),
        ),
        NewValue::Typed(t) => (serde_yaml::from_str(t).unwrap(), None),
    };
    want.insert(serde_yaml::Value::from(key), yaml12);
    if mapping(output) != Some(want) {
        return Some("data differs");
    }
    if !one_line_diff(input, output) {
        return Some("more than one line changed");
    }
    let read_back = read(output)
        .ok()
        .and_then(|v| v.get(key).map(|r| r.value.clone()));
    if chart.is_some_and(|c| read_back != Some(c)) {
        return Some("the chart does not read the string");
    }
    None
}

#[test]
fn yaml_test_suite_set_is_exact_or_refused() {
    let Some(dir) = suite_dir() else { return };
    let values = [
        NewValue::Str("4562a17c17".into()),
        NewValue::Str("yes: #1 it's".into()),
        NewValue::Typed("3".into()),
        NewValue::Typed("'x'".into()),
    ];
    let mut counts: Vec<(String, Counts)> = Vec::new();
    let mut wrong = Vec::new();
    for case in cases(&dir) {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read(case.join("in.yaml")).unwrap();
        let existing = first_scalar_key(&input);
        let keys = [Some("mlops_new_key".to_string()), existing];
        for (where_, key) in ["new key", "existing key"].iter().zip(keys) {
            let Some(key) = key else { continue };
            for value in &values {
                let label = format!("{where_}, {value:?}");
                let i = match counts.iter().position(|(l, _)| *l == label) {
                    Some(i) => i,
                    None => {
                        counts.push((label, Counts::default()));
                        counts.len() - 1
                    }
                };
                let assign = Assign {
                    key: key.clone(),
                    value: value.clone(),
                };
                match set(&input, &[assign]) {
                    Err(_) => counts[i].1.refusals += 1,
                    Ok(Outcome::Unchanged) => {
                        counts[i].1.unchanged += 1;
                        let now = read(&input)
                            .ok()
                            .and_then(|v| v.get(&key).map(|r| r.value.clone()));
                        if let NewValue::Str(s) = value {
                            if now != Some(ChartValue::Str(s.clone())) {
                                wrong.push(format!("{name} {key} {value:?}: unchanged"));
                            }
                        }
                    }
                    Ok(Outcome::Changed { bytes, .. }) => {
                        counts[i].1.edits += 1;
                        if let Some(why) = wrong_edit(&input, &bytes, &key, value) {
                            wrong.push(format!("{name} {key} {value:?}: {why}"));
                        }
                    }
                }
            }
        }
    }
    for (label, c) in &counts {
        eprintln!("yaml-test-suite, set ({label}): {c:?}");
    }
    assert!(wrong.is_empty(), "wrong edits: {wrong:#?}");
}
