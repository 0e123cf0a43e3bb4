//! A Kubernetes API on 127.0.0.1: etcd and kube-apiserver (RBAC on,
//! bearer tokens from a file, client certificates from a test CA), with
//! minimal CRDs for Argo CD's `Application` and KServe's
//! `InferenceService` (schemas that keep every field, a status
//! subresource), and kubeconfigs reaching it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::pki::{openssl, pki, signed};
use super::{apiserver_binary, free_port, Result, Running};

/// The admin's token (group `system:masters`).
pub const ADMIN_TOKEN: &str = "admin-token-0123456789";
/// A user with no rights at all.
pub const NOBODY_TOKEN: &str = "nobody-token-0123456789";

/// etcd and kube-apiserver, both killed on drop (the API first).
pub struct Cluster {
    pub port: u16,
    /// Its folder: `pki/` (the CA, the admin's certificate), logs, data.
    pub dir: PathBuf,
    /// The CA that signed the API's certificate.
    pub ca: PathBuf,
    _apiserver: Running,
    _etcd: Running,
}

impl Cluster {
    /// Starts both under `dir/cluster`, with the namespaces `namespaces`
    /// and the two CRDs served.
    pub fn start(dir: &Path, namespaces: &[&str]) -> Result<Cluster> {
        let dir = dir.join("cluster");
        let p = dir.join("pki");
        let tls = pki(&p)?;
        // The admin's client certificate and the service account keys.
        signed(
            &p,
            "admin",
            "/O=system:masters/CN=admin",
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
        )?;
        openssl(&p, &["genrsa", "-out", "sa.key", "2048"])?;
        openssl(&p, &["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"])?;
        fs::write(
            p.join("tokens.csv"),
            format!("{ADMIN_TOKEN},admin,1,\"system:masters\"\n{NOBODY_TOKEN},nobody,2\n"),
        )
        .map_err(|e| e.to_string())?;

        let (client, peer) = (free_port()?, free_port()?);
        let mut etcd = Command::new("etcd");
        etcd.args(["--name", "default", "--data-dir"])
            .arg(dir.join("etcd"))
            .arg(format!("--listen-client-urls=http://127.0.0.1:{client}"))
            .arg(format!("--advertise-client-urls=http://127.0.0.1:{client}"))
            .arg(format!("--listen-peer-urls=http://127.0.0.1:{peer}"))
            .arg(format!(
                "--initial-advertise-peer-urls=http://127.0.0.1:{peer}"
            ))
            .arg(format!("--initial-cluster=default=http://127.0.0.1:{peer}"));
        let etcd = super::spawn(&mut etcd, &dir.join("etcd.log"))?;

        let port = free_port()?;
        let file = |name: &str| p.join(name).display().to_string();
        let mut api = Command::new(apiserver_binary());
        api.arg(format!("--etcd-servers=http://127.0.0.1:{client}"))
            .args(["--bind-address=127.0.0.1", "--advertise-address=127.0.0.1"])
            .arg(format!("--secure-port={port}"))
            .arg(format!("--cert-dir={}", dir.join("certs").display()))
            .arg(format!("--tls-cert-file={}", tls.server_cert.display()))
            .arg(format!(
                "--tls-private-key-file={}",
                tls.server_key.display()
            ))
            .arg(format!("--client-ca-file={}", tls.ca.display()))
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
            .arg("--endpoint-reconciler-type=none");
        let log = dir.join("apiserver.log");
        let mut apiserver = super::spawn(&mut api, &log)?;
        let url = format!("https://127.0.0.1:{port}");
        super::wait_until(
            "kube-apiserver",
            &mut apiserver,
            &log,
            Duration::from_secs(120),
            || call(&url, &tls.ca, "GET", "/readyz", None).is_ok(),
        )?;
        let cluster = Cluster {
            port,
            dir,
            ca: tls.ca,
            _apiserver: apiserver,
            _etcd: etcd,
        };
        for ns in namespaces {
            let body = json!({"metadata": {"name": ns}});
            cluster.call("POST", "/api/v1/namespaces", Some(&body))?;
        }
        let kinds = [
            ("argoproj.io", "v1alpha1", "Application", "applications"),
            (
                "serving.kserve.io",
                "v1beta1",
                "InferenceService",
                "inferenceservices",
            ),
        ];
        for (group, version, kind, plural) in kinds {
            let body = crd(group, version, kind, plural);
            let path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
            cluster.call("POST", path, Some(&body))?;
        }
        // Established: both resources answer.
        let start = Instant::now();
        let served = |c: &Cluster| {
            kinds.iter().all(|(group, version, _, plural)| {
                c.call("GET", &format!("/apis/{group}/{version}/{plural}"), None)
                    .is_ok()
            })
        };
        while !served(&cluster) {
            if start.elapsed() > Duration::from_secs(60) {
                return Err("the CRDs were not served within 60 s".to_string());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(cluster)
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// One API call as the admin (a PATCH is a merge patch): the answer's
    /// JSON (2xx).
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        call(&self.url(), &self.ca, method, path, body)
    }

    /// A kubeconfig reaching this cluster with a bearer token, or with
    /// the admin's client certificate when `token` is `None`, its context
    /// in `namespace`.
    pub fn kubeconfig(&self, token: Option<&str>, namespace: &str) -> Result<PathBuf> {
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
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {}\n    certificate-authority: {}\n\
             users:\n- name: test\n  user:\n{user}contexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: {namespace}\n\
             current-context: test\n",
            self.url(),
            self.ca.display()
        );
        fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }
}

/// One call to the API at `url` as the admin.
fn call(url: &str, ca: &Path, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
    let auth = format!("Bearer {ADMIN_TOKEN}");
    super::call(method, &format!("{url}{path}"), Some(ca), Some(&auth), body)
}

/// A CRD that keeps every field of `spec` and `status`.
fn crd(group: &str, version: &str, kind: &str, plural: &str) -> Value {
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
