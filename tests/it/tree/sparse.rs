//! Sparse checkouts (`git sparse-checkout set model-deployments/test`, in
//! cone and non-cone mode): skip-worktree entries are not local changes,
//! the models outside the set are listed and changed (from the commit,
//! never written to disk), and the checkout follows as `git pull
//! --ff-only` brings a twin along: same `git status`, same `git ls-files
//! -t` and index entries, same files on disk.

use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;

use super::{append, colleague_pushes, completions, files, gitops, text};
use crate::common::{row, words, Env};

/// The checkout mlops runs in and a twin git pulls in, both sparse with
/// only model-deployments/test (cone or not).
fn sparse_twins(env: &Env, cone: bool) -> (PathBuf, PathBuf, PathBuf) {
    let (remote, work) = gitops(env, |_| {});
    let twin = env.clone_of(&remote, "twin");
    for dir in [&work, &twin] {
        let mut args = vec!["sparse-checkout", "set"];
        if !cone {
            args.push("--no-cone");
        }
        args.push("model-deployments/test");
        env.git(dir, &args);
        assert!(!dir.join("model-deployments/prod").exists());
    }
    (remote, work, twin)
}

/// Everything git and the disk say about a checkout: HEAD, `git status
/// --porcelain`, `git ls-files -t`, `git ls-files -s`, and the files.
fn state(env: &Env, dir: &Path) -> (Vec<String>, Vec<(String, Vec<u8>)>) {
    let said = [
        &["rev-parse", "HEAD"][..],
        &["status", "--porcelain"],
        &["ls-files", "-t"],
        &["ls-files", "-s"],
    ]
    .iter()
    .map(|args| env.git(dir, args))
    .collect();
    (said, files(dir))
}

/// mlops ran (and pushed) in `work`; git pulls the twin: the two agree,
/// and the skip-worktree entries of `moved` carry no stat data in either
/// (as git writes them).
fn twin_agrees(env: &Env, work: &Path, twin: &Path, moved: &[&str]) {
    env.git(twin, &["pull", "-q", "--ff-only"]);
    assert_eq!(state(env, work), state(env, twin));
    for model in moved {
        let path = format!("model-deployments/prod/{model}/config.yaml");
        let debug = |dir: &Path| env.git(dir, &["ls-files", "--debug", &path]);
        assert_eq!(debug(work), debug(twin));
        assert!(debug(work).contains("ctime: 0:0"), "{}", debug(work));
    }
    assert!(!work.join("model-deployments/prod").exists());
}

fn a_colleagues_change_outside_the_set_is_no_local_change(cone: bool) {
    let env = Env::new();
    let (remote, work, twin) = sparse_twins(&env, cone);
    colleague_pushes(&env, &remote, |dir| {
        append(dir, "prod", "jukebox", "version: v7\n");
        append(dir, "prod", "jukebox-ui", "autoscaling: true\n");
    });
    let out = env
        .mlops(&work)
        .args(words("set --env test jukebox version=v3 --yes"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    twin_agrees(&env, &work, &twin, &["jukebox", "jukebox-ui"]);
}

#[test]
fn sparse_cone_a_colleagues_change_outside_the_set_is_no_local_change() {
    a_colleagues_change_outside_the_set_is_no_local_change(true);
}

#[test]
fn sparse_non_cone_a_colleagues_change_outside_the_set_is_no_local_change() {
    a_colleagues_change_outside_the_set_is_no_local_change(false);
}

fn models_outside_the_set_are_listed_and_changed(cone: bool) {
    let env = Env::new();
    let (remote, work, twin) = sparse_twins(&env, cone);
    // A colleague adds a model outside the set: git stages it
    // skip-worktree on the way, without writing it.
    colleague_pushes(&env, &remote, |dir| {
        let new = crate::common::config(dir, "prod", "radio");
        std::fs::create_dir_all(new.parent().unwrap()).unwrap();
        std::fs::write(new, "---\nname: radio\nversion: v1\n").unwrap();
    });
    let (code, rows) = env.status_rows(&work, "");
    assert_eq!(code, 0, "{rows:?}");
    for model in ["jukebox", "jukebox-ui"] {
        assert_eq!(row(&rows, "prod", model)["error"], serde_json::Value::Null);
        assert_eq!(row(&rows, "prod", model)["autoscaler"], "off");
    }
    let (code, rows) = env.status_rows(&work, "--env prod");
    assert_eq!(code, 0, "{rows:?}");
    assert_eq!(rows.len(), 2, "{rows:?}");
    let envs = completions(&env, &work, &["mlops", "set", "--env", ""]);
    assert_eq!(envs, ["prod", "test"]);
    let models = completions(&env, &work, &["mlops", "set", "--env", "prod", "juke"]);
    assert_eq!(models, ["jukebox", "jukebox-ui"]);

    let out = env
        .mlops(&work)
        .args(words("set --env prod jukebox version=v4 --yes"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let shown = env.git(
        &work,
        &["show", "HEAD:model-deployments/prod/jukebox/config.yaml"],
    );
    assert!(shown.contains("version: v4"), "{shown}");
    twin_agrees(&env, &work, &twin, &["jukebox", "radio"]);
    // The new model, now in the index, is listed and changed too.
    let out = env
        .mlops(&work)
        .args(words("autoscale enable prod/radio --yes"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    twin_agrees(&env, &work, &twin, &["radio"]);
}

#[test]
fn sparse_cone_models_outside_the_set_are_listed_and_changed() {
    models_outside_the_set_are_listed_and_changed(true);
}

#[test]
fn sparse_non_cone_models_outside_the_set_are_listed_and_changed() {
    models_outside_the_set_are_listed_and_changed(false);
}

#[test]
fn sparse_index_is_listed_and_refused_before_anything_is_pushed() {
    // `--sparse-index` keeps model-deployments/prod/ as one index entry
    // (the `sdir` extension), which libgit2 cannot read: status still
    // lists prod (HEAD's files outside the set), a change is refused
    // before anything is fetched, written or pushed, with git's way back.
    let env = Env::new();
    let (remote, work) = gitops(&env, |_| {});
    env.git(
        &work,
        &[
            "sparse-checkout",
            "set",
            "--sparse-index",
            "model-deployments/test",
        ],
    );
    let sparse = env.git(&work, &["ls-files", "--sparse"]);
    assert!(sparse.contains("model-deployments/prod/\n"), "{sparse}");
    let (code, rows) = env.status_rows(&work, "");
    assert_eq!(code, 0, "{rows:?}");
    assert_eq!(row(&rows, "prod", "jukebox")["autoscaler"], "off");
    let before = state(&env, &work);
    let remote_head = env.git(&remote, &["rev-parse", "main"]);
    for line in [
        "set test/jukebox version=v3 --yes",
        "set prod/jukebox version=v3 --yes",
    ] {
        let out = env.mlops(&work).args(words(line)).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{line}: {}", text(&out));
        assert!(text(&out).contains("sparse index"), "{}", text(&out));
        assert!(text(&out).contains("git sparse-checkout reapply --no-sparse-index"));
    }
    assert_eq!(state(&env, &work), before);
    assert_eq!(env.git(&remote, &["rev-parse", "main"]), remote_head);
    // git's way back, then it works.
    env.git(&work, &["sparse-checkout", "reapply", "--no-sparse-index"]);
    let out = env
        .mlops(&work)
        .args(words("set prod/jukebox version=v3 --yes"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(env.status(&work), "");
}
