//! `--pull-request` against a real Gitea (tests/it/gitea.rs) and against
//! a git server that is not a forge (lighttpd's git http-backend).

use std::path::Path;

use serde_json::Value;

use crate::common::Env;
use crate::gitea::{Gitea, ADMIN};
use crate::servers;

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `mlops set --env prod jukebox version=V --branch B --pull-request`.
fn set_version(
    env: &Env,
    work: &Path,
    version: &str,
    branch: &str,
    token: &str,
) -> std::process::Output {
    env.mlops(work)
        .args(["set", "--env", "prod", "jukebox"])
        .arg(format!("version={version}"))
        .args([
            "--branch",
            branch,
            "--pull-request",
            "--yes",
            "--output",
            "json",
        ])
        .env("MLOPS_GIT_USERNAME", ADMIN)
        .env("MLOPS_GIT_TOKEN", token)
        .output()
        .unwrap()
}

#[test]
fn opens_a_pull_request_then_reuses_it() {
    let env = Env::new();
    let Some(gitea) = Gitea::start(env.path()) else {
        return;
    };
    let work = gitea.gitops(&env, "mlops-gitops", true);

    let out = set_version(&env, &work, "v3", "jukebox-v3", &gitea.token);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out);
    let pr = &report["pull_request"];
    assert_eq!(pr["created"], true, "{report}");
    let number = pr["number"].as_u64().unwrap();
    assert_eq!(
        pr["url"],
        format!(
            "http://127.0.0.1:{}/{ADMIN}/mlops-gitops/pulls/{number}",
            gitea.port
        )
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "Opened pull request #{number} from jukebox-v3 into main"
        )),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&gitea.token)
            && !String::from_utf8_lossy(&out.stdout).contains(&gitea.token)
    );

    // What the forge holds: the branch git sees, titled and described by
    // the pushed commit's message.
    let seen = gitea.get(&format!("/repos/{ADMIN}/mlops-gitops/pulls/{number}"));
    assert_eq!(seen["head"]["ref"], "jukebox-v3");
    assert_eq!(seen["base"]["ref"], "main");
    gitea.fetch(&env, &work, "mlops-gitops");
    let subject = env.git(&work, &["log", "-1", "--format=%s", "origin/jukebox-v3"]);
    assert_eq!(seen["title"], subject.trim());
    assert_eq!(seen["head"]["sha"], report["commit"]);

    // A second change on the same branch: the open pull request is reused.
    let out = set_version(&env, &work, "v4", "jukebox-v3", &gitea.token);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out);
    assert_eq!(report["pull_request"]["created"], false, "{report}");
    assert_eq!(report["pull_request"]["number"], number);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is already open"));
    assert_eq!(gitea.open_pulls("mlops-gitops").len(), 1);
}

#[test]
fn a_refused_token_opens_nothing_as_git_pushes_nothing() {
    let env = Env::new();
    let Some(gitea) = Gitea::start(env.path()) else {
        return;
    };
    let work = gitea.gitops(&env, "mlops-gitops", true);
    // The push and the forge's API take the same credentials: a token
    // the forge refuses stops the run at the push, before any pull
    // request, with exit 4 and the token nowhere in the output.
    let bad = "not-the-token-0123456789";
    let out = set_version(&env, &work, "v3", "jukebox-v3", bad);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("MLOPS_GIT_TOKEN"), "{stderr}");
    assert!(!stderr.contains(bad) && !String::from_utf8_lossy(&out.stdout).contains(bad));
    assert!(gitea.open_pulls("mlops-gitops").is_empty());

    // git refuses the same token for the same push, and the branch is
    // not on the forge.
    let url = format!(
        "http://{ADMIN}:{bad}@127.0.0.1:{}/{ADMIN}/mlops-gitops.git",
        gitea.port
    );
    let git = env.git_output(&work, &["push", &url, "HEAD:refs/heads/jukebox-v3"]);
    assert!(!git.status.success());
    assert!(String::from_utf8_lossy(&git.stderr).contains("Authentication failed"));
    let branches = gitea.get(&format!("/repos/{ADMIN}/mlops-gitops/branches"));
    let names: Vec<&str> = branches
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["name"].as_str())
        .collect();
    assert_eq!(names, ["main"]);
}

