//! One SSH connection per run (src/git/transport/mux.rs): a checkout that
//! is behind its remote fetches over a second session of the connection
//! its push listing opened, leaves nothing behind, and leaves a user's
//! own `ControlMaster` configuration alone; and fetches the tip it lacks
//! in one request (src/git/upload.rs), as `git pull` would have it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::auth::{ssh_setup, ssh_setup_with};
use crate::common::{leftovers, words, Env};
use crate::servers::{whoami, Sshd};

/// `ssh` in `$HOME/.ssh/config` reaching `sshd` as `forge`, plus `extra`;
/// the checkout's origin `forge:REMOTE`. Returns the checkout and a
/// folder for `TMPDIR`.
fn over_forge(
    env: &Env,
    sshd: &Sshd,
    key: &Path,
    remote: &Path,
    extra: &str,
) -> (PathBuf, PathBuf) {
    let dir = env.home().join(".ssh");
    fs::create_dir_all(&dir).unwrap();
    let block = format!(
        "Host forge\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile {}\n{extra}",
        sshd.port,
        whoami(),
        key.display()
    );
    fs::write(dir.join("config"), block).unwrap();
    fs::write(dir.join("known_hosts"), sshd.known_hosts_line()).unwrap();
    let work = env.path().join("work");
    let url = format!("forge:{}", remote.display());
    env.git(&work, &["remote", "set-url", "origin", &url]);
    let tmp = env.tmp();
    (work, tmp)
}

/// Someone else's commit on the remote: the checkout is behind.
fn colleague_pushes(env: &Env, remote: &Path, n: usize) {
    let other = env.path().join(format!("colleague-{n}"));
    let (from, to) = (remote.to_str().unwrap(), other.to_str().unwrap());
    env.git(env.path(), &["clone", "-q", from, to]);
    fs::write(other.join("NOTES.md"), format!("review {n}\n")).unwrap();
    env.git(&other, &["add", "NOTES.md"]);
    env.git(&other, &["commit", "-q", "-m", &format!("Review {n}")]);
    env.git(&other, &["push", "-q", "origin", "main"]);
}

fn connections(sshd: &Sshd) -> usize {
    sshd.log().matches("Accepted publickey").count()
}

/// Runs `mlops ARGS` in `work` (with the environment variables `vars`),
/// which must succeed and make `expected` ssh connections.
fn connects(
    env: &Env,
    (work, sshd): (&Path, &Sshd),
    args: &str,
    vars: &[(&str, &str)],
    expected: usize,
) {
    let before = connections(sshd);
    let mut cmd = env.mlops(work);
    cmd.envs(vars.iter().copied());
    cmd.args(words(args)).assert().success();
    assert_eq!(connections(sshd) - before, expected, "{}", sshd.log());
}

#[test]
fn a_checkout_behind_its_ssh_remote_fetches_and_pushes_over_one_connection() {
    let env = Env::new();
    let Some((remote, key, sshd)) = ssh_setup(&env, true) else {
        return;
    };
    let (work, tmp) = over_forge(&env, &sshd, &key, &remote, "");

    // Without sharing (as git does it): a connection to list, one to fetch.
    colleague_pushes(&env, &remote, 1);
    connects(
        &env,
        (&work, &sshd),
        "autoscale enable --env test jukebox --yes",
        &[("MLOPS_SSH_SHARE", "0")],
        2,
    );

    // Shared: one connection for the listing, the fetch and the push.
    colleague_pushes(&env, &remote, 2);
    connects(
        &env,
        (&work, &sshd),
        "autoscale disable --env test jukebox --yes",
        &[],
        1,
    );
    let subjects = env.subjects(&remote, "main");
    assert_eq!(subjects[0], "Disable autoscaling for jukebox in test");
    assert_eq!(subjects[1], "Review 2");
    // The checkout is where `git pull` would have brought it.
    let tip = env.git(&remote, &["rev-parse", "main"]);
    assert_eq!(env.git(&work, &["rev-parse", "HEAD"]), tip);
    assert_eq!(env.git(&work, &["rev-parse", "origin/main"]), tip);
    assert_eq!(env.status(&work), "");
    assert_eq!(
        fs::read_to_string(work.join("NOTES.md")).unwrap(),
        "review 2\n"
    );
    // No socket folder, no socket left.
    assert_eq!(leftovers(&tmp), Vec::<String>::new());
}

