//! Where the change goes in a checkout, beside `git push` on the same
//! setup (issue 20): `push.default`, `branch.<name>.merge`,
//! `remote.pushDefault`, `branch.<name>.pushRemote`; a branch whose
//! upstream has another name is refused before anything is fetched; a
//! detached HEAD (CI) with `--branch`; branch names by git's rules.

use std::fs;
use std::path::Path;

use crate::common::{all_output, config, Env};

const SET: &[&str] = &["set", "--env", "test", "jukebox", "version=v3", "--yes"];

/// `git rev-parse REV` in `dir`.
fn rev(env: &Env, dir: &Path, rev: &str) -> String {
    env.git(dir, &["rev-parse", rev]).trim().to_string()
}

/// A colleague's commit on the remote's main, so that a fetch would move
/// the checkout's `origin/main`.
fn colleague_commits(env: &Env, remote: &Path) {
    let other = env.clone_of(remote, "colleague");
    fs::write(other.join("README.colleague"), "hi\n").unwrap();
    env.git(&other, &["add", "-A"]);
    env.git(&other, &["commit", "-q", "-m", "colleague"]);
    env.git(&other, &["push", "-q", "origin", "main"]);
}

/// mlops and `git push` both refuse in `dir` (a branch tracking
/// origin/main under another name): exit 1 with git's advice, nothing
/// fetched, the remote's main unchanged.
fn both_refuse_the_mismatch(env: &Env, remote: &Path, dir: &Path, branch: &str) {
    colleague_commits(env, remote);
    let main_before = rev(env, remote, "main");
    let tracking_before = rev(env, dir, "origin/main");
    let out = env.mlops(dir).args(SET).output().unwrap();
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("does not match the name of your current branch"),
        "{text}"
    );
    assert!(text.contains("--branch main"), "{text}");
    assert!(text.contains(&format!("--branch {branch}")), "{text}");
    assert_eq!(rev(env, remote, "main"), main_before, "pushed onto main");
    assert_eq!(
        rev(env, dir, "origin/main"),
        tracking_before,
        "fetched before refusing"
    );
    assert_eq!(env.status(dir), "");
    // git refuses the same setup with the same words.
    fs::write(config(dir, "test", "jukebox"), "version: v3\n").unwrap();
    env.git(dir, &["commit", "-qam", "by hand"]);
    let git = env.git_output(dir, &["push"]);
    assert!(!git.status.success());
    assert!(String::from_utf8_lossy(&git.stderr)
        .contains("does not match\nthe name of your current branch"));
    assert_eq!(rev(env, remote, "main"), main_before);
}

#[test]
fn target_a_branch_tracking_main_under_another_name_is_refused_as_git_push() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    env.git(
        &work,
        &["checkout", "-q", "-b", "jukebox-v3", "origin/main"],
    );
    both_refuse_the_mismatch(&env, &remote, &work, "jukebox-v3");
}

#[test]
fn target_a_worktree_branch_tracking_main_is_refused_as_git_push() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let review = env.path().join("review");
    let review_arg = review.to_str().unwrap();
    env.git(
        &work,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "review",
            review_arg,
            "origin/main",
        ],
    );
    both_refuse_the_mismatch(&env, &remote, &review, "review");
}

