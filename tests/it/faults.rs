//! Faults and odd repositories: what a user gets when the disk, the file
//! system, the process or the checkout is not in the state mlops expects.
//! Each test checks the outcome a user would want: a clear message, the
//! contract's exit code, and nothing lost or half-written (the file is
//! byte for byte old or new, HEAD did not move on a failure, `git fsck`
//! is clean).
//!
//! The tests run as root (CI does), which ignores permission bits, so
//! "read-only" is made real with the immutable attribute (`chattr +i`) and
//! "full disk" with a small tmpfs. Where the machine cannot do that (no
//! chattr support, no mount permission) the test says so on stderr and
//! checks nothing rather than pretend.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use predicates::prelude::*;

use crate::common::{config, row, words, Env};

fn head(env: &Env, repo: &Path) -> String {
    env.git(repo, &["rev-parse", "HEAD"]).trim().to_string()
}

/// `git fsck` finds nothing wrong (dangling objects are fine: a commit
/// composed but never referenced is harmless and collected by git gc).
fn assert_fsck_clean(env: &Env, repo: &Path) {
    let out = env.git_output(repo, &["fsck", "--no-dangling", "--full"]);
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "git fsck: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const ENABLE_NO_PUSH: [&str; 7] = [
    "autoscale",
    "enable",
    "--env",
    "test",
    "jukebox",
    "--no-push",
    "--yes",
];

/// Sets the immutable attribute (writes fail with EPERM, even for root)
/// and clears it on drop so the sandbox can be removed.
struct Immutable(PathBuf);

impl Immutable {
    fn set(path: &Path) -> Option<Immutable> {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!(
                "skipped: chattr +i is not available here ({})",
                path.display()
            );
            return None;
        }
        Some(Immutable(path.to_path_buf()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

/// A tmpfs of `size` mounted on `dir`, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: cannot mount a tmpfs here (needs root and mount permission)");
            return None;
        }
        Some(Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the file system holding `dir` until a write fails.
fn fill(dir: &Path) {
    let mut file = fs::File::create(dir.join("filler")).unwrap();
    let chunk = vec![0u8; 4096];
    while std::io::Write::write_all(&mut file, &chunk).is_ok() {}
    let _ = file.sync_all();
}

#[test]
fn a_read_only_config_file_is_refused_before_anything_is_committed() {
    let env = Env::new();
    let repo = env.checkout();
    let file = config(&repo, "test", "jukebox");
    let before = fs::read(&file).unwrap();
    let old_head = head(&env, &repo);
    let Some(_lock) = Immutable::set(&file) else {
        return;
    };
    env.mlops(&repo)
        .args(ENABLE_NO_PUSH)
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "model-deployments/test/jukebox/config.yaml",
        ))
        .stderr(predicate::str::contains("Operation not permitted"));
    assert_eq!(fs::read(&file).unwrap(), before);
    assert_eq!(head(&env, &repo), old_head, "no commit on a failed write");
    assert_eq!(env.status(&repo), "");
    assert_fsck_clean(&env, &repo);
}

#[test]
fn a_read_only_model_folder_is_refused_before_anything_is_committed() {
    let env = Env::new();
    let repo = env.checkout();
    let file = config(&repo, "test", "jukebox");
    let before = fs::read(&file).unwrap();
    let old_head = head(&env, &repo);
    let Some(_lock) = Immutable::set(file.parent().unwrap()) else {
        return;
    };
    env.mlops(&repo)
        .args(ENABLE_NO_PUSH)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("model-deployments/test/jukebox"));
    assert_eq!(fs::read(&file).unwrap(), before);
    assert_eq!(head(&env, &repo), old_head);
    assert_eq!(env.status(&repo), "");
    assert_fsck_clean(&env, &repo);
}

