//! Property test: generated values files (comments, also after values,
//! quoting styles, blank lines, LF/CRLF, BOM, final newline or not, `---`
//! or not, `autoscaling` absent or in many spellings). Every edit changes
//! one line or inserts one, keeps all other data, and reads back as asked:
//! `set_autoscaling`, and `set` of arbitrary strings and typed values on
//! the same files and on a few fixed ones.

use mlops::edit::{
    read, read_autoscaling, set, set_autoscaling, Assign, ChartValue, NewValue, Outcome,
};
use proptest::prelude::*;
use serde_yaml::Value;

#[derive(Debug, Clone)]
struct Config {
    entries: Vec<(String, String, Option<String>)>,
    blank_after: Vec<bool>,
    comment_lines: Vec<Option<String>>,
    autoscaling: Option<(usize, &'static str, &'static str, Option<String>)>,
    crlf: bool,
    bom: bool,
    final_newline: bool,
    doc_start: bool,
    doc_end: bool,
}

const SPELLINGS: &[&str] = &[
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "N",
    "True",
    "FALSE",
    "\"false\"",
    "'true'",
    "\"no\"",
    "~",
    "null",
    "",
    "0",
    "1",
    "!!str true",
    "enabled",
];
const KEY_STYLES: &[&str] = &["autoscaling", "\"autoscaling\"", "'autoscaling'"];
const VALUES: &[&str] = &[
    "jukebox",
    "latest",
    "\"quoted: text\"",
    "'single'",
    "42",
    "{}",
    "[]",
    "[a, b]",
    "{x: 1}",
    "\n  sub: 1\n  other: two",
    "\n  - one\n  - two",
    "true",
    "no",
    "~",
];
const NAMES: &[&str] = &[
    "name",
    "version",
    "image_repository",
    "image_namespace",
    "keda",
    "canary",
    "replicas",
    "chart_path",
];

fn comment() -> impl Strategy<Value = Option<String>> {
    prop::option::of(
        prop::sample::select(vec!["# note", "#x", "# 🚀 ⚠️ can differ", "# key: value"])
            .prop_map(String::from),
    )
}

fn config() -> impl Strategy<Value = Config> {
    let entries = prop::collection::vec(
        (
            prop::sample::select(VALUES.to_vec()).prop_map(String::from),
            comment(),
        ),
        1..NAMES.len(),
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (value, c))| (NAMES[i].to_string(), value, c))
            .collect::<Vec<_>>()
    });
    (
        entries,
        prop::collection::vec(any::<bool>(), 8),
        prop::collection::vec(comment(), 8),
        prop::option::of((
            0..8usize,
            prop::sample::select(SPELLINGS.to_vec()),
            prop::sample::select(KEY_STYLES.to_vec()),
            comment(),
        )),
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                entries,
                blank_after,
                comment_lines,
                autoscaling,
                (crlf, bom, final_newline, doc_start, doc_end),
            )| Config {
                entries,
                blank_after,
                comment_lines,
                autoscaling,
                crlf,
                bom,
                final_newline,
                doc_start,
                doc_end,
            },
        )
}

fn render(c: &Config) -> String {
    let mut lines: Vec<String> = Vec::new();
    if c.doc_start {
        lines.push("---".into());
    }
    let entry = |k: &str, v: &str, com: &Option<String>| {
        let sep = if v.starts_with('\n') || v.is_empty() {
            ""
        } else {
            " "
        };
        let mut line = format!("{k}:{sep}{v}");
        if let Some(com) = com {
            if v.starts_with('\n') {
                line = format!("{k}: {com}{v}");
            } else {
                line = format!("{line} {com}");
            }
        }
        line
    };
    for (i, (k, v, com)) in c.entries.iter().enumerate() {
        if let Some((at, spelling, key, com)) = &c.autoscaling {
            if *at == i {
                lines.push(entry(key, spelling, com));
            }
        }
        lines.extend(entry(k, v, com).split('\n').map(String::from));
        if let Some(Some(com)) = c.comment_lines.get(i) {
            lines.push(if i % 2 == 0 {
                format!("  {com}")
            } else {
                com.clone()
            });
        }
        if c.blank_after.get(i) == Some(&true) {
            lines.push(String::new());
        }
    }
    if let Some((at, spelling, key, com)) = &c.autoscaling {
        if *at >= c.entries.len() {
            lines.push(entry(key, spelling, com));
        }
    }
    if c.doc_end {
        lines.push("...".into());
    }
    let eol = if c.crlf { "\r\n" } else { "\n" };
    let mut text = lines.join(eol);
    if c.final_newline {
        text.push_str(eol);
    }
    if c.bom {
        text.insert(0, '\u{feff}');
    }
    text
}