#[test]
fn a_remote_that_is_no_forge_is_pushed_then_named() {
    let env = Env::new();
    let Some((remote, work, _http)) = servers::served_gitops(&env, false, "token") else {
        return;
    };
    let out = env
        .mlops(&work)
        .args([
            "set",
            "--env",
            "prod",
            "jukebox",
            "version=v3",
            "--branch",
            "jukebox-v3",
        ])
        .args(["--pull-request", "--yes", "--output", "json"])
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", "token")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is not a Gitea or Forgejo forge"),
        "{stderr}"
    );
    assert!(stderr.contains("gh pr create"), "{stderr}");
    assert!(
        stderr.contains("the commit is pushed to jukebox-v3"),
        "{stderr}"
    );
    let report = json_of(&out);
    assert_eq!(report["pushed"], true);
    assert_eq!(report["pull_request"], Value::Null);
    // The push happened: git sees the branch at the reported commit.
    let tip = env.git(&remote, &["rev-parse", "refs/heads/jukebox-v3"]);
    assert_eq!(report["commit"], tip.trim());
}

#[test]
fn pull_request_needs_a_branch() {
    let env = Env::new();
    let work = env.checkout();
    let out = env
        .mlops(&work)
        .args([
            "set",
            "--env",
            "prod",
            "jukebox",
            "version=v3",
            "--pull-request",
            "--yes",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--pull-request needs --branch NAME"));
    assert_eq!(env.subjects(&work, "origin/main").len(), 1);
}

#[test]
fn forge_gitea_skips_the_question_and_reports_the_answer() {
    let env = Env::new();
    let Some((_remote, work, http)) = servers::served_gitops(&env, false, "token") else {
        return;
    };
    let out = env
        .mlops(&work)
        .args([
            "set",
            "--env",
            "prod",
            "jukebox",
            "version=v3",
            "--branch",
            "jukebox-v3",
        ])
        .args(["--pull-request", "--forge", "gitea", "--yes"])
        .env("MLOPS_GIT_USERNAME", "bot")
        .env("MLOPS_GIT_TOKEN", "token")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Told it is Gitea, mlops asks for the open pull requests at once,
    // with the push's credentials (the server asked for them), and says
    // what the server answered.
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("listing the open pull requests: the forge answered HTTP 404"),
        "{stderr}"
    );
    let asked: Vec<_> = http
        .requests()
        .into_iter()
        .filter(|r| r.line.contains("/api/v1/"))
        .collect();
    assert!(
        !asked.iter().any(|r| r.line.contains("/api/v1/version")),
        "{asked:?}"
    );
    assert!(asked.iter().all(|r| r.authorization), "{asked:?}");
}

#[test]
fn the_credential_helper_answers_for_the_pull_request_too() {
    let env = Env::new();
    let Some(gitea) = Gitea::start(env.path()) else {
        return;
    };
    let work = gitea.gitops(&env, "mlops-gitops", true);
    // git's own store helper, as `git credential fill` reads it.
    std::fs::write(
        env.home().join(".git-credentials"),
        format!("http://{ADMIN}:{}@127.0.0.1:{}\n", gitea.token, gitea.port),
    )
    .unwrap();
    env.git(&work, &["config", "credential.helper", "store"]);
    let out = env
        .mlops(&work)
        .args([
            "set",
            "--env",
            "prod",
            "jukebox",
            "version=v3",
            "--branch",
            "jukebox-v3",
        ])
        .args(["--pull-request", "--yes", "--output", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report = json_of(&out);
    assert_eq!(report["pull_request"]["created"], true, "{report}");
    assert!(!stderr.contains(&gitea.token));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&gitea.token));
    assert_eq!(gitea.open_pulls("mlops-gitops").len(), 1);
}
