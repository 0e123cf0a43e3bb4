//! `--wait` against a real kube-apiserver (tests/it/cluster.rs). Argo CD
//! and KServe are played by the test: a thread (or the remote's
//! post-receive hook) patches `status` as they would.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cluster::{app_status, isvc_ready, Cluster, ADMIN_TOKEN, APP, ARGO_NS, NOBODY_TOKEN};
use crate::common::Env;

/// The main branch's tip in the bare remote: what mlops pushed.
fn tip(env: &Env, remote: &Path) -> String {
    env.git(remote, &["rev-parse", "refs/heads/main"])
        .trim()
        .to_string()
}

/// Plays Argo CD and KServe on a thread: once mlops asks for a refresh,
/// reports `steps` (sync, health) for the pushed commit one after the
/// other, then, unless the last is degraded, the InferenceService Ready
/// with HPA.
fn play(
    cluster: &Cluster,
    env: &Env,
    remote: &Path,
    steps: &'static [(&'static str, &'static str)],
) -> std::thread::JoinHandle<()> {
    let (ca, url, app, isvc) = (
        cluster.ca.clone(),
        cluster.url(),
        cluster.app_path(),
        cluster.isvc_path(),
    );
    let remote = remote.to_path_buf();
    let home = env.home();
    std::thread::spawn(move || {
        let call = |method: &str, path: &str, body: Option<Value>| -> Option<Value> {
            let mut cmd = Command::new("curl");
            cmd.args(["-sf", "--cacert", ca.to_str().unwrap(), "-X", method, "-H"])
                .arg(format!("Authorization: Bearer {ADMIN_TOKEN}"));
            if let Some(body) = body {
                cmd.args([
                    "-H",
                    "Content-Type: application/merge-patch+json",
                    "--data-binary",
                    &body.to_string(),
                ]);
            }
            let out = cmd.arg(format!("{url}{path}")).output().ok()?;
            out.status
                .success()
                .then(|| serde_json::from_slice(&out.stdout).unwrap_or(Value::Null))
        };
        let start = Instant::now();
        loop {
            let asked = call("GET", &app, None).and_then(|a| {
                a.pointer("/metadata/annotations/argocd.argoproj.io~1refresh")
                    .cloned()
            });
            if asked.is_some() {
                break;
            }
            if start.elapsed() > Duration::from_secs(60) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let commit = String::from_utf8(
            Command::new("git")
                .args(["rev-parse", "refs/heads/main"])
                .current_dir(&remote)
                .env("HOME", &home)
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
        .trim()
        .to_string();
        // Argo CD removes the annotation once it refreshed.
        call(
            "PATCH",
            &app,
            Some(json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": null}}})),
        );
        for (sync, health) in steps {
            std::thread::sleep(Duration::from_millis(300));
            call(
                "PATCH",
                &format!("{app}/status"),
                Some(app_status(sync, health, &commit)),
            );
        }
        if steps.last().is_some_and(|(_, h)| *h == "Degraded") {
            return;
        }
        std::thread::sleep(Duration::from_millis(300));
        call(
            "PATCH",
            &isvc,
            Some(
                json!({"metadata": {"annotations": {"serving.kserve.io/autoscalerClass": "hpa"}}}),
            ),
        );
        call("PATCH", &format!("{isvc}/status"), Some(isvc_ready()));
    })
}

/// A checkout of the fixture, and the cluster deployed at its main.
fn setup(env: &Env) -> Option<(Cluster, PathBuf, PathBuf)> {
    let cluster = Cluster::start(env.path())?;
    let (remote, work) = env.gitops(|_| {});
    cluster.deployed_at(&tip(env, &remote));
    Some((cluster, remote, work))
}

fn enable(env: &Env, work: &Path, kubeconfig: &Path, extra: &[&str]) -> std::process::Output {
    env.mlops(work)
        .args([
            "autoscale",
            "enable",
            "--env",
            "test",
            "jukebox",
            "--yes",
            "--wait",
            "--output",
            "json",
        ])
        .args(extra)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .unwrap()
}

fn report(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn waits_until_synced_healthy_and_ready_with_a_token() {
    let env = Env::new();
    let Some((cluster, remote, work)) = setup(&env) else {
        return;
    };
    let argo = play(
        &cluster,
        &env,
        &remote,
        &[
            ("OutOfSync", "Healthy"),
            ("Synced", "Progressing"),
            ("Synced", "Healthy"),
        ],
    );
    let out = enable(
        &env,
        &work,
        &cluster.kubeconfig(Some(ADMIN_TOKEN), ARGO_NS),
        &[],
    );
    argo.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let commit = tip(&env, &remote);
    let r = report(&out);
    assert_eq!(r["commit"], commit.as_str());
    assert_eq!(
        r["deployed"],
        json!([{"application": APP, "revision": commit, "sync": "Synced", "health": "Healthy", "ready": true}])
    );
    assert!(
        stderr.contains(&format!(
            "Asked Argo CD to refresh Argo CD application {APP} (namespace {ARGO_NS})"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "Deployed: {APP} is Synced and Healthy at {}",
            &commit[..10]
        )),
        "{stderr}"
    );
    assert!(!stderr.contains(ADMIN_TOKEN));
    eprintln!("--wait trace:\n{stderr}");
}

#[test]
fn already_deployed_with_a_client_certificate() {
    let env = Env::new();
    let Some((cluster, remote, work)) = setup(&env) else {
        return;
    };
    // The remote's post-receive hook plays Argo CD and KServe at once:
    // by the time mlops watches, the commit is deployed.
    let hook = remote.join("hooks/post-receive");
    let curl = |path: String, body: Value| {
        format!(
            "curl -sf --cacert {} -H 'Authorization: Bearer {ADMIN_TOKEN}' -H 'Content-Type: application/merge-patch+json' -X PATCH {}{path} --data-binary \"$(printf '%s' '{}' | sed \"s/COMMIT/$new/g\")\" >/dev/null\n",
            cluster.ca.display(), cluster.url(), body
        )
    };
    let script = format!(
        "#!/bin/sh\nread old new ref\n{}{}{}",
        curl(
            format!("{}/status", cluster.app_path()),
            app_status("Synced", "Healthy", "COMMIT")
        ),
        curl(
            cluster.isvc_path(),
            json!({"metadata": {"annotations": {"serving.kserve.io/autoscalerClass": "hpa"}}})
        ),
        curl(format!("{}/status", cluster.isvc_path()), isvc_ready()),
    );
    fs::write(&hook, script).unwrap();
    Command::new("chmod").arg("+x").arg(&hook).status().unwrap();
    let out = enable(
        &env,
        &work,
        &cluster.kubeconfig(None, "default"),
        &["--argocd-namespace", ARGO_NS],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let r = report(&out);
    assert_eq!(r["deployed"][0]["ready"], true, "{r}");
    assert_eq!(r["deployed"][0]["revision"], tip(&env, &remote).as_str());
    assert!(!stderr.contains("waiting for"), "{stderr}");
}

#[test]
fn a_degraded_application_ends_with_exit_5() {
    let env = Env::new();
    let Some((cluster, remote, work)) = setup(&env) else {
        return;
    };
    let argo = play(
        &cluster,
        &env,
        &remote,
        &[("Synced", "Progressing"), ("Synced", "Degraded")],
    );
    let out = enable(
        &env,
        &work,
        &cluster.kubeconfig(Some(ADMIN_TOKEN), ARGO_NS),
        &[],
    );
    argo.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Argo CD application {APP} (namespace {ARGO_NS}) is degraded"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("exceeded its progress deadline"),
        "{stderr}"
    );
    let r = report(&out);
    assert_eq!(r["pushed"], true);
    assert_eq!(r["deployed"][0]["health"], "Degraded");
    assert_eq!(r["deployed"][0]["ready"], false);
}

#[test]
fn a_timeout_says_what_is_pending() {
    let env = Env::new();
    let Some((cluster, remote, work)) = setup(&env) else {
        return;
    };
    let before = tip(&env, &remote);
    let out = enable(
        &env,
        &work,
        &cluster.kubeconfig(Some(ADMIN_TOKEN), ARGO_NS),
        &["--wait-timeout", "3s"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("did not finish within 3s"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Synced, Healthy at {} (waiting for Synced and Healthy at {}",
            &before[..10],
            &tip(&env, &remote)[..10]
        )),
        "{stderr}"
    );
    // The push happened all the same, as git sees it.
    assert_ne!(before, tip(&env, &remote));
    assert_eq!(report(&out)["deployed"][0]["sync"], "Synced");
}

#[test]
fn a_forbidden_user_is_told_what_rights_are_missing() {
    let env = Env::new();
    let Some((cluster, _remote, work)) = setup(&env) else {
        return;
    };
    let out = enable(
        &env,
        &work,
        &cluster.kubeconfig(Some(NOBODY_TOKEN), ARGO_NS),
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("forbidden"), "{stderr}");
    assert!(
        stderr.contains("needs get, list, watch and patch on applications.argoproj.io"),
        "{stderr}"
    );
    assert!(!stderr.contains(NOBODY_TOKEN));
}

#[test]
fn wait_options_need_wait_and_a_push() {
    let env = Env::new();
    let work = env.checkout();
    let out = env
        .mlops(&work)
        .args([
            "autoscale",
            "enable",
            "--env",
            "test",
            "jukebox",
            "--yes",
            "--wait",
            "--no-push",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("--wait needs the push that --no-push leaves out"));
    let out = env
        .mlops(&work)
        .args([
            "autoscale",
            "enable",
            "--env",
            "test",
            "jukebox",
            "--yes",
            "--wait",
            "--wait-timeout",
            "5x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(env.subjects(&work, "origin/main").len(), 1);
}

#[test]
fn without_a_cluster_the_push_stands_and_exit_5_says_why() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let before = tip(&env, &remote);
    let out = env
        .mlops(&work)
        .args([
            "autoscale",
            "enable",
            "--env",
            "test",
            "jukebox",
            "--yes",
            "--wait",
            "--output",
            "json",
        ])
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("pushed, but --wait found no Kubernetes cluster to watch"),
        "{stderr}"
    );
    assert!(stderr.contains("KUBECONFIG"), "{stderr}");
    // The push stands, as git sees it, and the report says so.
    let r = report(&out);
    assert_ne!(before, tip(&env, &remote));
    assert_eq!(r["commit"], tip(&env, &remote).as_str());
    assert_eq!(r["pushed"], true);
    assert_eq!(
        r["deployed"],
        json!([{"application": APP, "revision": null, "sync": null, "health": null, "ready": false}])
    );
}

#[test]
fn a_cluster_that_does_not_answer_ends_with_exit_5() {
    let env = Env::new();
    let (_remote, work) = env.gitops(|_| {});
    let port = crate::servers::free_port();
    let kubeconfig = env.path().join("kubeconfig");
    fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:{port}\n    insecure-skip-tls-verify: true\n\
             users:\n- name: u\n  user:\n    token: secret-token-0123456789\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n    namespace: {ARGO_NS}\n\
             current-context: c\n"
        ),
    )
    .unwrap();
    let out = enable(&env, &work, &kubeconfig, &["--wait-timeout", "5s"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "could not refresh Argo CD application {APP} (namespace {ARGO_NS})"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("secret-token-0123456789"));
    assert_eq!(report(&out)["pushed"], true);
}

#[test]
fn a_review_branch_is_not_waited_for() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let out = env
        .mlops(&work)
        .args([
            "autoscale",
            "enable",
            "--env",
            "test",
            "jukebox",
            "--branch",
            "jukebox-hpa",
        ])
        .args(["--yes", "--wait", "--output", "json"])
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("Not waiting for {APP}: it deploys main")),
        "{stderr}"
    );
    let r = report(&out);
    assert_eq!(r["deployed"], json!([]));
    assert_eq!(
        r["commit"],
        env.git(&remote, &["rev-parse", "refs/heads/jukebox-hpa"])
            .trim()
    );
}
