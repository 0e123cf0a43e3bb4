//! The demo's second part, closing the loop, shown when the real servers
//! are there (`scripts/test-servers.sh` built Gitea and kube-apiserver;
//! etcd and openssl installed): the demo repository moves to a Gitea on
//! 127.0.0.1 (the workshop's forge) and is cloned from there, a Kubernetes API on 127.0.0.1 holds
//! the Argo CD application and the InferenceService that deploy jukebox
//! in test, and two more commands run: `autoscale enable … --wait`
//! (pushed, refreshed, watched until deployed) and `set --env prod …
//! --branch … --pull-request` (a review branch and its pull request).
//! Argo CD and KServe themselves are played by [`super::argo`].

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use super::argo::{self, APP, ARGO_NS, MODEL_NS, REPO};
use crate::commands::autoscale::Render;
use crate::commands::change::{self, Edit};
use crate::commands::Context;
use crate::error::{self, Result};
use crate::gitops::chart::Autoscaler;
use crate::testbed::{self, Cluster, Gitea, ADMIN, ADMIN_TOKEN};

/// Runs the second part in `work` (the demo checkout) with the servers'
/// data under `dir`; says what is missing instead when a server is.
pub(super) fn run(demo: &Context, dir: &Path, work: &Path) -> Result<()> {
    let missing = testbed::missing();
    if !missing.is_empty() {
        demo.ui.info(format!(
            "\nClosing the loop (--pull-request on Gitea, --wait for Argo CD and KServe) is shown when the real servers are there; missing:\n  {}",
            missing.join("\n  ")
        ));
        return Ok(());
    }
    demo.ui.info(
        "\nClosing the loop: starting Gitea and a Kubernetes API (etcd, kube-apiserver) on 127.0.0.1 …",
    );
    let fail = |what: &str| {
        let what = what.to_string();
        move |e: String| error::failure(format!("the demo could not {what}: {e}"))
    };
    let (gitea, cluster) = std::thread::scope(|s| {
        let gitea = s.spawn(|| Gitea::start(dir));
        let cluster = s.spawn(|| Cluster::start(dir, &[ARGO_NS, MODEL_NS]));
        let gitea = gitea.join().unwrap_or_else(|_| Err("it panicked".into()));
        let cluster = cluster.join().unwrap_or_else(|_| Err("it panicked".into()));
        (gitea, cluster)
    });
    let gitea = gitea.map_err(fail("start Gitea"))?;
    let cluster = cluster.map_err(fail("start the Kubernetes API"))?;
    let (clone, commit) =
        clone_from_gitea(&gitea, dir, work).map_err(fail("put the repository on Gitea"))?;
    demo.ui.info(format!(
        "Gitea: {} holds the demo repository; cloned into {} (git's credential-store helper holds the token)",
        gitea.repo_url(REPO),
        clone.display()
    ));
    argo::deployed(&cluster, &gitea, &commit).map_err(fail("set up the cluster"))?;
    let kubeconfig = cluster
        .kubeconfig(Some(ADMIN_TOKEN), ARGO_NS)
        .map_err(fail("write a kubeconfig"))?;
    // Read by the wait as kubectl reads it; set before any other thread
    // of this process runs.
    std::env::set_var("KUBECONFIG", &kubeconfig);
    demo.ui.info(format!(
        "Kubernetes API: {} (KUBECONFIG={}), Argo CD application {APP} in {ARGO_NS} and InferenceService jukebox in {MODEL_NS}, deployed at {:.10}; Argo CD and KServe are played by the demo",
        cluster.url(),
        kubeconfig.display(),
        commit
    ));

    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| argo::play(&cluster, &gitea, &stop));
        let steps = steps(demo, &clone);
        stop.store(true, Ordering::Relaxed);
        steps
    })?;
    let pulls = gitea
        .call(
            "GET",
            &format!("/repos/{ADMIN}/{REPO}/pulls?state=open"),
            None,
        )
        .map_err(fail("list the pull requests"))?;
    for pr in pulls.as_array().into_iter().flatten() {
        demo.ui.info(format!(
            "Gitea's open pull request #{}: {} ({} into {})",
            pr["number"],
            pr["title"].as_str().unwrap_or(""),
            pr.pointer("/head/ref")
                .and_then(|r| r.as_str())
                .unwrap_or("?"),
            pr.pointer("/base/ref")
                .and_then(|r| r.as_str())
                .unwrap_or("?"),
        ));
    }
    demo.ui.info("Stopping Gitea and the Kubernetes API.");
    Ok(())
}

/// The two commands that close the loop.
fn steps(demo: &Context, work: &Path) -> Result<()> {
    let mut wait = demo.with_repo(work.to_path_buf());
    wait.change.close.wait = true;
    wait.change.close.wait_timeout = Some("2m".into());
    let mut review = demo.with_repo(work.to_path_buf());
    review.repo.branch = Some("jukebox-v3".into());
    review.change.close.pull_request = true;
    let steps: [(&str, &Context, &str, &dyn Edit); 2] = [
        (
            "mlops autoscale enable --env test jukebox --wait",
            &wait,
            "test",
            &Render(Autoscaler::Hpa),
        ),
        (
            "mlops set --env prod jukebox version=v3 --branch jukebox-v3 --pull-request",
            &review,
            "prod",
            &crate::commands::set::demo_step("version=v3"),
        ),
    ];
    for (line, ctx, env, edit) in steps {
        demo.ui.info(format!("\n$ {line}"));
        change::run(ctx, &[env.to_string()], &["jukebox".to_string()], edit)?;
    }
    Ok(())
}

/// Gitea's repository `REPO` holding the demo checkout's main, and a
/// clone of it in `dir/REPO-on-gitea`, as a person would have it: pushed
/// and cloned with git, the token in git's credential-store helper (a
/// file under `dir`, never on a command line). The clone's folder and
/// main's commit.
fn clone_from_gitea(gitea: &Gitea, dir: &Path, work: &Path) -> testbed::Result<(PathBuf, String)> {
    gitea.create_repo(REPO, false)?;
    let store = dir.join("git-credentials");
    let port = gitea.port;
    let line = format!("http://{ADMIN}:{}@127.0.0.1:{port}\n", gitea.token);
    std::fs::write(&store, line).map_err(|e| e.to_string())?;
    let helper = format!("credential.helper=store --file={}", store.display());
    let url = gitea.repo_url(REPO);
    let clone = dir.join(format!("{REPO}-on-gitea"));
    let git = |dir: &Path, args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .map_err(|e| format!("could not run git: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(format!(
                "git {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    git(work, &["-c", &helper, "push", "-q", &url, "main"])?;
    gitea.wait_filled(REPO)?;
    let target = clone.to_string_lossy();
    git(dir, &["clone", "-q", "--config", &helper, &url, &target])?;
    let commit = git(&clone, &["rev-parse", "main"])?;
    Ok((clone, commit))
}