#[test]
fn a_full_disk_fails_cleanly_and_the_checkout_stays_as_it_was() {
    let env = Env::new();
    let (remote, _) = env.gitops(|_| {});
    let Some(_disk) = Tmpfs::mount(&env.path().join("disk"), "2m") else {
        return;
    };
    let repo = env.path().join("disk/work");
    env.git(
        env.path(),
        &[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            repo.to_str().unwrap(),
        ],
    );
    let file = config(&repo, "test", "jukebox");
    let before = fs::read(&file).unwrap();
    let old_head = head(&env, &repo);
    fill(&env.path().join("disk"));
    let out = env.mlops(&repo).args(ENABLE_NO_PUSH).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(1 | 3 | 4)),
        "exit {:?}: {stderr}",
        out.status.code()
    );
    assert!(
        stderr.contains("No space left on device") || stderr.contains("no space"),
        "the message says why: {stderr}"
    );
    fs::remove_file(env.path().join("disk/filler")).unwrap();
    assert_eq!(fs::read(&file).unwrap(), before, "file untouched");
    assert_eq!(head(&env, &repo), old_head, "no commit");
    assert_eq!(env.status(&repo), "", "no stray files");
    assert_fsck_clean(&env, &repo);
    // With space again, the same command works.
    env.mlops(&repo).args(ENABLE_NO_PUSH).assert().success();
}

#[test]
fn a_full_work_tree_disk_never_leaves_a_partial_file() {
    // The git directory has room (the commit can be written), the work
    // tree's file system is full: the file must stay whole. Like git,
    // mlops rewrites a file of a work tree on another file system than
    // its git directory in place, so the new content may fit in the old
    // file's own space: then the run succeeds, with the new file whole.
    let env = Env::new();
    let (remote, _) = env.gitops(|_| {});
    let Some(_disk) = Tmpfs::mount(&env.path().join("disk"), "1m") else {
        return;
    };
    let repo = env.path().join("disk/work");
    let gitdir = env.path().join("work.git");
    env.git(
        env.path(),
        &[
            "clone",
            "-q",
            "--separate-git-dir",
            gitdir.to_str().unwrap(),
            remote.to_str().unwrap(),
            repo.to_str().unwrap(),
        ],
    );
    let file = config(&repo, "test", "jukebox");
    let before = fs::read(&file).unwrap();
    fill(&env.path().join("disk"));
    let out = env.mlops(&repo).args(ENABLE_NO_PUSH).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    fs::remove_file(env.path().join("disk/filler")).unwrap();
    let after = fs::read(&file).unwrap();
    if out.status.success() {
        assert!(String::from_utf8_lossy(&after).contains("autoscaling: true"));
        assert_eq!(env.status(&repo), "", "the new file, whole and committed");
    } else {
        assert!(
            stderr.contains("No space left on device"),
            "the message says why: {stderr}"
        );
        assert_eq!(after, before, "file is the old one, whole");
    }
    let leftovers: Vec<_> = fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "config.yaml")
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    assert_fsck_clean(&env, &repo);
}

/// SIGKILL at varying moments during `enable`/`disable --no-push`: after
/// every kill the file is byte for byte the old or the new content, the
/// repository is sound, and the next run repairs or finishes the job.
#[test]
fn a_separate_git_dir_checkout_and_a_git_worktree_are_found() {
    let env = Env::new();
    let (remote, repo) = env.gitops(|_| {});
    let separate = env.path().join("separate");
    env.git(
        env.path(),
        &[
            "clone",
            "-q",
            "--separate-git-dir",
            env.path().join("separate.git").to_str().unwrap(),
            remote.to_str().unwrap(),
            separate.to_str().unwrap(),
        ],
    );
    let linked = env.path().join("linked");
    env.git(
        &repo,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "side",
            linked.to_str().unwrap(),
        ],
    );
    for dir in [&separate, &linked] {
        env.mlops(dir).args(ENABLE_NO_PUSH).assert().success();
        assert_eq!(
            env.subjects(dir, "-1")[0],
            "Enable autoscaling for jukebox in test"
        );
        assert_eq!(env.status(dir), "", "{}", dir.display());
        let rows = status_json(&env, dir);
        assert_eq!(rows.len(), 4, "{}: {rows:?}", dir.display());
    }
}

