//! A real Kubernetes API for the `--wait` tests (tests/it/wait.rs):
//! kube-apiserver, built from its Go module by scripts/test-servers.sh,
//! on etcd (Debian's etcd-server), both on 127.0.0.1, started by the
//! library's testbed (the one `mlops demo` uses) with minimal CRDs for
//! Argo CD's Application and KServe's InferenceService. mlops reads a
//! kubeconfig.

use std::ops::Deref;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::servers::available;

pub use mlops::testbed::{ADMIN_TOKEN, NOBODY_TOKEN};
pub const APP: &str = "jukebox-test";
pub const ARGO_NS: &str = "argocd";
pub const MODEL_NS: &str = "models";

/// etcd and kube-apiserver, killed on drop.
pub struct Cluster(mlops::testbed::Cluster);

impl Deref for Cluster {
    type Target = mlops::testbed::Cluster;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Cluster {
    /// etcd and kube-apiserver on free ports under `dir`, with the
    /// namespaces and CRDs the tests use. `None` (a SKIP note, a failure
    /// in CI) when a server is missing.
    pub fn start(dir: &Path) -> Option<Cluster> {
        let bin = mlops::testbed::apiserver_binary();
        if !bin.exists() {
            crate::skipped::skip(&format!(
                "kube-apiserver {} ({} not built: run scripts/test-servers.sh kube-apiserver)",
                mlops::testbed::KUBE_VERSION,
                bin.display()
            ));
            return None;
        }
        if !available(&["etcd", "openssl", "curl"]) {
            return None;
        }
        Some(Cluster(
            mlops::testbed::Cluster::start(dir, &[ARGO_NS, MODEL_NS]).unwrap(),
        ))
    }

    /// One API call as the admin; `None` when it fails.
    pub fn try_api(&self, method: &str, path: &str, body: Option<&Value>) -> Option<Value> {
        self.call(method, path, body).ok()
    }

    pub fn api(&self, method: &str, path: &str, body: Value) -> Value {
        self.try_api(method, path, Some(&body))
            .unwrap_or_else(|| panic!("{method} {path} failed"))
    }

    pub fn app_path(&self) -> String {
        format!("/apis/argoproj.io/v1alpha1/namespaces/{ARGO_NS}/applications/{APP}")
    }

    pub fn isvc_path(&self) -> String {
        format!("/apis/serving.kserve.io/v1beta1/namespaces/{MODEL_NS}/inferenceservices/jukebox")
    }

    /// Argo CD's application and KServe's InferenceService as they stand
    /// before the change: synced and healthy at `commit`, Ready, no
    /// autoscaler.
    pub fn deployed_at(&self, commit: &str) {
        self.api(
            "POST",
            &format!("/apis/argoproj.io/v1alpha1/namespaces/{ARGO_NS}/applications"),
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                   "metadata": {"name": APP}, "spec": {"destination": {"namespace": MODEL_NS}}}),
        );
        self.app_status("Synced", "Healthy", commit);
        self.api(
            "POST",
            &format!("/apis/serving.kserve.io/v1beta1/namespaces/{MODEL_NS}/inferenceservices"),
            json!({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                   "metadata": {"name": "jukebox"}, "spec": {"predictor": {"maxReplicas": 1}}}),
        );
        self.isvc_ready(None);
    }

    /// What Argo CD writes after looking at `commit`.
    pub fn app_status(&self, sync: &str, health: &str, commit: &str) {
        self.api(
            "PATCH",
            &format!("{}/status", self.app_path()),
            app_status(sync, health, commit),
        );
    }

    /// What KServe writes once the predictor is up: Ready, with the
    /// autoscaler class the chart rendered (an annotation, as the chart's).
    pub fn isvc_ready(&self, class: Option<&str>) {
        let annotations = match class {
            Some(c) => json!({"serving.kserve.io/autoscalerClass": c}),
            None => json!({}),
        };
        self.api(
            "PATCH",
            &self.isvc_path(),
            json!({"metadata": {"annotations": annotations}}),
        );
        self.api(
            "PATCH",
            &format!("{}/status", self.isvc_path()),
            isvc_ready(),
        );
    }

    /// A kubeconfig reaching this cluster with a bearer token, or with
    /// the admin's client certificate when `token` is `None`.
    pub fn kubeconfig(&self, token: Option<&str>, namespace: &str) -> PathBuf {
        self.0.kubeconfig(token, namespace).unwrap()
    }
}

pub fn app_status(sync: &str, health: &str, commit: &str) -> Value {
    json!({"status": {"sync": {"status": sync, "revisions": [commit, commit]},
                      "health": {"status": health, "message": if health == "Degraded" { "Deployment jukebox-predictor exceeded its progress deadline" } else { "" }}}})
}

pub fn isvc_ready() -> Value {
    json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
}
