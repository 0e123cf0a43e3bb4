//! What an object's state says: an Argo CD application synced at the
//! pushed commit and healthy, or degraded; an InferenceService Ready
//! with the autoscaler class asked for.

use kube::api::DynamicObject;
use serde_json::Value;

use super::Deployed;
use crate::gitops::chart::Autoscaler;

const AUTOSCALER_CLASS: &str = "serving.kserve.io/autoscalerClass";

/// What one object's state says.
pub(super) enum Verdict {
    Done,
    Pending(String),
    Degraded(String),
}

fn text<'a>(obj: &'a DynamicObject, pointer: &str) -> Option<&'a str> {
    obj.data.pointer(pointer).and_then(Value::as_str)
}

/// An application's verdict: synced at `commit` and healthy is done;
/// degraded, or a failed sync, at `commit` is degraded.
pub(super) fn application(app: &DynamicObject, commit: &str, state: &mut Deployed) -> Verdict {
    let revisions: Vec<&str> = app
        .data
        .pointer("/status/sync/revisions")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let revision = text(app, "/status/sync/revision");
    let at_commit = revision == Some(commit) || revisions.contains(&commit);
    let shown_revision = if at_commit {
        Some(commit)
    } else {
        revision.or(revisions.first().copied())
    };
    state.revision = shown_revision.map(str::to_string);
    state.sync = text(app, "/status/sync/status").map(str::to_string);
    state.health = text(app, "/status/health/status").map(str::to_string);
    let sync = state.sync.as_deref().unwrap_or("no sync status yet");
    let health = state.health.as_deref().unwrap_or("no health yet");
    let at = shown_revision.map_or(String::from("no revision yet"), |r| format!("at {:.10}", r));
    let phase = text(app, "/status/operationState/phase");
    let op_revision = text(app, "/status/operationState/syncResult/revision");
    if at_commit && sync == "Synced" && health == "Healthy" {
        return Verdict::Done;
    }
    if at_commit && health == "Degraded" {
        let msg = text(app, "/status/health/message").unwrap_or("");
        return Verdict::Degraded(format!("{sync}, Degraded {at}{}", said(msg)));
    }
    if matches!(phase, Some("Failed") | Some("Error")) && op_revision == Some(commit) {
        let msg = text(app, "/status/operationState/message").unwrap_or("");
        return Verdict::Degraded(format!("the sync to {commit:.10} failed{}", said(msg)));
    }
    Verdict::Pending(format!(
        "{sync}, {health} {at} (waiting for Synced and Healthy at {commit:.10})"
    ))
}

fn said(msg: &str) -> String {
    if msg.is_empty() {
        String::new()
    } else {
        format!(": {}", crate::forge::mask(msg))
    }
}

