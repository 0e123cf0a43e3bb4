use super::*;

fn rendered(text: &str) -> Autoscaler {
    Rendering::read(text.as_bytes()).unwrap().autoscaler()
}

/// The template's precedence: `keda` wins over `autoscaling`; every
/// spelling is covered through the binary in `tests/it/chart.rs`.
#[test]
fn keda_wins_over_autoscaling() {
    assert_eq!(
        rendered("autoscaling: true\nkeda: true\n"),
        Autoscaler::Keda
    );
    assert_eq!(
        rendered("autoscaling: true\nkeda: false\n"),
        Autoscaler::Hpa
    );
    assert_eq!(rendered("autoscaling: false\n"), Autoscaler::Off);
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