/// A server that allows one session per connection (sshd's
/// `MaxSessions 1`) refuses the fetch's session on the shared connection:
/// the fetch then makes a connection of its own, as git does, and the
/// run completes.
#[test]
fn a_server_that_refuses_a_second_session_gets_a_second_connection() {
    let env = Env::new();
    let Some((remote, key, sshd)) = ssh_setup_with(&env, true, "MaxSessions 1\n") else {
        return;
    };
    let (work, tmp) = over_forge(&env, &sshd, &key, &remote, "");
    colleague_pushes(&env, &remote, 1);
    connects(
        &env,
        (&work, &sshd),
        "autoscale enable --env test jukebox --yes",
        &[],
        2,
    );
    let tip = env.git(&remote, &["rev-parse", "main"]);
    assert_eq!(env.git(&work, &["rev-parse", "HEAD"]), tip);
    assert_eq!(env.subjects(&remote, "main")[1], "Review 1");
    assert_eq!(env.status(&work), "");
    assert_eq!(leftovers(&tmp), Vec::<String>::new());

    // Up to date: the session started ahead is refused too, unnoticed.
    connects(
        &env,
        (&work, &sshd),
        "autoscale disable --env test jukebox --yes",
        &[],
        1,
    );
}

/// The user's persisting master, told to exit when the test ends
/// (whether it passed or not).
struct Master(PathBuf);

impl Drop for Master {
    fn drop(&mut self) {
        let _ = Command::new("ssh")
            .arg("-F")
            .arg(&self.0)
            .args(["-O", "exit", "forge"])
            .output();
    }
}

#[test]
fn a_users_own_connection_sharing_is_left_alone() {
    let env = Env::new();
    let Some((remote, key, sshd)) = ssh_setup(&env, true) else {
        return;
    };
    let sockets = env.path().join("cm");
    fs::create_dir_all(&sockets).unwrap();
    let control = format!(
        "  ControlMaster auto\n  ControlPath {}/%C\n  ControlPersist 600\n",
        sockets.display()
    );
    let (work, tmp) = over_forge(&env, &sshd, &key, &remote, &control);
    colleague_pushes(&env, &remote, 1);
    let _stop = Master(env.home().join(".ssh/config"));
    // The master outlives the run (ControlPersist): the run must not wait
    // for it (a liveness bound, not a timing goal).
    env.mlops(&work)
        .args(words("autoscale enable --env test jukebox --yes"))
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success();
    assert_eq!(
        leftovers(&sockets).len(),
        1,
        "the user's ControlPath was not used"
    );
    // mlops made no socket folder of its own.
    assert_eq!(leftovers(&tmp), Vec::<String>::new());
    assert_eq!(connections(&sshd), 1);
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Enable autoscaling for jukebox in test"
    );
}

