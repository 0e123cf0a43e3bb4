//! The repository as git treats it, with git as the referee on the real
//! mlops-gitops layout (`../shared/reference/mlops-gitops`, else the
//! fixture copied from it): symlinks on the way to a config (`links`),
//! sparse checkouts (`sparse`), submodules (`submodule`) and linked
//! worktrees (`worktrees`).

mod links;
mod sparse;
mod submodule;
mod worktrees;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{copy_dir, fixture_repo, Env};

/// The real layout: the reference repository beside the project (or
/// its worktree) when it is there (it holds more than config.yaml files), else the fixture.
fn reference() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    ["../shared", "../../shared"]
        .iter()
        .map(|up| root.join(up).join("reference/mlops-gitops"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(fixture_repo)
}

/// A bare `remote.git` holding the reference layout (changed by
/// `customize`) in one commit on main, and a clone `work` of it.
fn gitops(env: &Env, customize: impl FnOnce(&Path)) -> (PathBuf, PathBuf) {
    let seed = env.path().join("seed");
    copy_dir(&reference(), &seed);
    for entry in walkdir::WalkDir::new(&seed) {
        let path = entry.unwrap().into_path();
        let mode = if path.is_dir() { 0o755 } else { 0o644 };
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
    customize(&seed);
    env.git(&seed, &["init", "-q", "-b", "main"]);
    env.git(&seed, &["add", "-A"]);
    env.git(
        &seed,
        &["commit", "-q", "-m", "Initial mlops-gitops layout"],
    );
    let remote = env.path().join("remote.git");
    let (from, to) = (seed.to_str().unwrap(), remote.to_str().unwrap());
    env.git(env.path(), &["clone", "-q", "--bare", from, to]);
    fs::remove_dir_all(&seed).unwrap();
    (remote.clone(), env.clone_of(&remote, "work"))
}

/// A colleague's clone: `change` committed and pushed to main.
fn colleague_pushes(env: &Env, remote: &Path, change: impl FnOnce(&Path)) {
    let dir = env.path().join("colleague");
    if !dir.exists() {
        env.clone_of(remote, "colleague");
    }
    env.git(&dir, &["pull", "-q", "--ff-only"]);
    change(&dir);
    env.git(&dir, &["add", "-A"]);
    env.git(&dir, &["commit", "-qm", "colleague's change"]);
    env.git(&dir, &["push", "-q", "origin", "main"]);
}

/// Appends `line` to the config of `env`/`model` under `dir`.
fn append(dir: &Path, env: &str, model: &str, line: &str) {
    let file = crate::common::config(dir, env, model);
    let mut text = fs::read_to_string(&file).unwrap();
    text.push_str(line);
    fs::write(file, text).unwrap();
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// What completion offers for the last word of `line`.
fn completions(env: &Env, dir: &Path, line: &[&str]) -> Vec<String> {
    let out = env
        .mlops(dir)
        .env("COMPLETE", "bash")
        .env("_CLAP_IFS", "\n")
        .env("_CLAP_COMPLETE_INDEX", (line.len() - 1).to_string())
        .arg("--")
        .args(line)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('-'))
        .map(str::to_string)
        .collect()
}

/// Every file under `dir` (not `.git`) with its bytes, sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            (rel, fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    out
}
