//! The demo's stand-in for the controllers a real cluster runs: it does
//! to the `Application` and `InferenceService` objects what Argo CD and
//! KServe do, so that `--wait` has something real to watch. Once the
//! application is asked to refresh (the annotation `--wait` sets), it
//! reads main's tip from Gitea, reports the application out of sync,
//! then synced and progressing, then healthy at that commit; then the
//! InferenceService Ready with the autoscaler class the chart renders
//! from the model's config.yaml at that commit (the tool's own chart
//! model, as Helm would render it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{json, Value};

use crate::gitops::chart::{Autoscaler, Rendering};
use crate::testbed::{Cluster, Gitea, ADMIN};

/// Where the demo's objects are.
pub(super) const REPO: &str = "mlops-gitops";
pub(super) const ARGO_NS: &str = "argocd";
pub(super) const MODEL_NS: &str = "demo-test";
pub(super) const APP: &str = "jukebox-test";
const CONFIG: &str = "model-deployments/test/jukebox/config.yaml";

fn app_path() -> String {
    format!("/apis/argoproj.io/v1alpha1/namespaces/{ARGO_NS}/applications/{APP}")
}

fn isvc_path() -> String {
    format!("/apis/serving.kserve.io/v1beta1/namespaces/{MODEL_NS}/inferenceservices/jukebox")
}

/// The application and the InferenceService as a cluster that deployed
/// `commit` shows them.
pub(super) fn deployed(cluster: &Cluster, gitea: &Gitea, commit: &str) -> Result<(), String> {
    let apps = format!("/apis/argoproj.io/v1alpha1/namespaces/{ARGO_NS}/applications");
    let app = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": APP},
        "spec": {"project": "jukebox-test-project",
                 "destination": {"server": "https://kubernetes.default.svc", "namespace": MODEL_NS}}});
    cluster.call("POST", &apps, Some(&app))?;
    let isvcs = format!("/apis/serving.kserve.io/v1beta1/namespaces/{MODEL_NS}/inferenceservices");
    let isvc = json!({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": "jukebox"}, "spec": {"predictor": {"model": {"modelFormat": {"name": "onnx"}}}}});
    cluster.call("POST", &isvcs, Some(&isvc))?;
    sync(cluster, "Synced", "Healthy", commit)?;
    ready(cluster, autoscaler(gitea, commit)?)
}

/// Plays Argo CD and KServe until `stop` is set.
pub(super) fn play(cluster: &Cluster, gitea: &Gitea, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let asked = cluster
            .call("GET", &app_path(), None)
            .ok()
            .is_some_and(|app| {
                app.pointer("/metadata/annotations/argocd.argoproj.io~1refresh")
                    .is_some()
            });
        if asked {
            // A failed step is tried again at the next refresh.
            let _ = deploy(cluster, gitea, stop);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// One refresh and sync of main's tip, as Argo CD and KServe do it,
/// a pause between the steps so that `--wait` shows each.
fn deploy(cluster: &Cluster, gitea: &Gitea, stop: &AtomicBool) -> Result<(), String> {
    let branch = gitea.call("GET", &format!("/repos/{ADMIN}/{REPO}/branches/main"), None)?;
    let commit = branch
        .pointer("/commit/id")
        .and_then(Value::as_str)
        .ok_or("gitea named no commit for main")?
        .to_string();
    let class = autoscaler(gitea, &commit)?;
    let done = json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": null}}});
    cluster.call("PATCH", &app_path(), Some(&done))?;
    let steps = [
        ("OutOfSync", "Healthy"),
        ("Synced", "Progressing"),
        ("Synced", "Healthy"),
    ];
    for (status, health) in steps {
        pause(stop);
        sync(cluster, status, health, &commit)?;
    }
    pause(stop);
    let rolling = json!({"status": {"conditions": [{"type": "Ready", "status": "False",
        "reason": "PredictorRolling", "message": "the new predictor revision is starting"}]}});
    cluster.call("PATCH", &format!("{}/status", isvc_path()), Some(&rolling))?;
    pause(stop);
    ready(cluster, class)
}

fn pause(stop: &AtomicBool) {
    if !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(700));
    }
}

/// What the chart renders from the model's config at `commit`.
fn autoscaler(gitea: &Gitea, commit: &str) -> Result<Autoscaler, String> {
    let bytes = gitea.raw(REPO, CONFIG, commit)?;
    let rendering = Rendering::read(&bytes).map_err(|e| format!("{CONFIG}: {}", e.reason))?;
    Ok(rendering.autoscaler())
}

/// What Argo CD writes after comparing or syncing `commit`.
fn sync(cluster: &Cluster, status: &str, health: &str, commit: &str) -> Result<(), String> {
    let body = json!({"status": {"sync": {"status": status, "revision": commit},
        "health": {"status": health}}});
    cluster.call("PATCH", &format!("{}/status", app_path()), Some(&body))?;
    Ok(())
}

/// What KServe writes once the predictor is up with the chart's
/// autoscaler (`serving.kserve.io/autoscalerClass`, none when off).
fn ready(cluster: &Cluster, class: Autoscaler) -> Result<(), String> {
    let class = match class {
        Autoscaler::Off => Value::Null,
        other => Value::from(other.as_str()),
    };
    let annotate =
        json!({"metadata": {"annotations": {"serving.kserve.io/autoscalerClass": class}}});
    cluster.call("PATCH", &isvc_path(), Some(&annotate))?;
    let up = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}});
    cluster.call("PATCH", &format!("{}/status", isvc_path()), Some(&up))?;
    Ok(())
}
