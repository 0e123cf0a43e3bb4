//! Credentials from an askpass program, as git asks for them: a real
//! script answering the prompts against lighttpd's basic auth, named by
//! `GIT_ASKPASS`, `core.askPass` or `SSH_ASKPASS`; `git push` runs with
//! the same program on the same server, and both must ask the same
//! prompts, in the same order, and get in. A password in the URL that
//! the server refuses is reported as such.

use std::fs;
use std::path::{Path, PathBuf};

use crate::clone::make_executable;
use crate::common::{all_output, config, words, Env};
use crate::servers::Http;

const TOKEN: &str = "askp4ss-t0ken-value";

/// A script that logs each prompt it gets (one a line) to `log` and
/// answers `bot` to a username prompt, the token to a password prompt.
fn askpass_script(env: &Env, log: &Path) -> PathBuf {
    let path = env.path().join("askpass.sh");
    fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\ncase \"$1\" in\n  Username*) echo bot ;;\n  *) echo {TOKEN} ;;\nesac\n",
            log.display()
        ),
    )
    .unwrap();
    make_executable(&path);
    path
}

/// A gitops remote served over HTTP with basic auth, a checkout whose
/// origin is its URL (no credentials in it), and the server.
fn served(env: &Env) -> Option<(PathBuf, PathBuf, Http)> {
    let (remote, work) = env.gitops(|_| {});
    env.git(&remote, &["config", "http.receivepack", "true"]);
    let http = Http::start(env.path(), env.path(), "bot", TOKEN)?;
    env.git(
        &work,
        &["remote", "set-url", "origin", &http.url("remote.git")],
    );
    Some((remote, work, http))
}

/// The prompts logged so far, and the log emptied.
fn prompts(log: &Path) -> Vec<String> {
    let text = fs::read_to_string(log).unwrap_or_default();
    let _ = fs::remove_file(log);
    text.lines().map(str::to_string).collect()
}

/// `git push` of a commit like mlops's, with `set` applied to the
/// command (the askpass setting); the prompts git asked.
fn git_push(
    env: &Env,
    work: &Path,
    log: &Path,
    set: &dyn Fn(&mut std::process::Command),
) -> Vec<String> {
    let model = config(work, "test", "jukebox");
    let text = fs::read_to_string(&model).unwrap();
    fs::write(&model, format!("{text}autoscaling: true\n")).unwrap();
    env.git(work, &["commit", "-qam", "git's change"]);
    let mut cmd = std::process::Command::new("git");
    cmd.args(["push", "-q", "origin", "HEAD:refs/heads/by-git"])
        .current_dir(work);
    env.apply(&mut cmd);
    set(&mut cmd);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "git push: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.git(work, &["reset", "-q", "--hard", "HEAD~1"]);
    prompts(log)
}

/// mlops's push with `set` applied: it must get in, without showing the
/// token; the prompts it asked.
fn mlops_push(
    env: &Env,
    work: &Path,
    remote: &Path,
    log: &Path,
    set: &dyn Fn(&mut assert_cmd::Command),
) -> Vec<String> {
    let mut cmd = env.mlops(work);
    cmd.env_remove("GIT_ASKPASS").env_remove("SSH_ASKPASS");
    set(&mut cmd);
    let out = cmd
        .args(words("autoscale enable --env test jukebox --yes"))
        .output()
        .unwrap();
    let text = all_output(&out);
    assert!(out.status.success(), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
    assert_eq!(
        env.subjects(remote, "main")[0],
        "Enable autoscaling for jukebox in test"
    );
    prompts(log)
}

fn expected(http: &Http) -> Vec<String> {
    let host = http
        .url("")
        .split('/')
        .take(3)
        .collect::<Vec<_>>()
        .join("/");
    let with_user = host.replace("http://", "http://bot@");
    vec![
        format!("Username for '{host}': "),
        format!("Password for '{with_user}': "),
    ]
}

#[test]
fn git_askpass_answers_the_prompts_git_asks() {
    let env = Env::new();
    let Some((remote, work, http)) = served(&env) else {
        return;
    };
    let log = env.path().join("prompts.log");
    let script = askpass_script(&env, &log);
    let git = git_push(&env, &work, &log, &|c| {
        c.env("GIT_ASKPASS", &script).env_remove("SSH_ASKPASS");
    });
    assert_eq!(git, expected(&http));
    let mlops = mlops_push(&env, &work, &remote, &log, &|c| {
        c.env("GIT_ASKPASS", &script);
    });
    assert_eq!(mlops, git);
}

#[test]
fn core_askpass_answers_when_git_askpass_is_unset() {
    let env = Env::new();
    let Some((remote, work, http)) = served(&env) else {
        return;
    };
    let log = env.path().join("prompts.log");
    let script = askpass_script(&env, &log);
    env.git(&work, &["config", "core.askPass", script.to_str().unwrap()]);
    // SSH_ASKPASS comes after core.askPass: a failing one must not be used.
    let git = git_push(&env, &work, &log, &|c| {
        c.env_remove("GIT_ASKPASS").env("SSH_ASKPASS", "false");
    });
    assert_eq!(git, expected(&http));
    let mlops = mlops_push(&env, &work, &remote, &log, &|c| {
        c.env("SSH_ASKPASS", "false");
    });
    assert_eq!(mlops, git);
}

#[test]
fn ssh_askpass_answers_last() {
    let env = Env::new();
    let Some((remote, work, http)) = served(&env) else {
        return;
    };
    let log = env.path().join("prompts.log");
    let script = askpass_script(&env, &log);
    let git = git_push(&env, &work, &log, &|c| {
        c.env_remove("GIT_ASKPASS").env("SSH_ASKPASS", &script);
    });
    assert_eq!(git, expected(&http));
    let mlops = mlops_push(&env, &work, &remote, &log, &|c| {
        c.env("SSH_ASKPASS", &script);
    });
    assert_eq!(mlops, git);
}

#[test]
fn a_refused_password_in_the_url_says_so() {
    let env = Env::new();
    let Some((remote, work, http)) = served(&env) else {
        return;
    };
    let wrong = "wr0ng-url-passw0rd";
    let url = http
        .url("remote.git")
        .replace("http://", &format!("http://bot:{wrong}@"));
    env.git(&work, &["remote", "set-url", "origin", &url]);
    let before = env.git(&remote, &["rev-parse", "main"]);
    let git = env.git_output(&work, &["push", "origin", "HEAD:refs/heads/by-git"]);
    assert!(!git.status.success());
    assert!(String::from_utf8_lossy(&git.stderr).contains("Authentication failed"));
    let out = env
        .mlops(&work)
        .args(words("autoscale enable --env test jukebox --yes"))
        .output()
        .unwrap();
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(
        text.contains("the password in the remote URL was refused"),
        "{text}"
    );
    assert!(!text.contains("nothing was configured"), "{text}");
    assert!(!text.contains(wrong), "{text}");
    assert_eq!(env.git(&remote, &["rev-parse", "main"]), before);
}
