//! Submodules: the chart as a submodule `charts` of the gitops
//! repository. When the remote moved its pointer and the checkout is
//! behind, mlops follows as `git pull --ff-only` does on a twin: the
//! index takes the new gitlink (no stat data), the submodule's own work
//! tree is left as git leaves it (never updated without
//! `--recurse-submodules`), whether it was set up or is the empty folder
//! of one never initialised.

use std::fs;
use std::path::{Path, PathBuf};

use pretty_assertions::assert_eq;

use super::{append, colleague_pushes, files, gitops, reference, text};
use crate::common::{copy_dir, words, Env};

/// git refuses local submodule URLs unless told (CVE-2022-39253).
const ALLOW: &[&str] = &["-c", "protocol.file.allow=always"];

fn git(env: &Env, dir: &Path, args: &[&str]) -> String {
    env.git(dir, &[ALLOW, args].concat())
}

/// A bare `chart.git` holding the chart (the reference one beside the
/// gitops repository, else a small one).
fn chart_remote(env: &Env) -> PathBuf {
    let seed = env.path().join("chart-seed");
    let chart = reference().with_file_name("music-transformer-chart");
    match chart.is_dir() {
        true => copy_dir(&chart, &seed),
        false => {
            fs::create_dir_all(seed.join("templates")).unwrap();
            fs::write(seed.join("values.yaml"), "autoscaling: false\n").unwrap();
        }
    }
    env.git(&seed, &["init", "-q", "-b", "main"]);
    env.git(&seed, &["add", "-A"]);
    env.git(&seed, &["commit", "-qm", "chart"]);
    let bare = env.path().join("chart.git");
    let (from, to) = (seed.to_str().unwrap(), bare.to_str().unwrap());
    env.git(env.path(), &["clone", "-q", "--bare", from, to]);
    bare
}

/// The chart moves on: a commit on its main, pushed.
fn chart_moves(env: &Env, chart: &Path) {
    let dir = env.path().join("chart-dev");
    if !dir.exists() {
        let (from, to) = (chart.to_str().unwrap(), dir.to_str().unwrap());
        env.git(env.path(), &["clone", "-q", from, to]);
    }
    fs::write(
        dir.join("NOTES.md"),
        format!("{}\n", fs::read_dir(&dir).unwrap().count()),
    )
    .unwrap();
    env.git(&dir, &["add", "-A"]);
    env.git(&dir, &["commit", "-qm", "chart moves"]);
    env.git(&dir, &["push", "-q", "origin", "main"]);
}

/// The colleague's clone, with the submodule set up.
fn colleague(env: &Env, remote: &Path) -> PathBuf {
    let dir = env.path().join("colleague");
    let (from, to) = (remote.to_str().unwrap(), dir.to_str().unwrap());
    git(
        env,
        env.path(),
        &["clone", "-q", "--recurse-submodules", from, to],
    );
    dir
}

/// The colleague points `charts` at the chart's newest commit and pushes.
fn colleague_bumps(env: &Env, remote: &Path) {
    colleague_pushes(env, remote, |dir| {
        git(
            env,
            dir,
            &["submodule", "update", "-q", "--remote", "charts"],
        );
    });
}

/// The checkout mlops runs in and a git twin, both cloned (with the
/// submodule set up when `init`), `charts` added before.
fn twins(env: &Env, init: bool) -> (PathBuf, PathBuf, PathBuf) {
    let (remote, _) = gitops(env, |_| {});
    fs::remove_dir_all(env.path().join("work")).unwrap();
    let chart = chart_remote(env);
    let dir = colleague(env, &remote);
    git(
        env,
        &dir,
        &["submodule", "add", "-q", "../chart.git", "charts"],
    );
    env.git(&dir, &["commit", "-qm", "The chart as a submodule"]);
    env.git(&dir, &["push", "-q", "origin", "main"]);
    let mut clones = Vec::new();
    for name in ["work", "twin"] {
        let to = env.path().join(name);
        let mut args = vec!["clone", "-q"];
        if init {
            args.push("--recurse-submodules");
        }
        args.extend([remote.to_str().unwrap(), to.to_str().unwrap()]);
        git(env, env.path(), &args);
        clones.push(to);
    }
    chart_moves(env, &chart);
    let twin = clones.pop().unwrap();
    (remote, clones.pop().unwrap(), twin)
}

