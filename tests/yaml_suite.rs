//! The edit engine over 104 unusual-but-valid top-level mappings from the
//! official YAML test suite (public data kept beside the checkout, in
//! `../shared/yaml-test-suite`, never copied into this repository).
//!
//! For each case and each value the engine either refuses, or its output
//! parses to exactly the suite's expected data plus `autoscaling`, and
//! differs from the input on one line or by one inserted line. Zero wrong
//! edits are allowed. The same holds for `set` of strings and typed values,
//! on a new key and on the case's first existing top-level key, and at
//! depth (every nested scalar, new keys below every nested mapping); where
//! Helm's own reader (tests/helm-values, built when Go is there) reads the
//! case, it must read the edit as the old values with that path set.

use mlops::edit::{
    lookup, read, set, set_autoscaling, Assign, ChartValue, NewValue, Outcome, Path as HelmPath,
    Step,
};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

fn suite_dir() -> Option<PathBuf> {
    // Beside the checkout; a worktree one level deeper finds it further up.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("../shared/yaml-test-suite");
    if dir.is_dir() {
        return Some(dir);
    }
    if root.join("../../shared/yaml-test-suite").is_dir() {
        return Some(root.join("../../shared/yaml-test-suite"));
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
                // The key as a one-step Helm path (its `.`, `[`, `\\`
                // escaped).
                let assign = Assign {
                    key: HelmPath::key(&key).to_string(),
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
                        let steps = [Step::Key(key.clone())];
                        if let Some(why) = helm_disagrees(&input, &bytes, &steps, value) {
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

/// A path's text: each key escaped as a one-step path, joined by `.`.
fn path_text(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(&HelmPath::key(k).to_string()),
            Step::Key(k) => out.push_str(&format!(".{}", HelmPath::key(k))),
            Step::Index(n) => out.push_str(&format!("[{n}]")),
        }
    }
    out
}

/// The paths (string keys only) to the nested scalars and mappings of
/// `value`, below `at`.
fn nested_paths(
    value: &serde_yaml::Value,
    at: &[Step],
    leaves: &mut Vec<Vec<Step>>,
    maps: &mut Vec<Vec<Step>>,
) {
    use serde_yaml::Value;
    if value.is_mapping() && !at.is_empty() {
        maps.push(at.to_vec());
    }
    let mut down = |step: Step, v: &Value| {
        let mut here = at.to_vec();
        here.push(step);
        match v {
            Value::Mapping(_) | Value::Sequence(_) => nested_paths(v, &here, leaves, maps),
            _ if here.len() > 1 => leaves.push(here),
            _ => {}
        }
    };
    match value {
        Value::Mapping(m) => {
            for (k, v) in m {
                if let Value::String(k) = k {
                    down(Step::Key(k.clone()), v);
                }
            }
        }
        Value::Sequence(items) => {
            for (i, v) in items.iter().enumerate() {
                down(Step::Index(i), v);
            }
        }
        _ => {}
    }
}

fn set12(data: &mut serde_yaml::Value, steps: &[Step], value: serde_yaml::Value) -> bool {
    use serde_yaml::Value;
    let Some((first, rest)) = steps.split_first() else {
        *data = value;
        return true;
    };
    let child = match (data, first) {
        (Value::Mapping(m), Step::Key(k)) => m
            .entry(Value::from(k.as_str()))
            .or_insert_with(|| Value::Mapping(serde_yaml::Mapping::new())),
        (Value::Sequence(s), Step::Index(n)) if *n < s.len() => &mut s[*n],
        _ => return false,
    };
    set12(child, rest, value)
}

#[path = "helm-values/reader.rs"]
mod helm_values;

/// Where Helm's own reader reads the old file, it must read the new one as
/// the old values with the path set to what it reads for the value alone.
fn helm_disagrees(input: &[u8], output: &[u8], steps: &[Step], value: &NewValue) -> Option<String> {
    let Some(Ok(mut want)) = helm_values::read(input) else {
        return None;
    };
    let asked = match value {
        NewValue::Str(s) => Json::from(s.as_str()),
        NewValue::Typed(t) => helm_values::read(format!("v: {t}").as_bytes())?.ok()?["v"].clone(),
    };
    if !set_json(&mut want, steps, asked) {
        return Some("Helm reads the old file without that path".into());
    }
    match helm_values::read(output)? {
        Ok(got) if got == want => None,
        Ok(got) => Some(format!("Helm reads {got}, not {want}")),
        Err(e) => Some(format!("Helm cannot read the output: {e}")),
    }
}

fn set_json(data: &mut Json, steps: &[Step], value: Json) -> bool {
    let Some((first, rest)) = steps.split_first() else {
        *data = value;
        return true;
    };
    if let (Json::Null, Step::Key(_)) = (&*data, first) {
        *data = Json::Object(serde_json::Map::new());
    }
    let child = match (data, first) {
        (Json::Object(m), Step::Key(k)) => m
            .entry(k.clone())
            .or_insert_with(|| Json::Object(serde_json::Map::new())),
        (Json::Array(s), Step::Index(n)) if *n < s.len() => &mut s[*n],
        _ => return false,
    };
    set_json(child, rest, value)
}

/// `set` at depth over the suite: every nested scalar replaced, keys
/// inserted 1 and 3 levels below every nested mapping; each edit exact
/// (both readers, bytes changed in one place) or refused.
#[test]
fn yaml_test_suite_nested_set_is_exact_or_refused() {
    let Some(dir) = suite_dir() else { return };
    let values = [
        NewValue::Str("4562a17c17".into()),
        NewValue::Str("yes: #1 it's".into()),
        NewValue::Typed("3".into()),
    ];
    let (mut counts, mut wrong) = ([Counts::default(), Counts::default()], Vec::new());
    for case in cases(&dir) {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read(case.join("in.yaml")).unwrap();
        let Some(old) = mapping(&input) else { continue };
        let old = serde_yaml::Value::Mapping(old);
        let (mut leaves, mut maps) = (Vec::new(), Vec::new());
        nested_paths(&old, &[], &mut leaves, &mut maps);
        let mut asked: Vec<(usize, Vec<Step>)> = leaves.into_iter().map(|l| (0, l)).collect();
        for map in maps {
            for depth in [1, 3] {
                let mut p = map.clone();
                p.extend((0..depth).map(|d| Step::Key(format!("mlops_new{d}"))));
                asked.push((1, p));
            }
        }
        for (kind, steps) in asked {
            let text = path_text(&steps);
            let path = HelmPath::parse(&text).unwrap();
            assert_eq!(path.steps(), &steps[..], "{name}: {text}");
            for value in &values {
                let assign = Assign {
                    key: text.clone(),
                    value: value.clone(),
                };
                let what = format!("{name} {text} {value:?}");
                let bytes = match set(&input, &[assign]) {
                    Err(_) => {
                        counts[kind].refusals += 1;
                        continue;
                    }
                    Ok(Outcome::Unchanged) => {
                        counts[kind].unchanged += 1;
                        continue;
                    }
                    Ok(Outcome::Changed { bytes, .. }) => bytes,
                };
                counts[kind].edits += 1;
                let (yaml12, chart) = match value {
                    NewValue::Str(s) => (serde_yaml::Value::from(s.as_str()), Some(s)),
                    NewValue::Typed(t) => (serde_yaml::from_str(t).unwrap(), None),
                };
                let mut want = old.clone();
                if !set12(&mut want, &steps, yaml12) {
                    wrong.push(format!("{what}: edited a path the data does not have"));
                    continue;
                }
                if mapping(&bytes).map(serde_yaml::Value::Mapping) != Some(want) {
                    wrong.push(format!("{what}: data differs"));
                }
                let inserted = bytes.len() > input.len() && {
                    let p = input.iter().zip(&bytes).take_while(|(a, b)| a == b).count();
                    input[p..] == bytes[bytes.len() - (input.len() - p)..]
                };
                if !(one_line_diff(&input, &bytes) || (kind == 1 && inserted)) {
                    wrong.push(format!("{what}: changed more than the value's place"));
                }
                if let Some(why) = helm_disagrees(&input, &bytes, &steps, value) {
                    wrong.push(format!("{what}: {why}"));
                }
                let read_back = lookup(&bytes, &path).ok().flatten().map(|f| f.json);
                if chart.is_some_and(|s| read_back != Some(Json::from(s.as_str()))) {
                    wrong.push(format!("{what}: the chart does not read the string"));
                }
            }
        }
    }
    eprintln!("yaml-test-suite, nested set (replace): {:?}", counts[0]);
    eprintln!("yaml-test-suite, nested set (insert):  {:?}", counts[1]);
    assert!(wrong.is_empty(), "wrong edits: {wrong:#?}");
}
