//! Reaching remotes the way `git push` does (issue 12): a path or
//! `file://` remote through git receive-pack (its hooks run, its ref moves
//! only from the value we saw), and SSH through the OpenSSH client
//! (`~/.ssh/config`, `GIT_SSH_COMMAND`, `core.sshCommand`, ProxyJump,
//! ssh-agent), on real repositories and sshd servers on 127.0.0.1.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;
use pretty_assertions::assert_eq;

use crate::auth::ssh_setup;
use crate::clone::make_executable;
use crate::common::{hook, words, Env};
use crate::servers::{available, keygen_with_passphrase, whoami, Agent, Sshd};

fn tip(env: &Env, repo: &Path) -> String {
    env.git(repo, &["rev-parse", "main"]).trim().to_string()
}

/// The three ways to name a path remote: a checkout whose origin is the
/// path, `--clone PATH` and `--clone file://PATH`.
fn path_remote_modes(work: &Path, remote: &Path) -> [Vec<String>; 3] {
    let path = remote.display().to_string();
    [
        vec!["-C".into(), work.display().to_string()],
        vec!["--clone".into(), path.clone()],
        vec!["--clone".into(), format!("file://{path}")],
    ]
}

#[test]
fn a_refusing_pre_receive_hook_on_a_path_remote_is_exit_4_in_every_mode() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    hook(
        &remote,
        "pre-receive",
        "cat >/dev/null\necho 'main is protected: open a pull request' >&2\nexit 1\n",
    );
    let before = tip(&env, &remote);
    let head = env.git(&work, &["rev-parse", "HEAD"]);
    for args in path_remote_modes(&work, &remote) {
        env.mlops(env.path())
            .args(words("autoscale enable --env test jukebox --yes"))
            .args(&args)
            .assert()
            .code(4)
            .stderr(predicate::str::contains(
                "remote: main is protected: open a pull request",
            ))
            .stderr(predicate::str::contains("pre-receive hook declined"))
            .stderr(predicate::str::contains("Pushed").not());
        assert_eq!(tip(&env, &remote), before, "{args:?}");
    }
    assert_eq!(env.git(&work, &["rev-parse", "HEAD"]), head);
    assert_eq!(env.status(&work), "");
}

#[test]
fn a_post_receive_hook_runs_and_its_words_are_shown() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let marker = env.path().join("post-receive-ran");
    hook(
        &remote,
        "post-receive",
        &format!(
            "cat > '{}'\necho 'Argo CD will sync in a minute'\n",
            marker.display()
        ),
    );
    env.mlops(&work)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "remote: Argo CD will sync in a minute",
        ));
    let pushed = tip(&env, &remote);
    assert!(fs::read_to_string(&marker).unwrap().contains(&pushed));
    assert_eq!(env.git(&work, &["rev-parse", "origin/main"]).trim(), pushed);
}

#[test]
fn two_pushers_to_a_path_remote_take_turns_and_lose_no_update() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    // Both first pushes wait for each other in pre-receive, so both are
    // checked against the same old tip; the remote's ref lock lets one win.
    let gate = env.path().join("gate");
    fs::create_dir_all(&gate).unwrap();
    hook(
        &remote,
        "pre-receive",
        &format!(
            "cat >/dev/null\ncd '{}'\nif [ ! -e open ]; then touch \"in.$$\"; i=0\n\
             while [ \"$(ls in.* | wc -l)\" -lt 2 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done\n\
             touch open; fi\n",
            gate.display()
        ),
    );
    // One pusher in the checkout, one in a temporary clone.
    let clone = ["--clone", remote.to_str().unwrap()];
    let pushers: Vec<_> = [("jukebox", &[][..]), ("jukebox-ui", &clone[..])]
        .into_iter()
        .map(|(model, mode)| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_mlops"));
            env.apply(&mut cmd);
            cmd.current_dir(&work)
                .args(["autoscale", "enable", "--env", "test", model])
                .args(mode)
                .args(words("--yes --output json"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut attempts: Vec<u64> = pushers
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{stderr}");
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            doc["attempts"].as_u64().unwrap()
        })
        .collect();
    attempts.sort();
    assert_eq!(attempts, [1, 2], "one won the first round, one retried");
    let subjects = env.subjects(&remote, "main");
    assert_eq!(subjects.len(), 3, "{subjects:?}");
    for model in ["jukebox", "jukebox-ui"] {
        assert!(subjects.contains(&format!("Enable autoscaling for {model} in test")));
    }
    assert_eq!(env.git(&remote, &["rev-list", "--merges", "main"]), "");
}

