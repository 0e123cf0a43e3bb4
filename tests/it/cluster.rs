//! A real Kubernetes API for the `--wait` tests (tests/it/wait.rs):
//! kube-apiserver, built from its Go module by scripts/test-servers.sh,
//! on etcd (Debian's etcd-server), both on 127.0.0.1, with minimal CRDs
//! for Argo CD's Application and KServe's InferenceService. The API is
//! reached with the `curl` CLI; mlops reads a kubeconfig.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::gitea::test_servers;
use crate::servers::{available, free_port, test_pki, Running};

pub const KUBE_VERSION: &str = "1.37.2";
pub const ADMIN_TOKEN: &str = "admin-token-0123456789";
pub const NOBODY_TOKEN: &str = "nobody-token-0123456789";
pub const APP: &str = "jukebox-test";
pub const ARGO_NS: &str = "argocd";
pub const MODEL_NS: &str = "models";

pub struct Cluster {
    pub port: u16,
    pub dir: PathBuf,
    pub ca: PathBuf,
    _apiserver: Running,
    _etcd: Running,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Cluster {
    /// etcd and kube-apiserver on free ports under `dir`, with the
    /// namespaces and CRDs the tests use. `None` (a SKIP note, a failure
    /// in CI) when a server is missing.
    pub fn start(dir: &Path) -> Option<Cluster> {
        let bin = test_servers().join(format!("kube-apiserver-{KUBE_VERSION}/kube-apiserver"));
        if !bin.exists() {
            crate::skipped::skip(&format!(
                "kube-apiserver {KUBE_VERSION} ({} not built: run scripts/test-servers.sh kube-apiserver)",
                bin.display()
            ));
            return None;
        }
        if !available(&["etcd", "openssl", "curl"]) {
            return None;
        }
        let dir = dir.join("cluster");
        let pki = test_pki(&dir.join("pki"));
        let p = dir.join("pki");
        // A client certificate for the admin (system:masters) and the
        // service account key pair.
        openssl(
            &p,
            &[
                "req",
                "-nodes",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-keyout",
                "admin.key",
                "-out",
                "admin.csr",
                "-subj",
                "/O=system:masters/CN=admin",
            ],
        );
        openssl(
            &p,
            &[
                "x509",
                "-req",
                "-in",
                "admin.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "1",
                "-out",
                "admin.pem",
            ],
        );
        openssl(&p, &["genrsa", "-out", "sa.key", "2048"]);
        openssl(&p, &["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
        fs::write(
            p.join("tokens.csv"),
            format!("{ADMIN_TOKEN},admin,1,\"system:masters\"\n{NOBODY_TOKEN},nobody,2\n"),
        )
        .unwrap();

        let (etcd_port, peer_port) = (free_port(), free_port());
        let etcd_log = dir.join("etcd.log");
        let etcd = Command::new("etcd")
            .args(["--name", "default", "--data-dir"])
            .arg(dir.join("etcd"))
            .arg(format!("--listen-client-urls=http://127.0.0.1:{etcd_port}"))
            .arg(format!(
                "--advertise-client-urls=http://127.0.0.1:{etcd_port}"
            ))
            .arg(format!("--listen-peer-urls=http://127.0.0.1:{peer_port}"))
            .arg(format!(
                "--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}"
            ))
            .arg(format!(
                "--initial-cluster=default=http://127.0.0.1:{peer_port}"
            ))
            .stdout(Stdio::null())
            .stderr(fs::File::create(&etcd_log).unwrap())
            .spawn()
            .unwrap();
        let etcd = Running(etcd);
        let port = free_port();
        let log = dir.join("apiserver.log");
        let file = |name: &str| p.join(name).to_str().unwrap().to_string();
        let mut child = Command::new(&bin)
            .arg(format!("--etcd-servers=http://127.0.0.1:{etcd_port}"))
            .args(["--bind-address=127.0.0.1", "--advertise-address=127.0.0.1"])
            .arg(format!("--secure-port={port}"))
            .arg(format!("--cert-dir={}", dir.join("certs").display()))
            .arg(format!("--tls-cert-file={}", pki.server_cert.display()))
            .arg(format!(
                "--tls-private-key-file={}",
                pki.server_key.display()
            ))
            .arg(format!("--client-ca-file={}", pki.ca.display()))
            .arg(format!("--token-auth-file={}", file("tokens.csv")))
            .arg("--authorization-mode=RBAC")
            .arg("--service-account-issuer=https://kubernetes.default.svc")
            .arg(format!("--service-account-key-file={}", file("sa.pub")))
            .arg(format!(
                "--service-account-signing-key-file={}",
                file("sa.key")
            ))
            .arg("--service-cluster-ip-range=10.96.0.0/24")
            .arg("--enable-priority-and-fairness=false")
            .arg("--endpoint-reconciler-type=none")
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let cluster_ca = pki.ca.clone();
        let start = Instant::now();
        loop {
            let ready = Command::new("curl")
                .args(["-sf", "--cacert", cluster_ca.to_str().unwrap(), "-H"])
                .arg(format!("Authorization: Bearer {ADMIN_TOKEN}"))
                .arg(format!("https://127.0.0.1:{port}/readyz"))
                .output()
                .unwrap();
            if ready.status.success() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "kube-apiserver exited with {status}: {}",
                    fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "kube-apiserver was not ready within 120 s"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
        let cluster = Cluster {
            port,
            dir,
            ca: cluster_ca,
            _apiserver: Running(child),
            _etcd: etcd,
        };
        for ns in [ARGO_NS, MODEL_NS] {
            cluster.api(
                "POST",
                "/api/v1/namespaces",
                json!({"metadata": {"name": ns}}),
            );
        }
        for (group, version, kind, plural) in [
            ("argoproj.io", "v1alpha1", "Application", "applications"),
            (
                "serving.kserve.io",
                "v1beta1",
                "InferenceService",
                "inferenceservices",
            ),
        ] {
            cluster.api(
                "POST",
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                crd(group, version, kind, plural),
            );
        }
        // Established: the resources answer.
        let start = Instant::now();
        while cluster
            .try_api(
                "GET",
                &format!("/apis/argoproj.io/v1alpha1/namespaces/{ARGO_NS}/applications"),
                None,
            )
            .is_none()
            || cluster
                .try_api(
                    "GET",
                    &format!(
                        "/apis/serving.kserve.io/v1beta1/namespaces/{MODEL_NS}/inferenceservices"
                    ),
                    None,
                )
                .is_none()
        {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the CRDs were not served within 60 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Some(cluster)
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// One API call as the admin; `None` when it fails.
    pub fn try_api(&self, method: &str, path: &str, body: Option<&Value>) -> Option<Value> {
        let mut cmd = Command::new("curl");
        cmd.args([
            "-sf",
            "--cacert",
            self.ca.to_str().unwrap(),
            "-X",
            method,
            "-H",
        ])
        .arg(format!("Authorization: Bearer {ADMIN_TOKEN}"));
        if let Some(body) = body {
            let kind = if method == "PATCH" {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            cmd.args([
                "-H",
                &format!("Content-Type: {kind}"),
                "--data-binary",
                &body.to_string(),
            ]);
        }
        let out = cmd.arg(format!("{}{path}", self.url())).output().unwrap();
        out.status
            .success()
            .then(|| serde_json::from_slice(&out.stdout).unwrap_or(Value::Null))
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
        let p = self.dir.join("pki");
        let user = match token {
            Some(t) => format!("    token: {t}\n"),
            None => format!(
                "    client-certificate: {}\n    client-key: {}\n",
                p.join("admin.pem").display(),
                p.join("admin.key").display()
            ),
        };
        let path = self
            .dir
            .join(format!("kubeconfig-{}", token.map_or("cert", |_| "token")));
        fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {}\n    certificate-authority: {}\n\
                 users:\n- name: test\n  user:\n{user}contexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: {namespace}\n\
                 current-context: test\n",
                self.url(),
                self.ca.display()
            ),
        )
        .unwrap();
        path
    }
}

pub fn crd(group: &str, version: &str, kind: &str, plural: &str) -> Value {
    let open = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {"group": group, "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.to_ascii_lowercase(), "listKind": format!("{kind}List")},
            "versions": [{"name": version, "served": true, "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": open, "status": open}}}}]}
    })
}

pub fn app_status(sync: &str, health: &str, commit: &str) -> Value {
    json!({"status": {"sync": {"status": sync, "revisions": [commit, commit]},
                      "health": {"status": health, "message": if health == "Degraded" { "Deployment jukebox-predictor exceeded its progress deadline" } else { "" }}}})
}

pub fn isvc_ready() -> Value {
    json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
}
