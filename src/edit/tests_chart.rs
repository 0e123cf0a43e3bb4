//! `read`: every top-level key as Helm's chart reads it (go-yaml v2's
//! YAML 1.1 rules), `ChartValue::display`/`truthy`, and the warnings.

use super::*;

#[track_caller]
fn reading(text: &str, key: &str) -> Reading {
    let values = read(text.as_bytes()).unwrap_or_else(|r| panic!("{text:?}: {r:?}"));
    values
        .get(key)
        .cloned()
        .unwrap_or_else(|| panic!("{key} in {text:?}"))
}

#[track_caller]
fn chart(plain: &str) -> ChartValue {
    reading(&format!("k: {plain}\n"), "k").value
}

#[test]
fn plain_scalars_as_go_yaml_v2_reads_them() {
    use ChartValue::*;
    let int = |s: &str| Int(s.into());
    let float = |s: &str| Float(s.into());
    let cases = [
        ("4562a17c17", Str("4562a17c17".into())),
        ("0123", int("83")),
        ("08", float("8")),
        ("0x1f", int("31")),
        ("0o17", int("15")),
        ("0b101", int("5")),
        ("-0b11", int("-3")),
        ("1_000", int("1000")),
        ("+7", int("7")),
        ("18446744073709551615", int("18446744073709551615")),
        ("1e3", float("1000")),
        ("1.5", float("1.5")),
        (".5", float("0.5")),
        ("1.", float("1")),
        (".inf", float("+Inf")),
        ("-.INF", float("-Inf")),
        (".NaN", float("NaN")),
        ("1e999", Str("1e999".into())),
        ("12:30", Str("12:30".into())),
        ("2024-01-01", Str("2024-01-01".into())),
        ("1.2.3", Str("1.2.3".into())),
        ("yes", Bool(true)),
        ("Off", Bool(false)),
        ("y", Bool(true)),
        ("TRUE", Bool(true)),
        ("~", Null),
        ("", Null),
        ("NULL", Null),
        ("=", Str("=".into())),
        ("'yes'", Str("yes".into())),
        ("\"a\\tb\"", Str("a\tb".into())),
        ("!!str 3", Str("3".into())),
        ("!!bool on", Bool(true)),
        ("[1, 2]", List(2)),
        ("{a: 1, b: 2, c: 3}", Map(3)),
    ];
    for (text, want) in cases {
        assert_eq!(chart(text), want, "k: {text}");
    }
}

#[test]
fn display_and_truthiness() {
    use ChartValue::*;
    let shown = [
        (Null, "null", false),
        (Bool(true), "true", true),
        (Bool(false), "false", false),
        (Int("3".into()), "3", true),
        (Int("0".into()), "0", false),
        (Float("0".into()), "0", false),
        (Float("NaN".into()), "NaN", true),
        (Str("4562a17c17".into()), "4562a17c17", true),
        (Str("".into()), "\"\"", false),
        (Str("false".into()), "\"false\"", true),
        (Str("0".into()), "\"0\"", true),
        (List(2), "[list of 2]", true),
        (Map(0), "{map of 0}", false),
    ];
    for (value, text, truthy) in shown {
        assert_eq!(value.display(), text, "{value:?}");
        assert_eq!(value.truthy(), truthy, "{value:?}");
    }
}

#[test]
fn warnings_where_readers_disagree_or_the_text_misleads() {
    let warns = |text: &str| reading(&format!("k: {text}\n"), "k").warning;
    for quiet in [
        "true", "false", "v1", "3", "1.5", "'1.2'", "\"text\"", "[a]",
    ] {
        assert_eq!(warns(quiet), None, "k: {quiet}");
    }
    let yes = warns("yes").unwrap();
    assert!(yes.contains("YAML 1.1") && yes.contains("string"), "{yes}");
    assert!(warns("0123").unwrap().contains("reads 83"));
    assert!(warns("1_000").unwrap().contains("yq"));
    assert!(warns("\"false\"").unwrap().contains("string"));
    assert!(warns("!!bool yes").unwrap().contains("!!bool"));
    assert!(warns("~").unwrap().contains("null"));
    let merged = reading("b: &b\n  k: v\n<<: *b\n", "k");
    assert_eq!(merged.value, ChartValue::Str("v".into()));
    assert_eq!(merged.line, 2);
    assert!(merged.warning.unwrap().contains("merge key `<<` (line 3)"));
    let alias = reading("a: &x on\nk: *x\n", "k");
    assert_eq!(alias.value, ChartValue::Bool(true));
    assert!(alias.warning.unwrap().contains("alias *x"));
}

#[test]
fn keys_in_file_order_then_merged() {
    let text = "base: &b\n  m: 1\n  z: 2\nz: 3\n<<: *b\na: 4\n";
    let values = read(text.as_bytes()).unwrap();
    let keys: Vec<&str> = values.keys().map(|(k, _)| k).collect();
    assert_eq!(keys, ["base", "z", "a", "m"]);
    assert_eq!(values.get("z").unwrap().value, ChartValue::Int("3".into()));
    assert_eq!(values.get("a").unwrap().line, 6);
    assert_eq!(values.get("nope"), None);
    assert_eq!(read(b"---\n").unwrap().keys().count(), 0);
    let r = read(b"a: 1\nb: 2\na: 3\n").unwrap_err();
    assert_eq!(r.line, Some(3));
}
