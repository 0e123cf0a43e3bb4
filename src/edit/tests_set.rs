//! `set_autoscaling`: exact bytes for every accepted shape, and a line
//! number for every refusal.

use super::*;

fn set(input: &str, value: bool) -> Result<Outcome, Refusal> {
    set_autoscaling(input.as_bytes(), value)
}

#[track_caller]
fn changed(input: &str, value: bool, expected: &str, line: usize) {
    match set(input, value) {
        Ok(Outcome::Changed { bytes, line: l }) => {
            assert_eq!(
                String::from_utf8(bytes).unwrap(),
                expected,
                "input: {input:?}"
            );
            assert_eq!(l, line, "line for {input:?}");
        }
        other => panic!("expected a change for {input:?}, got {other:?}"),
    }
}

#[track_caller]
fn unchanged(input: &str, value: bool) {
    assert_eq!(
        set(input, value),
        Ok(Outcome::Unchanged),
        "input: {input:?}"
    );
}

#[track_caller]
fn refused(input: &str, value: bool, line: usize, reason_part: &str) {
    is_refusal(set(input, value), Some(line), reason_part, input);
}

/// `result` is a refusal on `line` whose reason has `reason_part`, with a
/// hint; `what` names the call in the message.
#[track_caller]
pub(super) fn is_refusal(
    result: Result<Outcome, Refusal>,
    line: Option<usize>,
    reason_part: &str,
    what: &str,
) {
    match result {
        Err(r) => {
            assert_eq!(r.line, line, "line of refusal {r:?} for {what:?}");
            assert!(
                r.reason.contains(reason_part),
                "reason {:?} lacks {reason_part:?}",
                r.reason
            );
            assert!(!r.hint.is_empty(), "refusal without a hint: {r:?}");
        }
        other => panic!("expected a refusal for {what:?}, got {other:?}"),
    }
}

