//! `set` at depth (Helm paths): exact bytes for replacing and inserting in
//! block and one-line flow collections, and every refusal with its line.

use super::tests_values::{args, changed};
use super::*;

const NESTED: &str = "\
---
name: jukebox
version: latest # pinned by CI
image:
    repository: quay.io/rhoai-mlops/jukebox
    tag: 'v1'
    pullPolicy: IfNotPresent
resources:
    limits:
        cpu: \"1\"
        memory: 2Gi
    # requests: {}
podAnnotations:
    prometheus.io/scrape: \"true\"
env:
    - name: MODEL
      value: jukebox
    - name: LOG
      value: info
tolerations: [a, b]
canary: {}
  # trafficPercent: 10
";

#[track_caller]
fn refused(input: &str, assigns: &[&str], line: Option<usize>, reason_part: &str) {
    let what = format!("{assigns:?} in {input:?}");
    let result = set(input.as_bytes(), &args(assigns));
    super::tests_set::is_refusal(result, line, reason_part, &what);
}

#[test]
fn existing_values_at_depth_are_replaced_in_place() {
    let at = |from: &str, to: &str| NESTED.replace(from, to);
    changed(NESTED, &["image.tag=v2"], &at("tag: 'v1'", "tag: 'v2'"), 6);
    changed(
        NESTED,
        &["resources.limits.cpu=500m"],
        &at("cpu: \"1\"", "cpu: \"500m\""),
        10,
    );
    changed(
        NESTED,
        &["resources.limits.cpu:=2"],
        &at("cpu: \"1\"", "cpu: 2"),
        10,
    );
    changed(
        NESTED,
        &["podAnnotations.prometheus\\.io/scrape=false"],
        &at("scrape: \"true\"", "scrape: \"false\""),
        14,
    );
    changed(
        NESTED,
        &["env[1].value=debug"],
        &at("value: info", "value: debug"),
        19,
    );
    changed(
        NESTED,
        &["tolerations[1]=c d"],
        &at("[a, b]", "[a, c d]"),
        20,
    );
    changed(
        NESTED,
        &["tolerations[0]=x,y"],
        &at("[a, b]", "[\"x,y\", b]"),
        20,
    );
    // A plain key is still the top-level key.
    changed(NESTED, &["version=v2"], &at("latest #", "v2 #"), 3);
}

#[test]
fn missing_keys_and_mappings_are_inserted_indented_like_the_file() {
    changed(
        NESTED,
        &["image.digest=sha256:abc"],
        &NESTED.replace(
            "    pullPolicy: IfNotPresent\n",
            "    pullPolicy: IfNotPresent\n    digest: sha256:abc\n",
        ),
        8,
    );
    // After the comment that belongs to `resources`.
    changed(
        NESTED,
        &["resources.requests.cpu=1", "resources.requests.memory=1Gi"],
        &NESTED.replace(
            "    # requests: {}\n",
            "    # requests: {}\n    requests:\n        cpu: \"1\"\n        memory: 1Gi\n",
        ),
        13,
    );
    changed(
        NESTED,
        &["env[0].valueFrom:=null"],
        &NESTED.replace(
            "      value: jukebox\n",
            "      value: jukebox\n      valueFrom: null\n",
        ),
        18,
    );
    changed(
        NESTED,
        &["a.b.c.d=deep"],
        &format!("{NESTED}a:\n    b:\n        c:\n            d: deep\n"),
        23,
    );
    changed(
        NESTED,
        &["canary.trafficPercent:=10"],
        &NESTED.replace("canary: {}", "canary: {trafficPercent: 10}"),
        21,
    );
    changed(
        NESTED,
        &["canary.x.y=1"],
        &NESTED.replace("canary: {}", "canary: {x: {\"y\": \"1\"}}"),
        21,
    );
    // go-yaml v2 (Helm) ends a plain scalar at `?` inside `{...}`/`[...]`.
    changed(
        "a: {b: 1}\nl: [x]\n",
        &["a.c=$?", "l[0]=a?b"],
        "a: {b: 1, c: \"$?\"}\nl: [\"a?b\"]\n",
        1,
    );
    changed(
        "a: 1\nb: {c: 1}\n",
        &["b.d=2", "b.e.f=g", "b.c:=3"],
        "a: 1\nb: {c: 3, d: \"2\", e: {f: g}}\n",
        2,
    );
    // Two levels gaining keys that end at the same byte.
    changed(
        "a:\n  b:\n    c: 1\n",
        &["a.x=1", "a.b.z=2"],
        "a:\n  b:\n    c: 1\n    z: \"2\"\n  x: \"1\"\n",
        4,
    );
    // An empty file, and the default indentation of 2.
    changed("", &["image.tag=v2"], "image:\n  tag: v2\n", 1);
    changed(
        "---\n# only a comment\n",
        &["image.tag=v2", "image.pullPolicy=Always"],
        "---\n# only a comment\nimage:\n  tag: v2\n  pullPolicy: Always\n",
        3,
    );
    changed(
        "\u{feff}a: 1\n",
        &["b.c=2"],
        "\u{feff}a: 1\nb:\n  c: \"2\"\n",
        2,
    );
    changed(
        "a: 1\r\n",
        &["image.tag=v2"],
        "a: 1\r\nimage:\r\n  tag: v2\r\n",
        2,
    );
}