#[test]
fn a_process_killed_during_the_write_leaves_the_old_or_the_new_file() {
    let env = Env::new();
    let repo = env.checkout();
    let file = config(&repo, "test", "jukebox");
    let off = fs::read(&file).unwrap();
    // How long one whole run takes here, so the kills spread over it.
    let started = std::time::Instant::now();
    env.mlops(&repo)
        .args(words("autoscale enable --env test jukebox --no-push --yes"))
        .assert()
        .success();
    let whole = started.elapsed();
    env.git(&repo, &["reset", "-q", "--hard", "HEAD~1"]);
    let mut now_bytes = off.clone();
    let mut on_state = false;
    let mut outcomes = [0usize; 2];
    let mut leftovers = 0;
    let mut locks = 0;
    for round in 0..24u64 {
        let verb = if on_state { "disable" } else { "enable" };
        let expected = now_bytes.clone();
        let target = match mlops::edit::set_autoscaling(&expected, !on_state) {
            Ok(mlops::edit::Outcome::Changed { bytes, .. }) => bytes,
            other => panic!("each round must be a change: {other:?}"),
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_mlops"));
        env.apply(&mut command);
        let mut child = command
            .args(round_args(verb))
            .current_dir(&repo)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // From 0 to 1.2 times a whole run: before, during and after the write.
        std::thread::sleep(whole.mul_f64(round as f64 / 20.0));
        let _ = child.kill();
        let _ = child.wait();
        let now = fs::read(&file).unwrap();
        assert!(
            now == expected || now == target,
            "round {round}: the file is neither old nor new:\n{}",
            String::from_utf8_lossy(&now)
        );
        assert_fsck_clean(&env, &repo);
        // A kill during the write may leave mlops's temporary file; the
        // next run (not killed) removes it and brings the checkout to a
        // sound, committed state.
        let temps = fs::read_dir(file.parent().unwrap())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name() != "config.yaml")
            .count();
        leftovers += temps;
        let finished = now == target;
        outcomes[usize::from(finished)] += 1;
        if !finished || !env.status(&repo).is_empty() {
            // Not written (or written but not committed): run it again.
            let out = env.mlops(&repo).args(round_args(verb)).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            if !out.status.success() {
                // Killed while holding a git lock file: like git, mlops
                // cannot tell a stale lock from a running git, so it names
                // the file and says what to do; doing so finishes the job.
                assert!(
                    out.status.code() == Some(4) && stderr.contains("lock file"),
                    "round {round}: after a kill the next run fails (exit {:?}):\n{stderr}",
                    out.status.code()
                );
                locks += remove_lock_files(&repo.join(".git"));
                env.mlops(&repo).args(round_args(verb)).assert().success();
            }
        }
        assert_eq!(fs::read(&file).unwrap(), target);
        assert_eq!(env.status(&repo), "", "round {round}: nothing left over");
        now_bytes = target;
        on_state = !on_state;
    }
    eprintln!(
        "killed before the write: {}, after: {}; temporary files a kill left (removed by the next run): {leftovers}; stale git lock files removed as the hint says: {locks}",
        outcomes[0], outcomes[1]
    );
}

/// Branches `other` and `main` that change the same line of a file, so a
/// merge or rebase between them stops on a conflict.
fn diverge(env: &Env, repo: &Path) {
    let file = repo.join("appset-test.yaml");
    env.git(repo, &["switch", "-q", "-c", "other"]);
    fs::write(&file, "other\n").unwrap();
    env.git(repo, &["commit", "-qam", "other"]);
    env.git(repo, &["switch", "-q", "main"]);
    fs::write(&file, "main\n").unwrap();
    env.git(repo, &["commit", "-qam", "main"]);
}

#[test]
fn a_merge_in_progress_is_refused_with_exit_1() {
    let env = Env::new();
    let repo = env.checkout();
    diverge(&env, &repo);
    assert!(!env.git_output(&repo, &["merge", "other"]).status.success());
    let file = config(&repo, "test", "jukebox");
    let before = fs::read(&file).unwrap();
    env.mlops(&repo)
        .args(ENABLE_NO_PUSH)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("in the middle of a"))
        .stderr(predicate::str::contains("git merge --abort"));
    assert_eq!(fs::read(&file).unwrap(), before);
    assert!(
        repo.join(".git/MERGE_HEAD").exists(),
        "the merge is left alone"
    );
}

#[test]
fn a_rebase_in_progress_is_refused_with_exit_1() {
    let env = Env::new();
    let repo = env.checkout();
    diverge(&env, &repo);
    env.git(&repo, &["switch", "-q", "other"]);
    assert!(!env.git_output(&repo, &["rebase", "main"]).status.success());
    env.mlops(&repo)
        .args(ENABLE_NO_PUSH)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("in the middle of a"))
        .stderr(predicate::str::contains("git rebase --abort"));
    assert!(
        repo.join(".git/rebase-merge").exists(),
        "the rebase is left alone"
    );
}