fn fixture(name: &str) -> String {
    let path = format!("{}/fixtures/configs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn empty_document_fresh_environment() {
    changed("---\n", true, "---\nautoscaling: true\n", 2);
    unchanged("---\n", false);
    changed("", true, "autoscaling: true\n", 1);
    changed("---", true, "---\nautoscaling: true", 2);
    changed(
        "# only a comment\n",
        true,
        "# only a comment\nautoscaling: true\n",
        2,
    );
    changed(
        "%YAML 1.1\n---\n",
        true,
        "%YAML 1.1\n---\nautoscaling: true\n",
        3,
    );
    changed("--- # fresh\n", true, "--- # fresh\nautoscaling: true\n", 2);
}

#[test]
fn workshop_example_with_emoji_comment() {
    let input = fixture("workshop-example.yaml");
    let expected = format!("{input}autoscaling: true\n");
    changed(&input, true, &expected, input.lines().count() + 1);
    unchanged(&input, false);
    let with_key = input.replace(
        "version: 4562a17c17",
        "autoscaling: no # 🚀 keep\nversion: 4562a17c17",
    );
    let expected = with_key.replace("autoscaling: no #", "autoscaling: true #");
    changed(&with_key, true, &expected, 4);
}

#[test]
fn chart_values_canary_comment_no_final_newline() {
    let input = fixture("chart-values.yaml");
    assert!(input.ends_with("canary: {}\n  # trafficPercent: 10"));
    changed(
        &input,
        true,
        &input.replace("autoscaling: false", "autoscaling: true"),
        6,
    );
    unchanged(&input, false);
    let absent = input.replace("autoscaling: false\n", "");
    let expected = format!("{absent}\nautoscaling: true");
    changed(&absent, true, &expected, 9);
}

#[test]
fn bootstrap_anchors_stay() {
    let input = fixture("bootstrap-anchors.yaml");
    changed(&input, true, &format!("{input}autoscaling: true\n"), 11);
    let with = format!("{input}autoscaling: false\n");
    changed(&with, true, &format!("{input}autoscaling: true\n"), 11);
}

#[test]
fn line_endings_bom_and_markers() {
    changed(
        "a: 1\r\nb: 2\r\n",
        true,
        "a: 1\r\nb: 2\r\nautoscaling: true\r\n",
        3,
    );
    changed(
        "a: 1\r\nautoscaling: no # c\r\nb: 2\r\n",
        true,
        "a: 1\r\nautoscaling: true # c\r\nb: 2\r\n",
        2,
    );
    changed("a: 1\r\nb: 2", true, "a: 1\r\nb: 2\r\nautoscaling: true", 3);
    changed(
        "\u{feff}a: 1\n",
        true,
        "\u{feff}a: 1\nautoscaling: true\n",
        2,
    );
    changed(
        "\u{feff}autoscaling: off\n",
        true,
        "\u{feff}autoscaling: true\n",
        1,
    );
    changed("a: 1", true, "a: 1\nautoscaling: true", 2);
    changed("a: 1\n...\n", true, "a: 1\nautoscaling: true\n...\n", 2);
    changed(
        "---\na: 1\n...\n",
        true,
        "---\na: 1\nautoscaling: true\n...\n",
        3,
    );
    changed(
        "%YAML 1.1\n---\na: 1\n",
        true,
        "%YAML 1.1\n---\na: 1\nautoscaling: true\n",
        4,
    );
    changed(
        "a: 1\n# end\n\n\n",
        true,
        "a: 1\n# end\nautoscaling: true\n\n\n",
        3,
    );
    changed("a: 1\n\n", true, "a: 1\nautoscaling: true\n\n", 2);
    changed(
        "a:\n  b: 1\n  c: [1,\n    2]\n",
        true,
        "a:\n  b: 1\n  c: [1,\n    2]\nautoscaling: true\n",
        5,
    );
    changed(
        "text: |\n  a\n  b\n",
        true,
        "text: |\n  a\n  b\nautoscaling: true\n",
        4,
    );
    changed("a: 1\nlast:\n", true, "a: 1\nlast:\nautoscaling: true\n", 3);
}

#[test]
fn indented_top_level() {
    changed(
        "  a: 1\n  b: 2\n",
        true,
        "  a: 1\n  b: 2\n  autoscaling: true\n",
        3,
    );
    changed(
        "  a: 1\n  autoscaling: 'no'\n",
        true,
        "  a: 1\n  autoscaling: true\n",
        2,
    );
}

#[test]
fn spellings_become_the_plain_word() {
    for old in [
        "\"false\"",
        "no",
        "False",
        "~",
        "yes",
        "on",
        "'true'",
        "null",
        "Off",
        "0",
        "1",
        "\"\"",
        "!!str false",
        "!!bool false",
        "&a yes",
        "enabled",
        "TRUE",
    ] {
        for value in [true, false] {
            let input = format!("name: x\nautoscaling: {old} # why\nkeda: false\n");
            let expected = format!("name: x\nautoscaling: {value} # why\nkeda: false\n");
            changed(&input, value, &expected, 2);
        }
    }
    changed("autoscaling:\nb: 1\n", true, "autoscaling: true\nb: 1\n", 1);
    changed(
        "autoscaling: # later\nb: 1\n",
        false,
        "autoscaling: false # later\nb: 1\n",
        1,
    );
    changed("autoscaling:", true, "autoscaling: true", 1);
    changed(
        "autoscaling:\n  no\nb: 1\n",
        true,
        "autoscaling:\n  true\nb: 1\n",
        2,
    );
}

#[test]
fn plain_word_is_unchanged() {
    unchanged("autoscaling: true # on\n", true);
    unchanged("autoscaling: false\n", false);
    unchanged("a: 1\n", false);
    unchanged("{a: 1}\n", false);
    changed("autoscaling: true\n", false, "autoscaling: false\n", 1);
}

#[test]
fn quoted_key_and_flow_mapping_values() {
    changed(
        "\"autoscaling\": \"false\" # c\nb: 1\n",
        true,
        "\"autoscaling\": true # c\nb: 1\n",
        1,
    );
    changed("'autoscaling' : no\n", true, "'autoscaling' : true\n", 1);
    changed(
        "{a: 1, autoscaling: no}\n",
        true,
        "{a: 1, autoscaling: true}\n",
        1,
    );
}

#[test]
fn merge_keys() {
    let base = "base: &base\n  autoscaling: yes\n  replicas: 2\n";
    // Only the merge provides it: an explicit entry overrides it here.
    changed(
        &format!("{base}<<: *base\n"),
        false,
        &format!("{base}<<: *base\nautoscaling: false\n"),
        5,
    );
    changed(
        &format!("{base}<<: *base\n"),
        true,
        &format!("{base}<<: *base\nautoscaling: true\n"),
        5,
    );
    let plain = "base: &base\n  autoscaling: true\n<<: *base\n";
    unchanged(plain, true);
    changed(plain, false, &format!("{plain}autoscaling: false\n"), 4);
    // An explicit key wins over the merge: that one is edited.
    let both = format!("{base}<<: *base\nautoscaling: off\n");
    changed(
        &both,
        true,
        &format!("{base}<<: *base\nautoscaling: true\n"),
        5,
    );
}

#[test]
fn refusals() {
    refused(
        "autoscaling: true\nb: 1\nautoscaling: false\n",
        true,
        3,
        "appears twice",
    );
    refused(
        "autoscaling: &a true\nb: *a\n",
        false,
        1,
        "used again by `*a` on line 2",
    );
    refused("x: &x true\nautoscaling: *x\n", false, 2, "alias");
    refused("autoscaling:\n  enabled: true\n", true, 2, "mapping");
    refused("autoscaling: {enabled: true}\n", true, 1, "mapping");
    refused("autoscaling:\n  - a\n", true, 2, "list");
    refused("autoscaling: [a]\n", true, 1, "list");
    refused("autoscaling: !custom false\n", true, 1, "tag");
    refused("autoscaling: !!int 0\n", true, 1, "tag");
    refused("a: 1\n---\nb: 2\n", true, 2, "more than one");
    refused("- a\n- b\n", true, 1, "list");
    refused("just a string\n", true, 1, "single value");
    refused("{a: 1,\n b: 2}\n", true, 1, "flow mapping");
    refused("a: [1\n", true, 2, "invalid YAML");
    refused("a: 1\n b: 2\n", true, 2, "invalid YAML");
    refused("autoscaling: |\n  true\n", false, 1, "several lines");
    refused("autoscaling: \"tr\n  ue\"\n", false, 1, "several lines");
    refused("autoscaling: no\n  more\n", false, 1, "several lines");
    refused("? autoscaling\n: no\n", true, 1, "explicit key");
    refused("--- !!set\n? a\n", true, 1, "tag");
    refused(
        "&k autoscaling: no\n*k : yes\n",
        true,
        2,
        "alias or with a tag",
    );
    refused("a: 1\na: 2\n", true, 2, "`a` appears twice");
    // go-yaml reads `yes` as a boolean here, serde_yaml (YAML 1.2) does
    // not: the self-check cannot vouch for the file, so no edit.
    refused("autoscaling: !!bool yes\n", false, 1, "cannot be read");
    refused("base: 1\n<<: *nothing\n", true, 2, "invalid YAML");
    refused("b: 1\n<<: [1]\n", true, 2, "merge key");
    match set_autoscaling(b"a: \xff\n", true) {
        Err(r) => assert_eq!((r.line, r.reason.contains("UTF-8")), (Some(1), true)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn never_panics_on_odd_bytes() {
    for input in [
        "",
        "\n",
        ":",
        "? ",
        "-",
        "&a",
        "*a",
        "!!",
        "%YAML 1.1",
        "...",
        "--- |",
        "\t",
        "\r",
        "\u{feff}",
    ] {
        let _ = set(input, true);
        let _ = set(input, false);
        let _ = read_autoscaling(input.as_bytes());
    }
}
