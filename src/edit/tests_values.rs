//! `set` with strings and typed values: exact bytes, both readers' reading
//! of the result, refusals with their line.

use super::*;
use serde_yaml::Value;

/// The workshop's reference config (mlops-gitops
/// `model-deployments/test/jukebox/config.yaml.workshop-example`).
const WORKSHOP: &str = "---
chart_path: charts/model-deployment/music-transformer
name: jukebox
version: 4562a17c17 # 🚩⚠️ this value can be different for you
image_repository: image-registry.openshift-image-registry.svc:5000
image_namespace: user1-test
";

pub(super) fn args(list: &[&str]) -> Vec<Assign> {
    list.iter().map(|a| parse_assign(a).unwrap()).collect()
}

#[track_caller]
pub(super) fn changed(input: &str, assigns: &[&str], expected: &str, line: usize) {
    match set(input.as_bytes(), &args(assigns)) {
        Ok(Outcome::Changed { bytes, line: l }) => {
            let text = String::from_utf8(bytes).unwrap();
            assert_eq!(text, expected, "{assigns:?} in {input:?}");
            assert_eq!(l, line, "first changed line for {assigns:?} in {input:?}");
            let again = set(text.as_bytes(), &args(assigns));
            assert_eq!(again, Ok(Outcome::Unchanged), "second set of {assigns:?}");
        }
        other => panic!("expected a change for {assigns:?} in {input:?}, got {other:?}"),
    }
}

#[track_caller]
fn refused(input: &str, assigns: &[&str], line: Option<usize>, reason_part: &str) {
    let what = format!("{assigns:?} in {input:?}");
    let result = set(input.as_bytes(), &args(assigns));
    super::tests_set::is_refusal(result, line, reason_part, &what);
}

/// YAML 1.2's (serde_yaml's) reading of top-level `key`.
pub(super) fn yaml12(bytes: &[u8], key: &str) -> Option<Value> {
    let body = split_bom(bytes).1;
    match serde_yaml::from_slice::<Value>(body).ok()? {
        Value::Mapping(m) => m.get(key).cloned(),
        _ => None,
    }
}

#[test]
fn workshop_pipeline_keys_in_the_reference_config() {
    let pipeline = [
        "version=5d41402abc",
        "image_repository=quay.io/rhoai-mlops",
        "image_namespace=user2-prod",
    ];
    let expected = WORKSHOP
        .replace("4562a17c17 #", "5d41402abc #")
        .replace(
            "image-registry.openshift-image-registry.svc:5000",
            "quay.io/rhoai-mlops",
        )
        .replace("user1-test", "user2-prod");
    changed(WORKSHOP, &pipeline, &expected, 4);
    // What the workshop's yq step writes is already there: nothing to do.
    let same = [
        "version=4562a17c17",
        "image_repository=image-registry.openshift-image-registry.svc:5000",
        "image_namespace=user1-test",
    ];
    assert_eq!(
        set(WORKSHOP.as_bytes(), &args(&same)),
        Ok(Outcome::Unchanged)
    );
    // A fresh environment: the empty `---` file gets all three, in order.
    changed(
        "---\n",
        &same,
        "---\nversion: 4562a17c17\nimage_repository: image-registry.openshift-image-registry.svc:5000\nimage_namespace: user1-test\n",
        2,
    );
    // A commit SHA of digits only is a number to every reader: quoted.
    let digits = WORKSHOP.replace("4562a17c17 #", "\"1234567\" #");
    changed(WORKSHOP, &["version=1234567"], &digits, 4);
    let read = read(digits.as_bytes()).unwrap();
    assert_eq!(
        read.get("version").unwrap().value,
        ChartValue::Str("1234567".into())
    );
}

#[test]
fn typed_values_are_written_as_given() {
    changed("k: old\n", &["k:=true"], "k: true\n", 1);
    changed("k: old\n", &["k:=3"], "k: 3\n", 1);
    changed("k: old\n", &["k:=null"], "k: null\n", 1);
    changed("k: old\n", &["k:=\"x\""], "k: \"x\"\n", 1);
    changed("k: old\n", &["k:='x'"], "k: 'x'\n", 1);
    changed("a: 1\n", &["k:=3", "b:=false"], "a: 1\nk: 3\nb: false\n", 2);
    let readings = [
        ("true", ChartValue::Bool(true), Value::Bool(true)),
        ("3", ChartValue::Int("3".into()), Value::from(3)),
        ("null", ChartValue::Null, Value::Null),
        ("\"x\"", ChartValue::Str("x".into()), Value::from("x")),
    ];
    for (typed, chart, yaml) in readings {
        let Ok(Outcome::Changed { bytes, .. }) = set(b"a: 1\n", &args(&[&format!("k:={typed}")]))
        else {
            panic!("{typed}")
        };
        assert_eq!(read(&bytes).unwrap().get("k").unwrap().value, chart);
        assert_eq!(yaml12(&bytes, "k"), Some(yaml));
    }
    // Spelled otherwise: rewritten as given.
    changed("k: True\n", &["k:=true"], "k: true\n", 1);
    for bad in [
        "a: b", "[1]", "- a", "!!str x", "&a x", "*a", "x # c", "", "\"x", " x", "{}",
    ] {
        refused(
            "k: 1\n",
            &[&format!("k:={bad}")],
            None,
            "single one-line YAML scalar",
        );
    }
    refused(
        "k: 1\n",
        &["k:=a\nb"],
        None,
        "cannot be written on one line",
    );
}