/// An InferenceService's verdict: `Ready` true for its current
/// generation, with the autoscaler class asked for.
pub(super) fn inference_service(isvc: &DynamicObject, want: Option<Autoscaler>) -> Verdict {
    let ready = isvc
        .data
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|c| {
            c.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        });
    let status = ready.and_then(|c| c.get("status")).and_then(Value::as_str);
    let reason = ready
        .and_then(|c| c.get("reason").or_else(|| c.get("message")))
        .and_then(Value::as_str)
        .unwrap_or("");
    let class = isvc
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(AUTOSCALER_CLASS))
        .map(String::as_str);
    let wanted = want.map(|w| match w {
        Autoscaler::Off => None,
        Autoscaler::Hpa => Some("hpa"),
        Autoscaler::Keda => Some("keda"),
    });
    let generation = isvc.metadata.generation;
    let observed = isvc
        .data
        .pointer("/status/observedGeneration")
        .and_then(Value::as_i64);
    let current = match (generation, observed) {
        (Some(g), Some(o)) => o >= g,
        _ => true,
    };
    let class_shown = class.unwrap_or("none");
    if let Some(wanted) = wanted {
        if class != wanted {
            return Verdict::Pending(format!(
                "autoscaler class {class_shown} (waiting for {})",
                wanted.unwrap_or("none")
            ));
        }
    }
    match (status, current) {
        (Some("True"), true) => Verdict::Done,
        (Some("True"), false) => Verdict::Pending(
            "Ready for an older generation (waiting for KServe to pick up the change)".to_string(),
        ),
        (Some(s), _) => Verdict::Pending(format!(
            "Ready={s}{} (autoscaler class {class_shown})",
            said(reason)
        )),
        (None, _) => Verdict::Pending(format!(
            "no Ready condition yet (autoscaler class {class_shown})"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(value: serde_json::Value) -> DynamicObject {
        serde_json::from_value(value).unwrap()
    }

    fn state() -> Deployed {
        Deployed {
            application: "a".into(),
            revision: None,
            sync: None,
            health: None,
            ready: false,
        }
    }

    const C: &str = "1111111111222222222233333333334444444444";

    #[test]
    fn applications() {
        let app = |sync: &str, health: &str, rev: &str| {
            obj(
                serde_json::json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                "metadata": {"name": "a"},
                "status": {"sync": {"status": sync, "revisions": ["x", rev]}, "health": {"status": health}}}),
            )
        };
        let mut s = state();
        assert!(matches!(
            application(&app("Synced", "Healthy", C), C, &mut s),
            Verdict::Done
        ));
        assert_eq!(s.revision.as_deref(), Some(C));
        assert!(
            matches!(application(&app("Synced", "Healthy", "old"), C, &mut s), Verdict::Pending(p) if p.contains("at x (waiting for Synced and Healthy at 1111111111)"))
        );
        assert!(matches!(
            application(&app("Synced", "Degraded", C), C, &mut s),
            Verdict::Degraded(_)
        ));
        // Degraded at an older revision: still waiting for ours.
        assert!(matches!(
            application(&app("OutOfSync", "Degraded", "old"), C, &mut s),
            Verdict::Pending(_)
        ));
        let failed = obj(
            serde_json::json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "a"},
            "status": {"operationState": {"phase": "Failed", "message": "hook\u{1b}failed", "syncResult": {"revision": C}}}}),
        );
        assert!(
            matches!(application(&failed, C, &mut s), Verdict::Degraded(m) if m.contains("hook^[failed"))
        );
    }

    #[test]
    fn inference_services() {
        let isvc = |class: Option<&str>, ready: &str, generation: i64, observed: i64| {
            let annotations = match class {
                Some(c) => serde_json::json!({AUTOSCALER_CLASS: c}),
                None => serde_json::json!({}),
            };
            obj(
                serde_json::json!({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                "metadata": {"name": "m", "annotations": annotations, "generation": generation},
                "status": {"observedGeneration": observed, "conditions": [{"type": "Ready", "status": ready}]}}),
            )
        };
        assert!(matches!(
            inference_service(&isvc(Some("hpa"), "True", 2, 2), Some(Autoscaler::Hpa)),
            Verdict::Done
        ));
        assert!(matches!(
            inference_service(&isvc(None, "True", 2, 2), Some(Autoscaler::Off)),
            Verdict::Done
        ));
        assert!(matches!(
            inference_service(&isvc(None, "True", 2, 2), None),
            Verdict::Done
        ));
        assert!(
            matches!(inference_service(&isvc(Some("hpa"), "True", 2, 2), Some(Autoscaler::Keda)), Verdict::Pending(p) if p == "autoscaler class hpa (waiting for keda)")
        );
        assert!(matches!(
            inference_service(&isvc(Some("keda"), "True", 3, 2), Some(Autoscaler::Keda)),
            Verdict::Pending(_)
        ));
        assert!(
            matches!(inference_service(&isvc(Some("keda"), "False", 2, 2), Some(Autoscaler::Keda)), Verdict::Pending(p) if p.starts_with("Ready=False"))
        );
    }
}
