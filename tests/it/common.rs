//! The test environment: a sandboxed HOME and git config, repositories
//! built from fixtures/ (the real mlops-gitops layout), and helpers to run
//! the binary and look at the results the way a user would (file bytes,
//! `git log`, `git show`).

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::Command as Cmd;
use tempfile::TempDir;

/// The fixture repository: fixtures/mlops-gitops.
pub fn fixture_repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/mlops-gitops")
}

/// A fixture config file: fixtures/configs/NAME.
pub fn fixture_config(name: &str) -> Vec<u8> {
    fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/configs")
            .join(name),
    )
    .unwrap()
}

/// A sandbox: its own HOME (with a .gitconfig naming the test user), no
/// system git config, and a work folder. Dropped at the end of the test.
pub struct Env {
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::Builder::new()
            .prefix("mlops-test-")
            .tempdir()
            .unwrap();
        fs::create_dir_all(dir.path().join("home")).unwrap();
        fs::create_dir_all(dir.path().join("tmp")).unwrap();
        fs::write(
            dir.path().join("home/.gitconfig"),
            "[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n",
        )
        .unwrap();
        Env { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The `TMPDIR` of every child process: what a run leaves in it
    /// (a temporary clone, an index copy, an ssh socket folder) shows.
    pub fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// Environment variables every child process gets: HOME points at the
    /// sandbox, nothing from the developer's git config leaks in, and no
    /// identity, token or proxy from the outer environment either (the
    /// servers are on 127.0.0.1; a CI machine's proxy for the package
    /// registries must not stand between).
    pub fn apply(&self, cmd: &mut Command) {
        cmd.env("HOME", self.home())
            .env("TMPDIR", self.tmp())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("NO_COLOR", "1")
            .env_remove("MLOPS_REPO")
            .env_remove("MLOPS_GIT_USERNAME")
            .env_remove("MLOPS_GIT_TOKEN")
            .env_remove("MLOPS_SSH_KEY")
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("GIT_AUTHOR_NAME")
            .env_remove("GIT_AUTHOR_EMAIL")
            .env_remove("GIT_COMMITTER_NAME")
            .env_remove("GIT_COMMITTER_EMAIL")
            .env_remove("GIT_SSL_CAINFO")
            .env_remove("GIT_SSL_CAPATH")
            .env_remove("GIT_SSL_NO_VERIFY")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE");
        for proxy in ["http_proxy", "https_proxy", "all_proxy", "no_proxy"] {
            cmd.env_remove(proxy).env_remove(proxy.to_ascii_uppercase());
        }
    }

    /// The `mlops` binary, in `dir`.
    pub fn mlops(&self, dir: &Path) -> Cmd {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mlops"));
        cmd.current_dir(dir);
        self.apply(&mut cmd);
        Cmd::from_std(cmd)
    }

    /// `git ARGS` in `dir`; panics on failure; returns stdout.
    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.git_output(dir, args);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn git_output(&self, dir: &Path, args: &[&str]) -> std::process::Output {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(dir);
        self.apply(&mut cmd);
        cmd.output().unwrap()
    }

    /// A bare repository `remote.git` and a clone `work` of it, holding the
    /// fixture repository in one commit on main, with `work` tracking
    /// origin/main. `customize` may change the files before the commit.
    pub fn gitops(&self, customize: impl FnOnce(&Path)) -> (PathBuf, PathBuf) {
        let seed = self.path().join("seed");
        copy_dir(&fixture_repo(), &seed);
        customize(&seed);
        self.git(&seed, &["init", "-q", "-b", "main"]);
        self.git(&seed, &["add", "-A"]);
        self.git(
            &seed,
            &["commit", "-q", "-m", "Initial mlops-gitops layout"],
        );
        let remote = self.path().join("remote.git");
        self.git(
            self.path(),
            &[
                "clone",
                "-q",
                "--bare",
                seed.to_str().unwrap(),
                remote.to_str().unwrap(),
            ],
        );
        let work = self.clone_of(&remote, "work");
        fs::remove_dir_all(&seed).unwrap();
        (remote, work)
    }

    /// `git clone REMOTE NAME` in the sandbox; returns the clone.
    pub fn clone_of(&self, remote: &Path, name: &str) -> PathBuf {
        let dir = self.path().join(name);
        let (from, to) = (remote.to_str().unwrap(), dir.to_str().unwrap());
        self.git(self.path(), &["clone", "-q", from, to]);
        dir
    }

    /// Like [`Env::gitops`], returning only the checkout.
    pub fn checkout(&self) -> PathBuf {
        self.gitops(|_| {}).1
    }

    /// `git log --format=%s` of `rev` in `dir`, newest first.
    pub fn subjects(&self, dir: &Path, rev: &str) -> Vec<String> {
        self.git(dir, &["log", "--format=%s", rev])
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The paths the commit `rev` changed.
    pub fn changed_paths(&self, dir: &Path, rev: &str) -> Vec<String> {
        let out = self.git(dir, &["show", "--format=", "--name-only", rev]);
        out.lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// `git status --porcelain` of `dir`.
    pub fn status(&self, dir: &Path) -> String {
        self.git(dir, &["status", "--porcelain"])
    }
}

/// The config file of `env`/`model` under `repo`.
pub fn config(repo: &Path, env: &str, model: &str) -> PathBuf {
    repo.join("model-deployments")
        .join(env)
        .join(model)
        .join("config.yaml")
}

/// The names in `dir` (what a run left in its `TMPDIR`).
pub fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The words of a command line (no quoting: for arguments without spaces),
/// so a test reads like what a user types: `.args(words("autoscale enable
/// --env test jukebox"))`.
pub fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

impl Env {
    /// `mlops autoscale status --output json ARGS` in `dir`: the exit
    /// code and the rows.
    pub fn status_rows(&self, dir: &Path, args: &str) -> (i32, Vec<serde_json::Value>) {
        let out = self
            .mlops(dir)
            .args(words("autoscale status --output json"))
            .args(words(args))
            .output()
            .unwrap();
        let rows = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "status printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), rows)
    }
}

/// The row of `env/model` in status rows.
pub fn row<'a>(rows: &'a [serde_json::Value], env: &str, model: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|r| r["env"] == env && r["model"] == model)
        .unwrap_or_else(|| panic!("no row for {env}/{model} in {rows:?}"))
}

/// Writes the shell hook `name` of the bare repository `remote`
/// (`#!/bin/sh` and `script`), executable.
pub fn hook(remote: &Path, name: &str, script: &str) {
    let path = remote.join("hooks").join(name);
    fs::write(&path, format!("#!/bin/sh\n{script}")).unwrap();
    crate::clone::make_executable(&path);
}

/// stdout and stderr of a finished run, for secret checks.
pub fn all_output(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Someone else's push, landing between mlops's listing and its first
/// push: `remote`'s pre-receive moves main to `refs/heads/other` (pushed
/// before) once, so the first push is refused as stale and retried.
pub fn race_main_once(env: &Env, remote: &Path) {
    let marker = env.path().join("raced");
    hook(
        remote,
        "pre-receive",
        &format!(
            "cat >/dev/null\nif [ ! -e '{m}' ]; then touch '{m}'; unset GIT_QUARANTINE_PATH; git update-ref refs/heads/main refs/heads/other; fi\n",
            m = marker.display()
        ),
    );
}