/// Runs mlops and, on a twin checkout with the same commit made by hand,
/// `git push`; returns (the remote's refs after mlops, after git).
fn beside_git(setup: &dyn Fn(&Env, &Path)) -> (Vec<String>, Vec<String>) {
    let mut refs = Vec::new();
    for by_git in [false, true] {
        let env = Env::new();
        let (remote, work) = env.gitops(|_| {});
        let initial = rev(&env, &remote, "main");
        let fork = env.path().join("fork.git");
        let (from, to) = (remote.to_str().unwrap(), fork.to_str().unwrap());
        env.git(env.path(), &["clone", "-q", "--bare", from, to]);
        env.git(&work, &["remote", "add", "fork", to]);
        env.git(&work, &["fetch", "-q", "fork"]);
        env.git(
            &work,
            &["checkout", "-q", "-b", "jukebox-v3", "origin/main"],
        );
        setup(&env, &work);
        let status = if by_git {
            fs::write(config(&work, "test", "jukebox"), "version: v3\n").unwrap();
            env.git(&work, &["commit", "-qam", "by hand"]);
            env.git_output(&work, &["push", "-q"]).status
        } else {
            env.mlops(&work).args(SET).output().unwrap().status
        };
        // Which branches of which remote moved off the initial commit.
        let mut moved = vec![format!("exit {}", status.code().unwrap_or(-1))];
        for (name, dir) in [("origin", &remote), ("fork", &fork)] {
            let heads = env.git(
                dir,
                &["for-each-ref", "--format=%(refname:short) %(objectname)"],
            );
            for line in heads.lines() {
                let (head, id) = line.split_once(' ').unwrap();
                if id != initial {
                    moved.push(format!("{name}/{head}"));
                }
            }
        }
        refs.push(moved);
    }
    (refs.remove(0), refs.remove(0))
}

fn configure(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&Env, &Path) {
    move |env, dir| {
        for (key, value) in pairs {
            env.git(dir, &["config", key, value]);
        }
    }
}

#[test]
fn target_push_default_current_pushes_to_the_same_name_as_git() {
    let (mlops, git) = beside_git(&configure(&[("push.default", "current")]));
    assert_eq!(mlops, vec!["exit 0", "origin/jukebox-v3"]);
    assert_eq!(mlops, git);
}

#[test]
fn target_push_default_upstream_pushes_to_the_upstream_as_git() {
    let (mlops, git) = beside_git(&configure(&[("push.default", "upstream")]));
    assert_eq!(mlops, vec!["exit 0", "origin/main"]);
    assert_eq!(mlops, git);
    // Pushing elsewhere than the upstream's remote: git refuses to guess.
    let (mlops, git) = beside_git(&configure(&[
        ("push.default", "upstream"),
        ("remote.pushDefault", "fork"),
    ]));
    assert_eq!(mlops, vec!["exit 1"]);
    assert_eq!(git, vec!["exit 128"]);
}