#[test]
fn a_detached_head_is_refused_with_exit_1() {
    let env = Env::new();
    let repo = env.checkout();
    env.git(&repo, &["switch", "-q", "--detach", "HEAD"]);
    let old_head = head(&env, &repo);
    env.mlops(&repo)
        .args(ENABLE_NO_PUSH)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("HEAD is detached"))
        .stderr(predicate::str::contains("git switch"));
    assert_eq!(head(&env, &repo), old_head);
    assert_eq!(env.status(&repo), "");
}

/// A `git clone --depth 1` of `remote` (through file://, so it is shallow).
fn shallow_clone(env: &Env, remote: &Path) -> PathBuf {
    let shallow = env.path().join("shallow");
    let url = format!("file://{}", remote.display());
    let target = shallow.to_str().unwrap();
    env.git(env.path(), &["clone", "-q", "--depth", "1", &url, target]);
    shallow
}

#[test]
fn a_shallow_checkout_commits_locally() {
    let env = Env::new();
    let (remote, _) = env.gitops(|_| {});
    let shallow = shallow_clone(&env, &remote);
    assert!(shallow.join(".git/shallow").exists());
    env.mlops(&shallow).args(ENABLE_NO_PUSH).assert().success();
    assert_eq!(
        env.subjects(&shallow, "-1")[0],
        "Enable autoscaling for jukebox in test"
    );
    assert_eq!(env.status(&shallow), "");
    assert_fsck_clean(&env, &shallow);
}

#[test]
fn a_shallow_checkout_pushes() {
    let env = Env::new();
    let (remote, _) = env.gitops(|_| {});
    let shallow = shallow_clone(&env, &remote);
    env.mlops(&shallow)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success();
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Enable autoscaling for jukebox in test"
    );
    assert_eq!(
        head(&env, &shallow),
        env.git(&remote, &["rev-parse", "main"]).trim()
    );
}

#[test]
fn a_branch_without_upstream_pushes_to_origin() {
    let env = Env::new();
    let (remote, repo) = env.gitops(|_| {});
    env.git(&repo, &["branch", "--unset-upstream"]);
    env.mlops(&repo)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success();
    assert_eq!(
        env.subjects(&remote, "main")[0],
        "Enable autoscaling for jukebox in test"
    );
}

#[test]
fn a_checkout_without_any_remote_says_so_with_exit_4_and_keeps_the_file() {
    let env = Env::new();
    let repo = env.checkout();
    env.git(&repo, &["remote", "remove", "origin"]);
    let file = config(&repo, "test", "jukebox");
    let before = fs::read(&file).unwrap();
    let old_head = head(&env, &repo);
    env.mlops(&repo)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .code(4)
        .stderr(predicate::str::contains("origin"))
        .stderr(predicate::str::contains("--no-push"));
    assert_eq!(fs::read(&file).unwrap(), before);
    assert_eq!(head(&env, &repo), old_head);
    // Committing locally still works.
    env.mlops(&repo).args(ENABLE_NO_PUSH).assert().success();
}