#[test]
fn keys_and_arguments_are_checked() {
    for bad in ["", "a.", "a[x]", "a..b"] {
        let assign = Assign {
            key: bad.into(),
            value: NewValue::Str("x".into()),
        };
        let r = set(b"a: 1\n", &[assign]).unwrap_err();
        assert!(r.reason.contains("is not a path"), "{bad:?}: {r:?}");
    }
    // Any key text is written so that every reader reads that key.
    for (key, line) in [
        ("a b", "a b: x"),
        ("true", "\"true\": x"),
        ("1", "\"1\": x"),
        ("-", "\"-\": x"),
        ("a:b", "a:b: x"),
        ("<<", "\"<<\": x"),
        ("é", "é: x"),
        ("null", "\"null\": x"),
        ("0x1", "\"0x1\": x"),
    ] {
        let assign = Assign {
            key: Path::key(key).to_string(),
            value: NewValue::Str("x".into()),
        };
        let out = match set(b"a: 1\n", &[assign]) {
            Ok(Outcome::Changed { bytes, .. }) => String::from_utf8(bytes).unwrap(),
            other => panic!("{key:?}: {other:?}"),
        };
        assert_eq!(out, format!("a: 1\n{line}\n"), "{key:?}");
        let found = lookup(out.as_bytes(), &Path::key(key)).unwrap().unwrap();
        assert_eq!(found.reading.value, ChartValue::Str("x".into()), "{key:?}");
    }
    refused("a: 1\n", &["k=x", "k=y"], None, "asked twice");
    changed("a: 1\n", &["k=x", "k=x"], "a: 1\nk: x\n", 2);
    assert_eq!(parse_assign("noequals"), None);
    assert_eq!(
        parse_assign("a=b=c"),
        Some(Assign {
            key: "a".into(),
            value: NewValue::Str("b=c".into())
        })
    );
    assert_eq!(
        parse_assign("a:=:="),
        Some(Assign {
            key: "a".into(),
            value: NewValue::Typed(":=".into())
        })
    );
}

#[test]
fn refusals_name_the_line() {
    refused("a: 1\nk:\n  x: 1\n", &["k=v"], Some(3), "mapping");
    refused("a: 1\nk: [1]\n", &["k=v"], Some(2), "list");
    refused("a: &x 1\nk: *x\n", &["k=v"], Some(2), "alias");
    refused("k: |\n  x\n", &["k=v"], Some(1), "several lines");
    refused("k: !custom x\n", &["k=v"], Some(1), "tag");
    refused("k: &x 1\nb: *x\n", &["k=v"], Some(1), "used again");
    refused("k: 1\nb: 2\nk: 3\n", &["b=v"], Some(3), "appears twice");
    refused("- a\n", &["k=v"], Some(1), "not a mapping");
    refused("a: 1\n---\n", &["k=v"], Some(2), "more than one");
    refused("{a: 1,\n b: 2}\n", &["k=v"], Some(1), "several lines");
    refused("{a: 1}\n", &["k:=a,b"], None, "flow mapping");
}

#[test]
fn one_line_flow_mappings() {
    let m = "{name: jukebox, version: v1}\n";
    changed(
        m,
        &["autoscaling:=true"],
        "{name: jukebox, version: v1, autoscaling: true}\n",
        1,
    );
    changed("{}\n", &["autoscaling:=true"], "{autoscaling: true}\n", 1);
    changed("{ }", &["a=1.2.3", "b=x y"], "{a: 1.2.3, b: x y }", 1);
    changed("{a: 1,}\n", &["b=2x"], "{a: 1, b: 2x}\n", 1);
    changed(m, &["version=v2"], "{name: jukebox, version: v2}\n", 1);
    changed(
        m,
        &["version=a,b"],
        "{name: jukebox, version: \"a,b\"}\n",
        1,
    );
    changed(
        m,
        &["version=v2", "keda:=false"],
        "{name: jukebox, version: v2, keda: false}\n",
        1,
    );
}

#[test]
fn several_keys_in_one_edit() {
    let input = "  name: x\r\n  version: v1 # c\r\n\r\n";
    changed(
        input,
        &["version=v2", "image_namespace=ns", "name=z"],
        "  name: z\r\n  version: v2 # c\r\n  image_namespace: ns\r\n\r\n",
        1,
    );
    changed(
        "\u{feff}a: 1\nb: 2\n",
        &["b=3x", "c=4x"],
        "\u{feff}a: 1\nb: 3x\nc: 4x\n",
        2,
    );
    changed("a: 1\nb:\n", &["b=v", "a=w"], "a: w\nb: v\n", 1);
}

#[test]
fn merged_values() {
    let base = "base: &b\n  version: v1\n<<: *b\n";
    assert_eq!(
        set(base.as_bytes(), &args(&["version=v1"])),
        Ok(Outcome::Unchanged)
    );
    changed(base, &["version=v2"], &format!("{base}version: v2\n"), 4);
}
