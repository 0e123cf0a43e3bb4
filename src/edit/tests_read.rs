//! `read_autoscaling`: what Helm's chart sees, and when the text misleads.

use super::*;

#[track_caller]
fn read(input: &str) -> Switch {
    read_autoscaling(input.as_bytes()).unwrap_or_else(|r| panic!("{input:?} refused: {r:?}"))
}

#[track_caller]
fn sees(input: &str, effective: Option<bool>, warns: bool) {
    let r = read(input);
    assert_eq!(r.effective, effective, "effective for {input:?} ({r:?})");
    assert_eq!(
        r.warning.is_some(),
        warns,
        "warning for {input:?}: {:?}",
        r.warning
    );
}

#[test]
fn yaml11_booleans() {
    for t in ["true", "True", "TRUE"] {
        sees(&format!("autoscaling: {t}\n"), Some(true), false);
    }
    for f in ["false", "False", "FALSE"] {
        sees(&format!("autoscaling: {f}\n"), Some(false), false);
    }
    for t in ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON"] {
        sees(&format!("autoscaling: {t}\n"), Some(true), true);
    }
    for f in ["n", "N", "no", "No", "NO", "off", "Off", "OFF"] {
        sees(&format!("autoscaling: {f}\n"), Some(false), true);
    }
    let w = read("autoscaling: on\n").warning.unwrap();
    assert!(w.contains("YAML 1.1"), "{w}");
}

#[test]
fn strings_are_truthy_when_not_empty() {
    let w = read("autoscaling: \"false\"\n").warning.unwrap();
    assert_eq!(
        w,
        "\"false\" is a non-empty string: the chart turns autoscaling ON"
    );
    sees("autoscaling: 'no'\n", Some(true), true);
    sees("autoscaling: \"true\"\n", Some(true), true);
    sees("autoscaling: \"\"\n", Some(false), true);
    sees("autoscaling: enabled\n", Some(true), true);
    sees("autoscaling: !!str false\n", Some(true), true);
    sees("autoscaling: !!bool false\n", Some(false), false);
    sees("autoscaling: !!bool yes\n", Some(true), true);
    sees("autoscaling: |\n  false\n", Some(true), true);
}

#[test]
fn nulls_and_absence_mean_chart_default() {
    sees("a: 1\n", None, false);
    sees("---\n", None, false);
    sees("", None, false);
    sees("# nothing\n", None, false);
    sees("autoscaling:\n", None, true);
    sees("autoscaling: ~\n", None, true);
    sees("autoscaling: null\n", None, true);
    sees("autoscaling: !!null x\n", None, true);
}

#[test]
fn numbers_and_collections() {
    sees("autoscaling: 0\n", Some(false), true);
    sees("autoscaling: 1\n", Some(true), true);
    sees("autoscaling: 0.0\n", Some(false), true);
    sees("autoscaling: 0x0\n", Some(false), true);
    sees("autoscaling: -2\n", Some(true), true);
    sees("autoscaling: {}\n", Some(false), true);
    sees("autoscaling: []\n", Some(false), true);
    sees("autoscaling: {a: 1}\n", Some(true), true);
    sees("autoscaling:\n  - x\n", Some(true), true);
}

#[test]
fn aliases_and_merges() {
    sees("x: &x false\nautoscaling: *x\n", Some(false), true);
    let base = "base: &base\n  autoscaling: on\n";
    let r = read(&format!("{base}<<: *base\n"));
    assert_eq!(r.effective, Some(true));
    assert!(r.warning.unwrap().contains("merge key `<<` (line 3)"));
    // The explicit key wins over the merge, wherever it is written.
    sees(
        &format!("{base}autoscaling: false\n<<: *base\n"),
        Some(false),
        false,
    );
    sees(
        &format!("{base}<<: *base\nautoscaling: false\n"),
        Some(false),
        false,
    );
    // In a list of merges the first one that has the key wins.
    let two = "a: &a\n  x: 1\nb: &b\n  autoscaling: false\nc: &c\n  autoscaling: true\n";
    sees(&format!("{two}<<: [*a, *b, *c]\n"), Some(false), true);
    sees(&format!("{two}<<: [*c, *b]\n"), Some(true), true);
    // Merges nest: the base may itself merge another mapping.
    let nested = "a: &a\n  autoscaling: true\nb: &b\n  <<: *a\n<<: *b\n";
    sees(nested, Some(true), true);
    sees("a: &a\n  x: 1\n<<: *a\n", None, false);
}

#[test]
fn bom_crlf_and_fixtures() {
    sees("\u{feff}a: 1\r\nautoscaling: true\r\n", Some(true), false);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/configs/");
    let chart = std::fs::read(format!("{dir}chart-values.yaml")).unwrap();
    assert_eq!(read_autoscaling(&chart).unwrap().effective, Some(false));
    for f in ["workshop-example.yaml", "bootstrap-anchors.yaml"] {
        let bytes = std::fs::read(format!("{dir}{f}")).unwrap();
        assert_eq!(read_autoscaling(&bytes).unwrap().effective, None, "{f}");
    }
}

#[test]
fn refusals_have_lines() {
    let cases: [(&[u8], usize); 8] = [
        (b"a: [1\n", 2),
        (b"a: 1\n---\nb: 2\n", 2),
        (b"- a\n", 1),
        (b"scalar\n", 1),
        (b"a: 1\nb: \xff\n", 2),
        (b"autoscaling: true\nautoscaling: false\n", 2),
        (b"a: *nowhere\n", 1),
        (b"x: 1\n<<: [1, 2]\n", 2),
    ];
    for (input, line) in cases {
        let r = read_autoscaling(input).expect_err(&String::from_utf8_lossy(input));
        assert_eq!(r.line, Some(line), "{r:?}");
        assert!(!r.reason.is_empty() && !r.hint.is_empty());
    }
}

#[test]
fn edited_files_read_back_as_asked() {
    for input in [
        "autoscaling: \"no\"\n",
        "a: 1\n",
        "---\n",
        "autoscaling: ~ # x\n",
    ] {
        for value in [true, false] {
            if let Ok(Outcome::Changed { bytes, .. }) = set_autoscaling(input.as_bytes(), value) {
                let r = read_autoscaling(&bytes).unwrap();
                assert_eq!(
                    r,
                    Switch {
                        effective: Some(value),
                        warning: None
                    },
                    "{input:?}"
                );
            }
        }
    }
}

#[test]
fn version_comes_with_the_reading_from_one_parse() {
    let version = |text: &str| {
        super::read_values(text.as_bytes())
            .unwrap()
            .get("version")
            .map(|r| r.value.clone())
    };
    let s = |v: &str| Some(ChartValue::Str(v.into()));
    assert_eq!(
        version("version: 4562a17c17 # comment\nautoscaling: true\n"),
        s("4562a17c17")
    );
    assert_eq!(version("version: \"1.2\"\n"), s("1.2"));
    assert_eq!(version("\u{feff}a: 1\nversion: v3\n"), s("v3"));
    assert_eq!(version("base: &b\n  version: v9\n<<: *b\n"), s("v9"));
    assert_eq!(version("version: [1, 2]\n"), Some(ChartValue::List(2)));
    assert_eq!(version("---\n"), None);
    let values = super::read_values(b"version: v1\n").unwrap();
    assert_eq!(values.switch("autoscaling").effective, None);
}
