//! `set` with strings: quoted exactly when some reader would read the
//! plain text as something else, plain otherwise, in the style the old
//! value had when that style can hold the new one.

use super::tests_values::{args, changed, yaml12};
use super::*;
use serde_yaml::Value;

#[test]
fn strings_that_read_as_something_else_are_quoted() {
    let tricky = [
        "0123",
        "1e3",
        "true",
        "no",
        "null",
        "~",
        "12:30",
        "*a",
        "&a",
        "!a",
        "@a",
        "`a",
        "%a",
        "#a",
        "- a",
        "-",
        "a: b",
        "a #b",
        "a:",
        " lead",
        "trail ",
        "",
        "\u{7}bell",
        "tab\there",
        "y",
        "n",
        "on",
        "off",
        "Y",
        "NO",
        ".inf",
        "-.Inf",
        ".NaN",
        "0x1f",
        "0o17",
        "0b101",
        "1_000",
        "2024-01-01",
        "2001-12-14t21:59:43.10-05:00",
        "=",
        "<<",
        "?",
        "? a",
        "[a]",
        "{a}",
        ",a",
        "|a",
        ">a",
        "'a",
        "\"a",
        "---",
        "...",
        "+1",
        "-1.5",
        "1.",
        ".5",
        "190:20:30",
        "line\nbreak",
        "cr\rhere",
        "nel\u{85}",
        "ls\u{2028}",
        "bom\u{feff}",
        "del\u{7f}",
        "c1\u{9b}",
        "nul\0",
        "3",
        "-0",
        "+.inf",
        "1e999",
        "True",
        "FALSE",
        "Null",
        "NULL",
    ];
    for s in tricky {
        for base in ["a: 1\n", "k: old # keep\n", "{a: 1}\n", "k: 'old'\n"] {
            let assign = Assign {
                key: "k".into(),
                value: NewValue::Str(s.into()),
            };
            let bytes = match set(base.as_bytes(), &[assign]) {
                Ok(Outcome::Changed { bytes, .. }) => bytes,
                other => panic!("{s:?} in {base:?}: {other:?}"),
            };
            let text = String::from_utf8(bytes.clone()).unwrap();
            assert!(
                text.contains("k: \"") || text.contains("k: '"),
                "{s:?} written unquoted: {text:?}"
            );
            assert_eq!(
                yaml12(&bytes, "k"),
                Some(Value::String(s.into())),
                "{text:?}"
            );
            let chart = read(&bytes).unwrap().get("k").unwrap().value.clone();
            assert_eq!(chart, ChartValue::Str(s.into()), "{text:?}");
            assert!(
                text.contains("# keep") || !base.contains("keep"),
                "{text:?}"
            );
        }
    }
}

#[test]
fn strings_every_reader_takes_as_text_stay_plain() {
    for s in [
        "4562a17c17",
        "image-registry.openshift-image-registry.svc:5000",
        "user1-test",
        "1.2.3",
        "v1",
        "hello world",
        "-v",
        "a,b",
        "a#b",
        "x: y".replace(": ", ":").as_str(),
        "é🚀",
        "latest",
        "0123abc",
        "back\\slash\"",
    ] {
        changed(
            "a: 1\n",
            &[&format!("k={s}")],
            &format!("a: 1\nk: {s}\n"),
            2,
        );
        changed(
            "k: x # c\n",
            &[&format!("k={s}")],
            &format!("k: {s} # c\n"),
            1,
        );
    }
}

#[test]
fn quoting_style_is_kept_when_it_can_hold_the_value() {
    changed("k: 'old' # c\n", &["k=it's"], "k: 'it''s' # c\n", 1);
    changed("k: 'old'\n", &["k=plain"], "k: 'plain'\n", 1);
    changed("k: \"old\"\n", &["k=a\tb"], "k: \"a\\tb\"\n", 1);
    changed(
        "k: \"old\"\n",
        &["k=say \"hi\" \\o/"],
        "k: \"say \\\"hi\\\" \\\\o/\"\n",
        1,
    );
    // Single quotes cannot hold a tab or a line break: double quotes can.
    changed("k: 'old'\n", &["k=a\tb"], "k: \"a\\tb\"\n", 1);
    changed("k: 'old'\n", &["k=a\nb"], "k: \"a\\nb\"\n", 1);
    changed("k: !!str 5\n", &["k=6"], "k: \"6\"\n", 1);
    // Already read as exactly that string, whatever the spelling.
    for same in ["k: '1.0'\n", "k: \"1.0\"\n", "k: !!str 1.0\n"] {
        assert_eq!(
            set(same.as_bytes(), &args(&["k=1.0"])),
            Ok(Outcome::Unchanged)
        );
    }
    changed("k: 1.0\n", &["k=1.0"], "k: \"1.0\"\n", 1);
    // Shapes the engine would not rewrite are fine when already as asked.
    for same in [
        "k: |-\n  a b\n",
        "k: a\n  b\n",
        "x: &x a b\nk: *x\n",
        "? k\n: a b\n",
    ] {
        assert_eq!(
            set(same.as_bytes(), &args(&["k=a b"])),
            Ok(Outcome::Unchanged),
            "{same:?}"
        );
    }
}