#[test]
fn an_empty_value_on_the_way_takes_the_new_mapping() {
    changed(
        "a: 1\nnodeSelector:\nz: 2\n",
        &["nodeSelector.disk=ssd"],
        "a: 1\nnodeSelector:\n  disk: ssd\nz: 2\n",
        3,
    );
    changed(
        "x:\n    y: 1\n    sel: # later\n    z: 2\n",
        &["x.sel.a.b=c", "x.sel.d=e"],
        "x:\n    y: 1\n    sel: # later\n        a:\n            b: c\n        d: e\n    z: 2\n",
        4,
    );
    changed(
        "env:\n- name: A\n  from:",
        &["env[0].from.key=k"],
        "env:\n- name: A\n  from:\n    key: k",
        4,
    );
    changed("a:\r\n", &["a.b=c"], "a:\r\n  b: c\r\n", 2);
    // A null written out is a value: refused, as any single value.
    refused("a: ~\n", &["a.b=c"], Some(1), "single value");
    refused("a: null\n", &["a.b=c"], Some(1), "single value");
    refused("{a: }\n", &["a.b=c"], Some(1), "single value");
}

#[test]
fn a_merge_key_at_depth() {
    let input = "base: &b\n  cpu: 1\nres:\n  <<: *b\n  mem: 2\n";
    changed(
        input,
        &["res.cpu=3"],
        "base: &b\n  cpu: 1\nres:\n  <<: *b\n  mem: 2\n  cpu: \"3\"\n",
        6,
    );
    refused(
        "base: &b\n  lim:\n    cpu: 1\nres:\n  <<: *b\n",
        &["res.lim.cpu=3"],
        Some(2),
        "merge key",
    );
}

#[test]
fn refusals_at_depth_name_the_line() {
    refused(NESTED, &["version.major=1"], Some(3), "single value");
    refused(NESTED, &["image[0]=x"], Some(5), "a mapping, not a list");
    refused(NESTED, &["env.name=x"], Some(16), "a list, not a mapping");
    refused(NESTED, &["env[2].value=x"], Some(16), "2 elements");
    refused(NESTED, &["missing[0].value=x"], Some(2), "does not exist");
    refused(NESTED, &["image=x"], Some(5), "mapping, not a single value");
    refused(
        NESTED,
        &["image=x", "image.tag=y"],
        None,
        "one holds the other",
    );
    refused("a: &x {b: 1}\nc: *x\n", &["c.b=2"], Some(2), "alias");
    refused("a: &x {b: 1}\nc: *x\n", &["a.b=2"], Some(1), "used again");
    refused("a: {b: 1,\n  c: 2}\n", &["a.b=2"], Some(1), "several lines");
    refused("a: {b: 1,\n  c: 2}\n", &["a.d=2"], Some(1), "several lines");
    refused("a:\n  b: 1\n  b: 2\n", &["a.b=3"], Some(3), "twice in `a`");
    refused("a:\n  b: 1\n  b: 2\n", &["a.c=3"], Some(3), "twice in `a`");
    refused("a: !!set {b: null}\n", &["a.b=3"], Some(1), "tag");
    refused("a: [[1, 2]]\n", &["a[0][5]=3"], Some(1), "2 elements");
    refused("a: [{b: 1}]\n", &["a[0].b:=[1]"], None, "single one-line");
}

#[test]
fn lookup_reads_at_depth() {
    let read = |p: &str| {
        lookup(NESTED.as_bytes(), &Path::parse(p).unwrap())
            .unwrap()
            .map(|f| f.json)
    };
    use serde_json::json;
    assert_eq!(read("image.tag"), Some(json!("v1")));
    assert_eq!(read("resources.limits.cpu"), Some(json!("1")));
    assert_eq!(
        read("podAnnotations.prometheus\\.io/scrape"),
        Some(json!("true"))
    );
    assert_eq!(read("env[1].value"), Some(json!("info")));
    assert_eq!(read("tolerations"), Some(json!(["a", "b"])));
    assert_eq!(
        read("env[0]"),
        Some(json!({"name": "MODEL", "value": "jukebox"}))
    );
    assert_eq!(read("env[5]"), None);
    assert_eq!(read("version.x"), None);
    assert_eq!(read("nothing"), None);
    let value = |text: &str| {
        lookup(format!("k: {text}\n").as_bytes(), &Path::key("k"))
            .unwrap()
            .unwrap()
            .json
    };
    assert_eq!(value("\"4562e17\""), json!("4562e17"));
    assert_eq!(value("3"), json!(3));
    assert_eq!(value("yes"), json!(true));
    assert_eq!(value("~"), json!(null));
    assert_eq!(value("2024-01-01"), json!("2024-01-01"));
    assert_eq!(value("0123"), json!(83));
    assert_eq!(value("1.5"), json!(1.5));
}