fn state(env: &Env, dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = [
        &["rev-parse", "HEAD"][..],
        &["status", "--porcelain"],
        &["ls-files", "-s"],
        &["ls-files", "--debug", "charts"],
    ]
    .iter()
    .map(|args| env.git(dir, args))
    .collect();
    let charts = dir.join("charts");
    out.push(format!(
        "{:?}",
        files(&charts)
            .into_iter()
            .map(|(p, _)| p)
            .collect::<Vec<_>>()
    ));
    if charts.join(".git").exists() {
        out.push(env.git(&charts, &["rev-parse", "HEAD"]));
    }
    out
}

/// mlops changes test/jukebox in `work` (behind); git pulls the twin.
fn mlops_then_git(env: &Env, work: &Path, twin: &Path) {
    let before = state(env, work);
    let gitlink = |dir: &Path| env.git(dir, &["ls-files", "-s", "charts"]);
    let pointer = gitlink(work);
    let out = env
        .mlops(work)
        .args(words("set test/jukebox version=v5 --yes"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    env.git(twin, &["pull", "-q", "--ff-only"]);
    let after = state(env, work);
    assert_eq!(after, state(env, twin));
    assert_ne!(gitlink(work), pointer, "the gitlink moved");
    // The submodule's own checkout is where it was.
    assert_eq!(after[4..], before[4..]);
}

#[test]
fn a_moved_pointer_of_a_never_initialised_submodule_is_followed() {
    let env = Env::new();
    let (remote, work, twin) = twins(&env, false);
    assert_eq!(fs::read_dir(work.join("charts")).unwrap().count(), 0);
    colleague_bumps(&env, &remote);
    mlops_then_git(&env, &work, &twin);
    assert_eq!(env.status(&work), "");
}

#[test]
fn a_moved_pointer_of_a_set_up_submodule_is_followed_and_its_checkout_left() {
    let env = Env::new();
    let (remote, work, twin) = twins(&env, true);
    colleague_bumps(&env, &remote);
    colleague_pushes(&env, &remote, |dir| {
        append(dir, "prod", "jukebox", "version: v2\n")
    });
    mlops_then_git(&env, &work, &twin);
    // git shows the submodule behind its new pointer, in both.
    assert_eq!(env.status(&work), " M charts\n");
}

#[test]
fn a_submodule_added_while_behind_is_staged_with_its_empty_folder() {
    let env = Env::new();
    let (remote, work) = gitops(&env, |_| {});
    let twin = env.clone_of(&remote, "twin");
    chart_remote(&env);
    let dir = colleague(&env, &remote);
    git(
        &env,
        &dir,
        &["submodule", "add", "-q", "../chart.git", "charts"],
    );
    env.git(&dir, &["commit", "-qm", "The chart as a submodule"]);
    env.git(&dir, &["push", "-q", "origin", "main"]);
    let out = env
        .mlops(&work)
        .args(words("set test/jukebox version=v5 --yes"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    env.git(&twin, &["pull", "-q", "--ff-only"]);
    // git records the stat data of the folder it made: the same fields
    // set, their values this machine's.
    let shape = |dir: &Path| {
        let mut said = state(&env, dir);
        said[3] = said[3]
            .lines()
            .map(|l| format!("{}\n", zeroes(l)))
            .collect();
        said
    };
    assert_eq!(shape(&work), shape(&twin));
    assert!(work.join("charts").is_dir());
}

/// `ls-files --debug` line with each number shown as zero or not.
fn zeroes(line: &str) -> String {
    line.split(|c: char| c.is_whitespace() || c == ':')
        .map(|w| match w.parse::<u64>() {
            Ok(0) => "0",
            Ok(_) => "n",
            Err(_) => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}
