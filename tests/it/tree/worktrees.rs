//! Linked worktrees (`git worktree add`): a run in one follows that
//! worktree's checkout as `git pull --ff-only` does in a twin's linked
//! worktree, with the worktree's own index, locks and sparse set (git
//! keeps those per worktree, under `.git/worktrees/<name>/`), and leaves
//! the main worktree as it was: its HEAD, index, status and files.

use std::fs;
use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;

use super::{append, files, gitops, text};
use crate::common::{words, Env};

/// A clone `name` on main with a linked worktree `name-staging` on
/// `staging` (tracking origin/staging, as `git worktree add` sets it up).
fn with_linked(env: &Env, remote: &Path, name: &str) -> (PathBuf, PathBuf) {
    let main = env.path().join(name);
    if !main.exists() {
        env.clone_of(remote, name);
    }
    let linked = env.path().join(format!("{name}-staging"));
    env.git(
        &main,
        &["worktree", "add", "-q", linked.to_str().unwrap(), "staging"],
    );
    assert!(linked.join(".git").is_file());
    (main, linked)
}

/// What a user could notice about one worktree.
fn state(env: &Env, dir: &Path) -> (Vec<String>, Vec<(String, Vec<u8>)>) {
    let said = [
        &["rev-parse", "HEAD"][..],
        &["status", "--porcelain"],
        &["ls-files", "-s", "-t"],
    ]
    .iter()
    .map(|args| env.git(dir, args))
    .collect();
    (said, files(dir))
}

/// The main worktree, with its index file's bytes.
fn main_state(env: &Env, main: &Path) -> (Vec<String>, Vec<u8>) {
    let mut said = state(env, main).0;
    said.push(env.git(main, &["rev-parse", "refs/heads/main"]));
    (said, fs::read(main.join(".git/index")).unwrap())
}

fn run(env: &Env, sparse: bool) {
    let (remote, work) = gitops(env, |_| {});
    env.git(&work, &["push", "-q", "origin", "main:staging"]);
    let (main, linked) = with_linked(env, &remote, "work");
    let (_, twin) = with_linked(env, &remote, "twin");
    if sparse {
        for dir in [&linked, &twin] {
            env.git(dir, &["sparse-checkout", "set", "model-deployments/test"]);
        }
    }
    // The colleague pushes to staging, and to main.
    let colleague = env.clone_of(&remote, "colleague");
    env.git(&colleague, &["switch", "-q", "staging"]);
    append(&colleague, "prod", "jukebox", "version: v7\n");
    append(&colleague, "test", "jukebox-ui", "autoscaling: true\n");
    env.git(&colleague, &["commit", "-qam", "colleague's change"]);
    env.git(&colleague, &["push", "-q", "origin", "staging"]);
    env.git(&colleague, &["switch", "-q", "main"]);
    append(&colleague, "prod", "jukebox-ui", "version: v9\n");
    env.git(
        &colleague,
        &["commit", "-qam", "colleague's change on main"],
    );
    env.git(&colleague, &["push", "-q", "origin", "main"]);
    env.git(&main, &["fetch", "-q"]);
    let before = main_state(env, &main);
    let out = env
        .mlops(&linked)
        .args(words("set test/jukebox version=v3 --yes"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("origin/staging"), "{}", text(&out));
    env.git(&twin, &["pull", "-q", "--ff-only"]);
    assert_eq!(state(env, &linked), state(env, &twin));
    assert_eq!(main_state(env, &main), before);
    assert_eq!(env.status(&linked), "");
    let staged = env.git(
        &linked,
        &["show", ":model-deployments/prod/jukebox/config.yaml"],
    );
    assert!(staged.contains("version: v7"), "{staged}");
    assert_eq!(
        env.git(&remote, &["rev-parse", "staging"]),
        env.git(&linked, &["rev-parse", "HEAD"])
    );
}

#[test]
fn a_linked_worktree_follows_as_git_pull_and_the_main_one_is_left() {
    // Worked before this change too; kept as the guard that a run in a
    // linked worktree uses its own index and leaves the main one alone.
    run(&Env::new(), false);
}

#[test]
fn a_sparse_linked_worktree_follows_as_git_pull_and_the_main_one_is_left() {
    // The sparse set lives in the linked worktree's own config
    // (`config.worktree`) and `info/sparse-checkout`.
    run(&Env::new(), true);
}