fn data(bytes: &[u8]) -> Value {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_yaml::from_slice(body).expect("generated YAML parses")
}

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
    let (old_mid, new_mid) = (&old[p..old.len() - s], &new[p..new.len() - s]);
    let breaks = |m: &[u8]| m.iter().filter(|b| **b == b'\n').count();
    (breaks(old_mid) == 0 && breaks(new_mid) == 0) || (old_mid.is_empty() && breaks(new_mid) == 1)
}

proptest! {
    #[test]
    fn edits_touch_one_line_and_keep_the_data(c in config(), value in any::<bool>()) {
        let text = render(&c);
        let input = text.as_bytes();
        let outcome = set_autoscaling(input, value);
        // Every generated shape is one the engine accepts: no refusals.
        prop_assert!(outcome.is_ok(), "refused {text:?}: {outcome:?}");
        match outcome.unwrap() {
            Outcome::Unchanged => {
                let seen = read_autoscaling(input).unwrap().effective;
                prop_assert!(seen == Some(value) || (!value && c.autoscaling.is_none()), "{text:?}");
            }
            Outcome::Changed { bytes, line } => {
                prop_assert!(one_line_diff(input, &bytes), "{text:?} -> {:?}", String::from_utf8_lossy(&bytes));
                let mut want = match data(input) {
                    Value::Mapping(m) => m,
                    _ => serde_yaml::Mapping::new(),
                };
                want.insert(Value::from("autoscaling"), Value::Bool(value));
                prop_assert_eq!(data(&bytes), Value::Mapping(want));
                let new_text = String::from_utf8(bytes.clone()).unwrap();
                let edited = new_text.split('\n').nth(line - 1).unwrap_or("");
                prop_assert!(edited.contains("true") || edited.contains("false"), "line {line} of {new_text:?}");
                prop_assert_eq!(read_autoscaling(&bytes).unwrap().effective, Some(value));
                prop_assert_eq!(set_autoscaling(&bytes, value), Ok(Outcome::Unchanged));
            }
        }
    }
}

proptest! {
    /// No input makes either call panic (a fuzz target will follow).
    #[test]
    fn never_panics(text in "(autoscaling|a|<<|---|\\.\\.\\.|[-:?&*!|>#'\"{}\\[\\],~ \t]|\r?\n|yes|\u{feff}){0,40}") {
        for value in [true, false] {
            if let Ok(Outcome::Changed { bytes, .. }) = set_autoscaling(text.as_bytes(), value) {
                prop_assert_eq!(read_autoscaling(&bytes).map(|r| r.effective), Ok(Some(value)));
            }
        }
        let _ = read_autoscaling(text.as_bytes());
    }
}

/// serde_yaml's (YAML 1.2) reading of top-level `key` in `bytes`.
fn yaml12_value(bytes: &[u8], key: &str) -> Option<Value> {
    match data(bytes) {
        Value::Mapping(m) => m.get(key).cloned(),
        _ => None,
    }
}

#[path = "helm-values/reader.rs"]
mod helm_values;

/// Files the string goes into: a new key, a plain value, a quoted one of
/// each style with a comment, a one-line flow mapping, an empty document.
const HOMES: &[&str] = &[
    "name: jukebox\nversion: v1\n",
    "---\nk: old # keep\n",
    "k: 'old'\r\nb: 1\r\n",
    "k: \"old\" # keep\n",
    "{name: jukebox, k: v1}\n",
    "---\n",
];