#[test]
fn a_path_remote_without_git_on_path_says_git_is_needed() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let before = tip(&env, &remote);
    let empty = env.path().join("empty-bin");
    fs::create_dir_all(&empty).unwrap();
    env.mlops(&work)
        .env("PATH", &empty)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "git is not installed or not on PATH",
        ))
        .stderr(predicate::str::contains("install git"));
    assert_eq!(tip(&env, &remote), before);
    assert_eq!(env.status(&work), "");
}

/// `$HOME/.ssh/config` with `text`, and known_hosts trusting `servers`.
fn ssh_config(env: &Env, text: &str, servers: &[&Sshd]) {
    let dir = env.home().join(".ssh");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("config"), text).unwrap();
    let known: String = servers.iter().map(|s| s.known_hosts_line()).collect();
    fs::write(dir.join("known_hosts"), known).unwrap();
}

/// A `Host` block reaching `sshd` as the test user with `key`.
fn host_block(alias: &str, sshd: &Sshd, key: &Path) -> String {
    format!(
        "Host {alias}\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile {}\n",
        sshd.port,
        whoami(),
        key.display()
    )
}

/// `--clone URL` pushes, with the extra environment `vars`.
fn pushes_over(env: &Env, remote: &Path, url: &str, vars: &[(&str, &OsStr)]) {
    env.mlops(env.path())
        .envs(vars.iter().copied())
        .args(words("autoscale enable --env test jukebox --yes"))
        .args(["--clone", url])
        .assert()
        .success();
    assert_eq!(
        env.subjects(remote, "main")[0],
        "Enable autoscaling for jukebox in test"
    );
}

#[test]
fn tektons_ssh_auth_layout_under_a_home_that_is_not_the_passwd_home() {
    let env = Env::new();
    let Some((remote, key, sshd)) = ssh_setup(&env, true) else {
        return;
    };
    // What Tekton's creds-init writes for a kubernetes.io/ssh-auth secret.
    let id = env.home().join(".ssh/id_mysecret");
    fs::copy(&key, &id).unwrap();
    ssh_config(
        &env,
        &format!(
            "Host 127.0.0.1\n  HostName 127.0.0.1\n  Port {}\n  IdentityFile {}\n",
            sshd.port,
            id.display()
        ),
        &[&sshd],
    );
    let url = format!("{}@127.0.0.1:{}", whoami(), remote.display());
    pushes_over(&env, &remote, &url, &[]);
}

#[test]
fn a_host_alias_from_ssh_config_with_an_scp_like_url_in_a_checkout() {
    let env = Env::new();
    let Some((remote, key, sshd)) = ssh_setup(&env, true) else {
        return;
    };
    ssh_config(&env, &host_block("gitops-forge", &sshd, &key), &[&sshd]);
    let work = env.path().join("work");
    let url = format!("gitops-forge:{}", remote.display());
    env.git(&work, &["remote", "set-url", "origin", &url]);
    env.mlops(&work)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains("to origin/main"));
    assert_eq!(
        tip(&env, &remote),
        env.git(&work, &["rev-parse", "HEAD"]).trim()
    );
    assert_eq!(
        env.git(&work, &["rev-parse", "origin/main"]).trim(),
        tip(&env, &remote)
    );
}

/// `ssh -i KEY -o UserKnownHostsFile=FILE -p PORT`, for GIT_SSH_COMMAND and
/// core.sshCommand, with known_hosts outside `~/.ssh`.
fn ssh_command(env: &Env, key: &Path, sshd: &Sshd) -> (String, String) {
    let known = env.path().join("known_hosts_elsewhere");
    fs::write(&known, sshd.known_hosts_line()).unwrap();
    let command = format!(
        "ssh -i {} -o UserKnownHostsFile={} -p {}",
        key.display(),
        known.display(),
        sshd.port
    );
    // No port in the URL: it comes from the command.
    let remote = env.path().join("remote.git");
    (
        command,
        format!("{}@127.0.0.1:{}", whoami(), remote.display()),
    )
}

#[test]
fn git_ssh_command_is_honoured() {
    let env = Env::new();
    let Some((remote, key, sshd)) = ssh_setup(&env, false) else {
        return;
    };
    let (command, url) = ssh_command(&env, &key, &sshd);
    let vars = [("GIT_SSH_COMMAND", OsStr::new(&command))];
    pushes_over(&env, &remote, &url, &vars);
}

