use super::*;

fn rendered(text: &str) -> Autoscaler {
    Rendering::read(text.as_bytes()).unwrap().autoscaler()
}

/// Every spelling of both switches, against what the chart's template
/// decides (`and .Values.autoscaling (not .Values.keda)` / `.Values.keda`),
/// computed here independently from the spelling's meaning for Helm.
#[test]
fn every_combination_of_spellings_renders_what_the_template_decides() {
    // (spelling, truthy for Helm); None: key absent.
    let spellings: &[(Option<&str>, bool)] = &[
        (None, false),
        (Some("true"), true),
        (Some("false"), false),
        (Some("yes"), true),
        (Some("no"), false),
        (Some("on"), true),
        (Some("off"), false),
        (Some("True"), true),
        (Some("\"false\""), true),
        (Some("null"), false),
        (Some(""), false),
    ];
    for (a, a_on) in spellings {
        for (k, k_on) in spellings {
            let mut text = String::from("name: jukebox\n");
            if let Some(a) = a {
                text.push_str(&format!("autoscaling: {a}\n"));
            }
            if let Some(k) = k {
                text.push_str(&format!("keda: {k}\n"));
            }
            let want = match (a_on, k_on) {
                (_, true) => Autoscaler::Keda,
                (true, false) => Autoscaler::Hpa,
                _ => Autoscaler::Off,
            };
            assert_eq!(rendered(&text), want, "{text}");
        }
    }
}

#[test]
fn assignments_change_only_what_must_change() {
    let r = |t: &str| Rendering::read(t.as_bytes()).unwrap();
    assert_eq!(
        r("a: 1\n").assignments(Autoscaler::Hpa),
        [(AUTOSCALING, true)]
    );
    assert!(r("autoscaling: yes\n")
        .assignments(Autoscaler::Hpa)
        .is_empty());
    assert_eq!(
        r("autoscaling: true\nkeda: on\n").assignments(Autoscaler::Hpa),
        [(KEDA, false)]
    );
    assert_eq!(r("a: 1\n").assignments(Autoscaler::Keda), [(KEDA, true)]);
    assert!(r("autoscaling: false\nkeda: true\n")
        .assignments(Autoscaler::Keda)
        .is_empty());
    assert_eq!(
        r("autoscaling: \"false\"\nkeda: yes\n").assignments(Autoscaler::Off),
        [(AUTOSCALING, false), (KEDA, false)]
    );
    assert!(r("autoscaling:\nkeda: off\n")
        .assignments(Autoscaler::Off)
        .is_empty());
}

#[test]
fn spellings_readers_disagree_on_are_warned_about() {
    let r = Rendering::read(b"autoscaling: \"false\"\nkeda: yes\n").unwrap();
    let w = r.warnings();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].starts_with("autoscaling: ") && w[1].starts_with("keda: "),
        "{w:?}"
    );
}