fn string_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,12}",
        "[0-9._:+eExob-]{1,8}",
        "(yes|no|on|off|y|n|true|null|~|-|:|#|'|\"|&|\\*|!|%|@|`|\\?|<<|=| |\t|\n|\u{85}|\u{2028}|\u{feff}|\u{7f}|\u{9f}|é|🚀|a|0){1,6}",
    ]
}

proptest! {
    /// Any string either reads back as exactly that string, by YAML 1.2
    /// and by the chart's reading, or is refused: never a wrong value.
    #[test]
    fn strings_round_trip_or_are_refused(s in string_value(), home in 0..HOMES.len()) {
        let input = HOMES[home].as_bytes();
        let assign = Assign { key: "k".into(), value: NewValue::Str(s.clone()) };
        let Ok(outcome) = set(input, std::slice::from_ref(&assign)) else { return Ok(()) };
        let bytes = match outcome {
            Outcome::Changed { bytes, .. } => bytes,
            Outcome::Unchanged => input.to_vec(),
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        prop_assert_eq!(yaml12_value(&bytes, "k"), Some(Value::String(s.clone())), "{:?}", text);
        let chart = read(&bytes).unwrap().get("k").map(|r| r.value.clone());
        prop_assert_eq!(chart, Some(ChartValue::Str(s.clone())), "{:?}", text);
        prop_assert!(one_line_diff(input, &bytes), "{:?}", text);
        // Helm's own reader (when Go is there) reads exactly the string.
        if let Some(read) = helm_values::read(&bytes) {
            prop_assert_eq!(read.map(|v| v["k"].clone()), Ok(serde_json::Value::String(s.clone())), "Helm reads {:?}", text);
        }
        prop_assert!(!HOMES[home].contains("# keep") || text.contains("# keep"), "{:?}", text);
        prop_assert_eq!(set(&bytes, &[assign]), Ok(Outcome::Unchanged));
    }
}

/// A `KEY=STRING` or a `KEY:=SCALAR` value.
fn new_value() -> impl Strategy<Value = NewValue> {
    let typed = [
        "true", "3", "null", "\"x\"", "'it''s'", "1.5", "~", "yes", "-7", "'0123'",
    ];
    prop_oneof![
        string_value().prop_map(NewValue::Str),
        prop::sample::select(typed.to_vec()).prop_map(|t| NewValue::Typed(t.into())),
    ]
}

proptest! {
    /// `set` on the generated files: exact, or refused only where the
    /// key's current value is a mapping or a list.
    #[test]
    fn set_on_generated_files(c in config(), key in 0..NAMES.len() + 1, value in new_value()) {
        let text = render(&c);
        let input = text.as_bytes();
        let key = NAMES.get(key).copied().unwrap_or("autoscaling");
        let assign = Assign { key: key.into(), value: value.clone() };
        let old = yaml12_value(input, key);
        let bytes = match set(input, std::slice::from_ref(&assign)) {
            Err(r) => {
                let collection = old.as_ref().is_some_and(|v| v.is_mapping() || v.is_sequence());
                prop_assert!(collection, "refused {text:?}: {r:?}");
                return Ok(());
            }
            Ok(Outcome::Unchanged) => input.to_vec(),
            Ok(Outcome::Changed { bytes, .. }) => bytes,
        };
        let new_text = String::from_utf8_lossy(&bytes).into_owned();
        let mut want = match data(input) {
            Value::Mapping(m) => m,
            _ => serde_yaml::Mapping::new(),
        };
        let yaml12 = match &value {
            NewValue::Str(s) => Value::String(s.clone()),
            NewValue::Typed(t) => serde_yaml::from_str(t).unwrap(),
        };
        want.insert(Value::from(key), yaml12);
        prop_assert_eq!(data(&bytes), Value::Mapping(want), "{:?}", new_text);
        prop_assert!(one_line_diff(input, &bytes), "{:?} -> {:?}", text, new_text);
        if let NewValue::Str(s) = value {
            let chart = read(&bytes).unwrap().get(key).map(|r| r.value.clone());
            prop_assert_eq!(chart, Some(ChartValue::Str(s)), "{:?}", new_text);
        }
        prop_assert_eq!(set(&bytes, &[assign]), Ok(Outcome::Unchanged));
    }
}
