//! What an interrupted run says (issue 20, src/interrupt.rs): what was
//! interrupted and where the checkout and the remote stand, never a
//! temporary clone's story in a checkout run.

use std::fs;
use std::path::Path;

use crate::common::{all_output, config, Env};

const SET: &[&str] = &["set", "--env", "test", "jukebox", "version=v3", "--yes"];

/// `git rev-parse REV` in `dir`.
fn rev(env: &Env, dir: &Path, rev: &str) -> String {
    env.git(dir, &["rev-parse", rev]).trim().to_string()
}

/// Waits (at most a minute) for `path` to appear.
fn wait_for(path: &Path) {
    for _ in 0..600 {
        if path.exists() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{} never appeared", path.display());
}

/// SIGINT to the process `child`, as Ctrl-C sends it.
fn interrupt(child: &std::process::Child) {
    // SAFETY: kill(2) on our own child's pid.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0);
}

/// An interrupted checkout `set` says what it was doing (pushing) and the
/// state of the checkout and remote, not a temporary clone's story.
#[test]
fn an_interrupted_checkout_set_says_where_the_push_and_checkout_are() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let (started, release) = (env.path().join("started"), env.path().join("release"));
    crate::common::hook(
        &remote,
        "pre-receive",
        &format!(
            "cat >/dev/null\ntouch '{}'\nwhile [ ! -e '{}' ]; do sleep 0.1; done\nexit 1\n",
            started.display(),
            release.display()
        ),
    );
    let head = rev(&env, &work, "HEAD");
    let before = fs::read(config(&work, "test", "jukebox")).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mlops"));
    cmd.args(SET).current_dir(&work);
    env.apply(&mut cmd);
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&started);
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    fs::write(&release, "").unwrap();
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(130), "{text}");
    assert!(text.contains("interrupted while pushing"), "{text}");
    assert!(text.contains("to origin/main"), "{text}");
    assert!(
        text.contains("may or may not have reached the remote"),
        "{text}"
    );
    assert!(text.contains("your checkout is unchanged"), "{text}");
    assert!(!text.contains("temporary clone"), "{text}");
    assert_eq!(rev(&env, &work, "HEAD"), head);
    assert_eq!(fs::read(config(&work, "test", "jukebox")).unwrap(), before);
    assert_eq!(env.status(&work), "");
}

/// An interrupted `log` in a checkout says it was reading and changed
/// nothing. It is stopped while writing a long history to a pipe nobody
/// reads.
#[test]
fn an_interrupted_checkout_log_says_it_changed_nothing() {
    use std::io::{Read, Write};
    let env = Env::new();
    let work = env.checkout();
    // 3,000 commits each changing test/jukebox's version.
    let mut stream = String::new();
    for n in 0..3000 {
        let data = format!("version: v{n}\n");
        stream.push_str(&format!(
            "commit refs/heads/main\ncommitter A <a@example.com> {} +0000\ndata 2\nv\n{}M 100644 inline model-deployments/test/jukebox/config.yaml\ndata {}\n{data}\n",
            1_700_000_000 + n,
            if n == 0 { "from refs/heads/main^0\n" } else { "" },
            data.len()
        ));
    }
    let mut import = std::process::Command::new("git");
    import.args(["fast-import", "--quiet"]).current_dir(&work);
    env.apply(&mut import);
    let mut child = import.stdin(std::process::Stdio::piped()).spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    env.git(&work, &["reset", "-q", "--hard", "main"]);
    let head = rev(&env, &work, "HEAD");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mlops"));
    cmd.args(["log", "--env", "test", "jukebox"])
        .current_dir(&work);
    env.apply(&mut cmd);
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The first byte: the history is being written (and the pipe fills).
    let mut first = [0u8; 1];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(130), "{text}");
    assert!(
        text.contains("interrupted while mlops log read the history"),
        "{text}"
    );
    assert!(text.contains("nothing was changed"), "{text}");
    assert!(!text.contains("temporary clone"), "{text}");
    assert_eq!(rev(&env, &work, "HEAD"), head);
    assert_eq!(env.status(&work), "");
}