#[test]
fn a_model_folder_symlinked_out_of_the_repository_is_refused() {
    let env = Env::new();
    let repo = env.checkout();
    let outside = env.path().join("outside-model");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("config.yaml"), "---\nname: x\n").unwrap();
    std::os::unix::fs::symlink(&outside, repo.join("model-deployments/test/linked")).unwrap();
    env.mlops(&repo)
        .args(words("autoscale enable --env test linked --no-push --yes"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("model folder is a symlink"));
    assert_eq!(
        fs::read_to_string(outside.join("config.yaml")).unwrap(),
        "---\nname: x\n"
    );
    // status never reports a value read from outside the repository.
    let out = env
        .mlops(&repo)
        .args(words("autoscale status --output json"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let linked = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["model"] == "linked")
        .expect("the linked folder is listed");
    assert_eq!(linked["autoscaler"], serde_json::Value::Null);
    assert!(
        linked["error"].as_str().unwrap().contains("symlink"),
        "{linked}"
    );
}

#[test]
fn a_model_folder_symlinked_inside_the_repository_is_refused_not_followed() {
    // `alias` -> `jukebox`: editing through the link would commit a file
    // git does not have at that path; mlops says so and writes nothing.
    let env = Env::new();
    let repo = env.gitops(|seed| {
        std::os::unix::fs::symlink("jukebox", seed.join("model-deployments/test/alias")).unwrap();
    });
    let repo = repo.1;
    let file = config(&repo, "test", "jukebox");
    let before = fs::read(&file).unwrap();
    let old_head = head(&env, &repo);
    env.mlops(&repo)
        .args(words("autoscale enable --env test alias --no-push --yes"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("model-deployments/test/alias"));
    assert_eq!(fs::read(&file).unwrap(), before);
    assert_eq!(head(&env, &repo), old_head);
    // The real folder still works.
    env.mlops(&repo).args(ENABLE_NO_PUSH).assert().success();
}

#[test]
fn a_checkout_under_a_non_ascii_path_works() {
    let env = Env::new();
    let (remote, _) = env.gitops(|_| {});
    let repo = env.path().join("dépôts/モデル ü");
    fs::create_dir_all(repo.parent().unwrap()).unwrap();
    env.git(
        env.path(),
        &[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            repo.to_str().unwrap(),
        ],
    );
    env.mlops(&repo).args(ENABLE_NO_PUSH).assert().success();
    assert_eq!(env.status(&repo), "");
    let rows = status_json(&env, &repo);
    let row = rows
        .iter()
        .find(|r| r["env"] == "test" && r["model"] == "jukebox")
        .unwrap();
    assert_eq!(row["autoscaling"], serde_json::Value::Bool(true));
}

fn status_json(env: &Env, repo: &Path) -> Vec<serde_json::Value> {
    let (code, rows) = env.status_rows(repo, "");
    assert_eq!(code, 0);
    rows
}

#[test]
fn a_non_ascii_model_folder_is_named_not_crashed_on() {
    let env = Env::new();
    let (_, repo) = env.gitops(|seed| {
        let dir = seed.join("model-deployments/test/jükebox");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("config.yaml"), "---\nname: jükebox\n").unwrap();
    });
    // Not a Kubernetes name: refused before any path is built.
    env.mlops(&repo)
        .args(words("autoscale enable --env test jükebox --no-push --yes"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("is not a valid name"));
    // status lists it with the reason it is not a model (exit 3), and
    // still reads every other file.
    let (code, rows) = env.status_rows(&repo, "");
    assert_eq!(code, 3);
    let odd = row(&rows, "test", "jükebox");
    assert!(
        odd["error"]
            .as_str()
            .unwrap()
            .contains("not a valid model name"),
        "{odd}"
    );
    assert!(rows
        .iter()
        .any(|r| r["model"] == "jukebox" && r["autoscaler"] == "off"));
}

/// What a user wants after a run was killed between replacing the file and
/// moving HEAD (the kill test above meets it in about one round in five):
/// the next identical run sees that the uncommitted change is exactly its
/// own edit and commits it, instead of refusing it as a local change.
#[test]
fn the_next_run_finishes_an_edit_a_killed_run_left_uncommitted() {
    let env = Env::new();
    let repo = env.checkout();
    let file = config(&repo, "test", "jukebox");
    let Ok(mlops::edit::Outcome::Changed { bytes, .. }) =
        mlops::edit::set_autoscaling(&fs::read(&file).unwrap(), true)
    else {
        panic!("the fixture must need a change");
    };
    fs::write(&file, &bytes).unwrap();
    env.mlops(&repo).args(ENABLE_NO_PUSH).assert().success();
    assert_eq!(env.status(&repo), "");
    assert_eq!(fs::read(&file).unwrap(), bytes);
}

/// One round's command line: `verb` (enable or disable) for test/jukebox,
/// committed locally without asking.
fn round_args(verb: &str) -> [&str; 7] {
    [
        "autoscale",
        verb,
        "--env",
        "test",
        "jukebox",
        "--no-push",
        "--yes",
    ]
}

/// Removes `*.lock` files under `git_dir`, as a user does after the hint;
/// returns how many there were.
fn remove_lock_files(git_dir: &Path) -> usize {
    walkdir::WalkDir::new(git_dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "lock"))
        .map(|e| fs::remove_file(e.path()).unwrap())
        .count()
}