/// The advice's second way out: `--branch` naming the checked-out branch
/// pushes to its namesake, as `git push origin HEAD`; main is untouched.
#[test]
fn target_branch_naming_the_checked_out_branch_goes_to_its_namesake() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    env.git(
        &work,
        &["checkout", "-q", "-b", "jukebox-v3", "origin/main"],
    );
    let main = rev(&env, &remote, "main");
    let out = env
        .mlops(&work)
        .args(SET)
        .args(["--branch", "jukebox-v3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(rev(&env, &remote, "main"), main);
    assert_eq!(
        env.subjects(&remote, "jukebox-v3")[0],
        "Set version=v3 for jukebox in test"
    );
    // The checkout followed its own branch, as after a pull.
    assert_eq!(rev(&env, &work, "HEAD"), rev(&env, &remote, "jukebox-v3"));
    assert_eq!(env.status(&work), "");
}

#[test]
fn target_push_default_nothing_pushes_nothing_as_git() {
    let (mlops, git) = beside_git(&configure(&[("push.default", "nothing")]));
    assert_eq!(mlops, vec!["exit 1"]);
    assert_eq!(git, vec!["exit 128"]);
}

#[test]
fn target_remote_push_default_sends_it_to_that_remote_as_git() {
    let (mlops, git) = beside_git(&configure(&[("remote.pushDefault", "fork")]));
    assert_eq!(mlops, vec!["exit 0", "fork/jukebox-v3"]);
    assert_eq!(mlops, git);
}

#[test]
fn target_branch_push_remote_wins_over_push_default_as_git() {
    let (mlops, git) = beside_git(&configure(&[
        ("remote.pushDefault", "origin"),
        ("branch.jukebox-v3.pushRemote", "fork"),
    ]));
    assert_eq!(mlops, vec!["exit 0", "fork/jukebox-v3"]);
    assert_eq!(mlops, git);
}

/// GitLab CI, Jenkins and Tekton: a clone with HEAD detached at the
/// remote's tip.
fn ci_checkout(env: &Env) -> (std::path::PathBuf, std::path::PathBuf) {
    let (remote, _) = env.gitops(|_| {});
    let ci = env.clone_of(&remote, "ci");
    env.git(&ci, &["checkout", "-q", "--detach", "origin/main"]);
    (remote, ci)
}

#[test]
fn target_a_detached_ci_checkout_with_branch_pushes_and_stays_untouched() {
    let env = Env::new();
    let (remote, ci) = ci_checkout(&env);
    colleague_commits(&env, &remote);
    let head = rev(&env, &ci, "HEAD");
    let index = fs::read(ci.join(".git/index")).unwrap();
    let file = fs::read(config(&ci, "test", "jukebox")).unwrap();
    let out = env
        .mlops(&ci)
        .args(SET)
        .args(["--branch", "main"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    // Composed on the remote's main (the colleague's commit kept) and pushed.
    assert_eq!(
        env.subjects(&remote, "main")[..2],
        ["Set version=v3 for jukebox in test", "colleague"]
    );
    let pushed = env.git(
        &remote,
        &["show", "main:model-deployments/test/jukebox/config.yaml"],
    );
    assert!(pushed.contains("v3"), "{pushed}");
    // The checkout: still detached at the same commit, same index and files.
    assert_eq!(rev(&env, &ci, "HEAD"), head);
    assert!(!env
        .git_output(&ci, &["symbolic-ref", "-q", "HEAD"])
        .status
        .success());
    assert_eq!(fs::read(ci.join(".git/index")).unwrap(), index);
    assert_eq!(fs::read(config(&ci, "test", "jukebox")).unwrap(), file);
    assert_eq!(env.status(&ci), "");
}

#[test]
fn target_a_detached_checkout_without_branch_asks_for_it() {
    let env = Env::new();
    let (remote, ci) = ci_checkout(&env);
    let main = rev(&env, &remote, "main");
    let out = env.mlops(&ci).args(SET).output().unwrap();
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("HEAD is detached"), "{text}");
    assert!(text.contains("--branch"), "{text}");
    assert_eq!(rev(&env, &remote, "main"), main);
}

/// Branch names by git's rules (`git check-ref-format --branch`), refused
/// before anything is fetched: with a remote that can't be reached, the
/// answer is still the name's.
#[test]
fn target_branch_names_are_checked_as_git_checks_them() {
    let env = Env::new();
    let work = env.checkout();
    env.git(
        &work,
        &["remote", "set-url", "origin", "/nonexistent/remote.git"],
    );
    let names = [
        "jukebox..v2",
        "jukebox-v2",
        "review/jukebox",
        "-jukebox",
        "jukebox.lock",
        "juke box",
        "jukebox@{1}",
        "jukebox/",
        ".jukebox",
        "HEAD",
        "a~b",
        "v2.0",
    ];
    for name in names {
        let git = env.git_output(&work, &["check-ref-format", "--branch", name]);
        let out = env
            .mlops(&work)
            .args(SET)
            .arg(format!("--branch={name}"))
            .output()
            .unwrap();
        let text = all_output(&out);
        if git.status.success() {
            // Valid: the run goes on to the remote, which isn't there.
            assert_eq!(out.status.code(), Some(4), "{name}: {text}");
        } else {
            assert_eq!(out.status.code(), Some(2), "{name}: {text}");
            assert!(text.contains("not a valid branch name"), "{name}: {text}");
            assert!(!text.contains("nonexistent"), "{name}: {text}");
        }
    }
}
