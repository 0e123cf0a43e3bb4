//! What must hold for any input to the edit engine; shared by the fuzz
//! target (fuzz/fuzz_targets/edit.rs) and the regression tests
//! (tests/fuzz_regressions.rs), so a saved input is checked exactly as the
//! fuzzer checked it.
//!
//! Input: a first byte below 0x80 switches `autoscaling` (odd = `enable`,
//! true; even = `disable`, false) and the rest is the file; from 0x80 up,
//! the rest is one `PATH=STRING` or `PATH:=SCALAR` line for `set` (a Helm
//! path: `a.b`, `a[0].b`, `a\.b`), then the file. No panic anywhere; and
//! when the engine returns an edit:
//! - the input parsed (serde_yaml, the same YAML reader Helm-like tools use),
//! - the output parses, its first document is the old one with only the
//!   value at the path (missing mappings created) reading as asked (the
//!   boolean; the string; the typed scalar as serde_yaml reads it alone),
//!   at every depth,
//! - later documents are unchanged,
//! - the engine reads its own output as the value asked for (a string as
//!   exactly that string), and a second edit with the same value is
//!   "unchanged" (idempotent).

use mlops::edit::{self, Assign, ChartValue, NewValue, Outcome, Step};
use serde_yaml::Value;

/// All documents of `bytes`, or why they do not parse. A leading UTF-8
/// byte order mark is dropped first: serde_yaml 0.9 (its libyaml port)
/// reads `BOM a: 1 NL b: 2` as two documents, which Helm does not, so
/// keeping it would blame the engine for the reader's fault.
fn documents(bytes: &[u8]) -> Result<Vec<Value>, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut docs = Vec::new();
    for doc in serde_yaml::Deserializer::from_slice(bytes) {
        docs.push(
            serde::Deserialize::deserialize(doc).map_err(|e: serde_yaml::Error| e.to_string())?,
        );
    }
    Ok(docs)
}

/// The first document as a mapping (an empty file or a null document is
/// an empty mapping, as Helm sees it).
fn top(docs: &[Value]) -> Option<serde_yaml::Mapping> {
    match docs.first() {
        None | Some(Value::Null) => Some(serde_yaml::Mapping::new()),
        Some(Value::Mapping(m)) => Some(m.clone()),
        Some(_) => None,
    }
}

pub fn check(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    if first < 0x80 {
        check_autoscaling(first & 1 == 1, rest);
        return;
    }
    let (arg, input) = match rest.iter().position(|b| *b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let Some(assign) = std::str::from_utf8(arg).ok().and_then(edit::parse_assign) else {
        return;
    };
    check_set(assign, input);
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn check_autoscaling(value: bool, input: &[u8]) {
    let _ = edit::read_autoscaling(input);
    let Ok(Outcome::Changed { bytes, line }) = edit::set_autoscaling(input, value) else {
        return;
    };
    let key = [Step::Key("autoscaling".into())];
    same_but(input, &bytes, &key, &Value::Bool(value), line);
    let reading = edit::read_autoscaling(&bytes)
        .unwrap_or_else(|r| panic!("cannot read own output ({}):\n{}", r.reason, show(&bytes)));
    assert_eq!(
        reading.effective,
        Some(value),
        "reads back wrong:\n{}",
        show(&bytes)
    );
    assert_eq!(
        edit::set_autoscaling(&bytes, value),
        Ok(Outcome::Unchanged),
        "second edit not unchanged:\n{}",
        show(&bytes)
    );
}

fn check_set(assign: Assign, input: &[u8]) {
    let _ = edit::read(input);
    let Ok(Outcome::Changed { bytes, line }) = edit::set(input, std::slice::from_ref(&assign))
    else {
        return;
    };
    let path = edit::Path::parse(&assign.key)
        .unwrap_or_else(|e| panic!("edited with a path that does not parse: {e}"));
    let (want, chart) = match &assign.value {
        NewValue::Str(s) => (Value::String(s.clone()), Some(ChartValue::Str(s.clone()))),
        NewValue::Typed(t) => (
            serde_yaml::from_str(t).unwrap_or_else(|e| panic!("wrote {t:?}, not YAML: {e}")),
            None,
        ),
    };
    same_but(input, &bytes, path.steps(), &want, line);
    let found = edit::lookup(&bytes, &path)
        .unwrap_or_else(|r| panic!("cannot read own output ({}):\n{}", r.reason, show(&bytes)));
    if let Some(chart) = chart {
        assert_eq!(
            found.map(|f| f.reading.value),
            Some(chart),
            "the chart reads another value:\n{}",
            show(&bytes)
        );
    }
    assert_eq!(
        edit::set(&bytes, &[assign]),
        Ok(Outcome::Unchanged),
        "second edit not unchanged:\n{}",
        show(&bytes)
    );
}

/// `data` with the value at `steps` set (missing mappings created);
/// `false` when the path goes through a scalar or a missing element.
fn set_at(data: &mut Value, steps: &[Step], value: Value) -> bool {
    let Some((first, rest)) = steps.split_first() else {
        *data = value;
        return true;
    };
    // An empty value on the way becomes the mapping (as Helm fills it).
    if let (Value::Null, Step::Key(_)) = (&*data, first) {
        *data = Value::Mapping(serde_yaml::Mapping::new());
    }
    let child = match (data, first) {
        (Value::Mapping(m), Step::Key(k)) => m
            .entry(Value::String(k.clone()))
            .or_insert_with(|| Value::Mapping(serde_yaml::Mapping::new())),
        (Value::Sequence(s), Step::Index(n)) if *n < s.len() => &mut s[*n],
        _ => return false,
    };
    set_at(child, rest, value)
}

/// `output` holds `input`'s data with only the value at `steps` set to
/// `value` (every other value, at every depth, as it was).
fn same_but(input: &[u8], output: &[u8], steps: &[Step], value: &Value, line: usize) {
    let bytes = output;
    let old_docs = documents(input)
        .unwrap_or_else(|e| panic!("edited a file that does not parse ({e}):\n{}", show(input)));
    let new_docs = documents(bytes).unwrap_or_else(|e| {
        panic!(
            "output does not parse ({e}):\n--- in\n{}\n--- out\n{}",
            show(input),
            show(bytes)
        )
    });
    let old = top(&old_docs).unwrap_or_else(|| panic!("edited a non-mapping:\n{}", show(input)));
    let new = top(&new_docs).unwrap_or_else(|| panic!("output is not a mapping:\n{}", show(bytes)));
    let mut want = Value::Mapping(old);
    assert!(
        set_at(&mut want, steps, value.clone()),
        "edited a path the data does not have ({steps:?}):\n{}",
        show(input)
    );
    assert_eq!(
        Value::Mapping(new),
        want,
        "not the old data with only {steps:?} set to {value:?}:\n--- in\n{}\n--- out\n{}",
        show(input),
        show(bytes)
    );
    assert_eq!(
        old_docs.get(1..),
        new_docs.get(1..),
        "later documents changed:\n--- in\n{}\n--- out\n{}",
        show(input),
        show(bytes)
    );
    assert!(
        line >= 1 && line <= bytes.split(|b| *b == b'\n').count(),
        "line {line} out of range"
    );
}