/// An `ssh` first on PATH that notes its arguments, then runs OpenSSH's.
fn noting_ssh(env: &Env) -> (String, PathBuf) {
    let real = Command::new("sh")
        .args(["-c", "command -v ssh"])
        .output()
        .unwrap();
    let real = String::from_utf8(real.stdout).unwrap().trim().to_string();
    let bin = env.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    let notes = env.path().join("ssh-runs.txt");
    let script = format!(
        "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{real}' \"$@\"\n",
        notes.display()
    );
    fs::write(bin.join("ssh"), script).unwrap();
    fs::set_permissions(bin.join("ssh"), fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    (path, notes)
}

/// `ssh -G` is an ssh process before the connection can start: it is
/// asked only when a file ssh reads mentions sharing (following
/// `Include`), and the run shares its one connection either way.
#[test]
fn ssh_is_asked_for_its_sharing_only_when_its_files_mention_it() {
    let env = Env::new();
    let Some((remote, key, sshd)) = ssh_setup(&env, true) else {
        return;
    };
    let (path, notes) = noting_ssh(&env);
    let (work, tmp) = over_forge(&env, &sshd, &key, &remote, "  ServerAliveInterval 30\n");
    let runs = |args: &str| {
        let _ = fs::remove_file(&notes);
        colleague_pushes(&env, &remote, connections(&sshd) + 1);
        connects(&env, (&work, &sshd), args, &[("PATH", &path)], 1);
        fs::read_to_string(&notes).unwrap()
    };
    let plain = runs("autoscale enable --env test jukebox --yes");
    assert_eq!(
        plain.lines().count(),
        2,
        "a push and a fetch session: {plain}"
    );
    let probes = |notes: &str| {
        let lines = notes.lines();
        lines.filter(|l| l.split(' ').any(|w| w == "-G")).count()
    };
    assert_eq!(probes(&plain), 0, "{plain}");

    // Sharing settings in an included file (which say: none): asked.
    let included = env.path().join("sharing.conf");
    fs::write(&included, "ControlMaster no\nControlPath none\n").unwrap();
    let include = format!("Include {}\n", included.display());
    let config = env.home().join(".ssh/config");
    let text = fs::read_to_string(&config).unwrap();
    fs::write(&config, include + &text).unwrap();
    let asked = runs("autoscale disable --env test jukebox --yes");
    assert_eq!(probes(&asked), 1, "{asked}");
    assert_eq!(
        env.git(&remote, &["rev-parse", "main"]),
        env.git(&work, &["rev-parse", "HEAD"])
    );
    assert_eq!(leftovers(&tmp), Vec::<String>::new());
}

#[test]
fn a_behind_checkout_fetches_the_tip_in_one_request_and_ends_where_git_pull_would() {
    // A path remote: the fetch is mlops's own (want, have, done). The
    // checkout must then be what a clone updated by `git pull --ff-only`
    // after the push holds.
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let referee = env.clone_of(&remote, "referee");
    colleague_pushes(&env, &remote, 1);
    let out = env
        .mlops(&work)
        .args(words("-v autoscale enable --env test jukebox --yes"))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("in one request"), "{stderr}");
    env.git(&referee, &["pull", "-q", "--ff-only"]);
    assert_eq!(
        env.git(&work, &["ls-files", "-s"]),
        env.git(&referee, &["ls-files", "-s"])
    );
    assert_eq!(
        env.git(&work, &["rev-parse", "HEAD", "origin/main"]),
        env.git(&referee, &["rev-parse", "HEAD", "origin/main"])
    );
    assert_eq!(
        fs::read_to_string(work.join("NOTES.md")).unwrap(),
        "review 1\n"
    );
    assert_eq!(env.status(&work), "");
    let fsck = env.git(&work, &["fsck", "--no-progress"]);
    assert_eq!(fsck.trim(), "");
}

/// The new blob and trees are written while the remote is reached, into
/// a folder of their own: an up-to-date run uses them, a run that finds
/// the remote moved leaves none of them behind (no dangling object, no
/// folder), as `git pull` and `git commit` would leave the repository.
#[test]
fn the_tree_written_ahead_is_used_when_up_to_date_and_left_nowhere_when_behind() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let scratch = |work: &Path| -> Vec<String> {
        leftovers(&work.join(".git"))
            .into_iter()
            .filter(|name| name.starts_with("mlops-"))
            .collect()
    };
    for (behind, model) in [(false, "jukebox"), (true, "jukebox-ui")] {
        if behind {
            colleague_pushes(&env, &remote, 1);
        }
        let out = env
            .mlops(&work)
            .args(words(&format!(
                "-v autoscale enable --env test {model} --yes"
            )))
            .assert()
            .success();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        let used = stderr.contains("written while the remote was reached, is used");
        assert_eq!(used, !behind, "behind: {behind}\n{stderr}");
        assert_eq!(env.git(&work, &["fsck", "--no-progress"]).trim(), "");
        assert_eq!(scratch(&work), Vec::<String>::new());
        assert_eq!(env.status(&work), "");
        assert_eq!(
            env.git(&work, &["rev-parse", "HEAD"]),
            env.git(&remote, &["rev-parse", "main"])
        );
    }
}

#[test]
fn a_shallow_checkout_behind_its_remote_is_fetched_through_libgit2() {
    let env = Env::new();
    let (remote, _) = env.gitops(|_| {});
    colleague_pushes(&env, &remote, 1);
    let shallow = env.path().join("shallow");
    let url = format!("file://{}", remote.display());
    env.git(
        env.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &url,
            shallow.to_str().unwrap(),
        ],
    );
    colleague_pushes(&env, &remote, 2);
    let out = env
        .mlops(&shallow)
        .args(words("-v autoscale enable --env test jukebox --yes"))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!stderr.contains("in one request"), "{stderr}");
    assert_eq!(
        env.subjects(&remote, "main")[..2],
        ["Enable autoscaling for jukebox in test", "Review 2"]
    );
    assert_eq!(
        env.git(&shallow, &["rev-parse", "HEAD"]),
        env.git(&remote, &["rev-parse", "main"])
    );
    assert_eq!(env.status(&shallow), "");
}