#[test]
fn core_ssh_command_is_honoured() {
    let env = Env::new();
    let Some((remote, key, sshd)) = ssh_setup(&env, false) else {
        return;
    };
    let (command, url) = ssh_command(&env, &key, &sshd);
    env.git(
        env.path(),
        &["config", "--global", "core.sshCommand", &command],
    );
    pushes_over(&env, &remote, &url, &[]);
}

#[test]
fn proxy_jump_through_a_second_sshd() {
    let env = Env::new();
    let Some((remote, key, target)) = ssh_setup(&env, false) else {
        return;
    };
    let jump_dir = env.path().join("jump");
    fs::create_dir_all(&jump_dir).unwrap();
    let Some(jump) = Sshd::start(&jump_dir, &key.with_extension("pub")) else {
        return;
    };
    let config = format!(
        "{}{}  ProxyJump jump\n",
        host_block("jump", &jump, &key),
        host_block("target", &target, &key)
    );
    ssh_config(&env, &config, &[&jump, &target]);
    pushes_over(&env, &remote, &format!("target:{}", remote.display()), &[]);
    assert!(
        jump.log().contains("Accepted publickey"),
        "the jump host was used: {}",
        jump.log()
    );
}

#[test]
fn a_passphrase_protected_key_held_by_ssh_agent() {
    let env = Env::new();
    let Some((remote, _, _)) = ssh_setup(&env, false) else {
        return;
    };
    let Some(agent) = Agent::start(env.path()) else {
        return;
    };
    let key = env.path().join("locked_key");
    let public = keygen_with_passphrase(&key, "correct horse battery");
    let sshd_dir = env.path().join("agent-sshd");
    fs::create_dir_all(&sshd_dir).unwrap();
    let Some(sshd) = Sshd::start(&sshd_dir, &public) else {
        return;
    };
    agent.add(&key, "correct horse battery");
    ssh_config(&env, "", &[&sshd]);
    let vars = [("SSH_AUTH_SOCK", agent.socket.as_os_str())];
    pushes_over(&env, &remote, &sshd.url(&remote), &vars);
}

#[test]
fn an_unknown_host_key_without_a_terminal_fails_fast_with_the_real_address() {
    let env = Env::new();
    let Some((remote, key, sshd)) = ssh_setup(&env, false) else {
        return;
    };
    ssh_config(&env, &host_block("gitops-forge", &sshd, &key), &[]);
    let before = tip(&env, &remote);
    let start = Instant::now();
    env.mlops(env.path())
        .timeout(Duration::from_secs(30))
        .args(words("autoscale enable --env test jukebox --yes"))
        .args(["--clone", &format!("gitops-forge:{}", remote.display())])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("is not in ~/.ssh/known_hosts"))
        .stderr(predicate::str::contains(format!(
            "ssh-keyscan -p {} 127.0.0.1",
            sshd.port
        )));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(tip(&env, &remote), before);
}

#[test]
fn a_failing_ssh_is_exit_4_with_its_own_words() {
    let env = Env::new();
    if !available(&["ssh"]) {
        return;
    }
    let (remote, _) = env.gitops(|_| {});
    let fake: PathBuf = env.path().join("fake-ssh");
    fs::write(
        &fake,
        "#!/bin/sh\necho 'kex_exchange_identification: Connection closed by remote host' >&2\nkill -9 $$\n",
    )
    .unwrap();
    make_executable(&fake);
    env.mlops(env.path())
        .env("GIT_SSH", &fake)
        .args(words("autoscale enable --env test jukebox --yes"))
        .args(["--clone", &format!("forge:{}", remote.display())])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "ssh failed (killed by signal 9): kex_exchange_identification: Connection closed by remote host",
        ))
        .stderr(predicate::str::contains("could not reach forge:"));
}

#[test]
fn a_key_the_server_refuses_is_an_authentication_failure_naming_the_key() {
    let env = Env::new();
    let Some((remote, _, sshd)) = ssh_setup(&env, true) else {
        return;
    };
    let stranger = env.path().join("stranger_key");
    crate::servers::keygen(&stranger);
    env.mlops(env.path())
        .env("MLOPS_SSH_KEY", &stranger)
        .args(words("autoscale enable --env test jukebox --yes"))
        .args(["--clone", &sshd.url(&remote)])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(format!(
            "failed (ssh offered: {})",
            stranger.display()
        )))
        .stderr(predicate::str::contains("SSH: set MLOPS_SSH_KEY"))
        .stderr(predicate::str::contains("MLOPS_GIT_TOKEN").not());
}
