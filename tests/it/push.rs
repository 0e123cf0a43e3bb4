//! Pushing from a checkout to a bare repository given by path (libgit2's
//! local transport): the change reaches the remote, the checkout follows,
//! and nothing else the user had moves.

use std::fs;
use std::path::Path;

use predicates::prelude::*;
use pretty_assertions::assert_eq;

use crate::common::{config, words, Env};

const JUKEBOX_TEST: &str = "model-deployments/test/jukebox/config.yaml";

fn rev(env: &Env, dir: &Path, rev: &str) -> String {
    env.git(dir, &["rev-parse", rev]).trim().to_string()
}

#[test]
fn push_lands_on_the_remote_and_leaves_unrelated_work_alone() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    // Someone's work in progress: a modified tracked file, a staged new
    // file and an untracked one.
    fs::write(work.join("appset-test.yaml"), "# my local experiment\n").unwrap();
    fs::write(work.join("notes.txt"), "staged\n").unwrap();
    env.git(&work, &["add", "notes.txt"]);
    fs::write(work.join("scratch.txt"), "untracked\n").unwrap();
    let before = env.status(&work);

    env.mlops(&work)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains("Pushed "))
        .stderr(predicate::str::contains("to origin/main"))
        .stderr(predicate::str::contains(
            "Argo CD application jukebox-test (ApplicationSet jukebox-test-appset)",
        ));

    assert_eq!(env.changed_paths(&remote, "main"), [JUKEBOX_TEST]);
    assert_eq!(rev(&env, &remote, "main"), rev(&env, &work, "HEAD"));
    assert_eq!(env.status(&work), before, "the user's work is untouched");
    assert_eq!(
        fs::read_to_string(work.join("appset-test.yaml")).unwrap(),
        "# my local experiment\n"
    );
    assert!(fs::read_to_string(config(&work, "test", "jukebox"))
        .unwrap()
        .contains("autoscaling: true"));
    let tree = env.git(&remote, &["ls-tree", "-r", "--name-only", "main"]);
    assert!(!tree.contains("notes.txt") && !tree.contains("scratch.txt"));
    assert_eq!(
        rev(&env, &work, "origin/main"),
        rev(&env, &remote, "main"),
        "the remote-tracking branch follows"
    );
}

#[test]
fn a_second_identical_run_makes_no_commit() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let run = || {
        env.mlops(&work)
            .args(words(
                "autoscale enable --env test jukebox --output json --yes",
            ))
            .assert()
            .success()
    };
    let first: serde_json::Value =
        serde_json::from_slice(&run().get_output().stdout.clone()).unwrap();
    let tip = rev(&env, &remote, "main");
    assert_eq!(first["commit"].as_str(), Some(tip.as_str()));
    assert_eq!(first["pushed"], true);
    assert_eq!(first["remote_branch"], "origin/main");
    assert_eq!(first["attempts"], 1);
    assert_eq!(first["applications"], serde_json::json!(["jukebox-test"]));
    let out = run().get_output().stdout.clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["commit"], serde_json::Value::Null);
    assert_eq!(doc["pushed"], false);
    assert_eq!(rev(&env, &remote, "main"), tip);
}

#[test]
fn local_commits_not_on_the_remote_are_refused() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    fs::write(work.join("toolings/minio/config.yaml"), "x: 1\n").unwrap();
    env.git(&work, &["commit", "-qam", "my unpushed work"]);
    let tip = rev(&env, &remote, "main");
    let head = rev(&env, &work, "HEAD");
    env.mlops(&work)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "1 commit(s) that are not on origin/main",
        ))
        .stderr(predicate::str::contains("my unpushed work"))
        .stderr(predicate::str::contains("git push"));
    assert_eq!(rev(&env, &remote, "main"), tip);
    assert_eq!(rev(&env, &work, "HEAD"), head);
    assert_eq!(env.status(&work), "");
}

#[test]
fn a_checkout_behind_the_remote_builds_on_the_remote_tip() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    // Another clone pushes first.
    let other = env.clone_of(&remote, "other");
    fs::write(
        config(&other, "prod", "jukebox"),
        "---\nautoscaling: false\n",
    )
    .unwrap();
    env.git(&other, &["commit", "-qam", "someone else's change"]);
    env.git(&other, &["push", "-q", "origin", "main"]);

    env.mlops(&work)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success();
    assert_eq!(
        env.subjects(&remote, "main"),
        [
            "Enable autoscaling for jukebox in test",
            "someone else's change",
            "Initial mlops-gitops layout"
        ]
    );
    assert_eq!(rev(&env, &work, "HEAD"), rev(&env, &remote, "main"));
    assert_eq!(env.status(&work), "", "the checkout followed both changes");
    assert!(fs::read_to_string(config(&work, "prod", "jukebox"))
        .unwrap()
        .contains("autoscaling: false"));
}

#[test]
fn a_review_branch_is_created_from_the_default_branch() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    env.git(&work, &["switch", "-q", "-c", "jukebox-prod-autoscaling"]);
    env.mlops(&work)
        .args(words("autoscale enable --env prod jukebox --yes"))
        .args(["--branch", "jukebox-prod-autoscaling"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Created the branch jukebox-prod-autoscaling from main",
        ))
        .stderr(predicate::str::contains(
            "once jukebox-prod-autoscaling is merged into main",
        ));
    assert_eq!(
        env.subjects(&remote, "jukebox-prod-autoscaling")[0],
        "Enable autoscaling for jukebox in prod"
    );
    assert_eq!(env.subjects(&remote, "main").len(), 1, "main is untouched");
    assert_eq!(
        env.git(&work, &["rev-parse", "--abbrev-ref", "@{upstream}"])
            .trim(),
        "origin/jukebox-prod-autoscaling"
    );
}

#[test]
fn a_file_no_applicationset_covers_is_warned_about() {
    let env = Env::new();
    let (_, work) = env.gitops(|seed| {
        fs::remove_file(seed.join("appset-test.yaml")).unwrap();
    });
    env.mlops(&work)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "no Argo CD ApplicationSet in the repository covers model-deployments/test/jukebox/config.yaml",
        ));
}

#[test]
fn a_signed_commit_verifies() {
    let env = Env::new();
    if !crate::servers::available(&["ssh-keygen"]) {
        return;
    }
    let (remote, work) = env.gitops(|_| {});
    let key = env.path().join("signing_key");
    let public = crate::servers::keygen(&key);
    let public_text = fs::read_to_string(&public).unwrap();
    let allowed = env.path().join("allowed_signers");
    fs::write(&allowed, format!("test@example.com {public_text}")).unwrap();
    for (k, v) in [
        ("commit.gpgsign", "true"),
        ("gpg.format", "ssh"),
        ("user.signingkey", key.to_str().unwrap()),
        ("gpg.ssh.allowedSignersFile", allowed.to_str().unwrap()),
    ] {
        env.git(&work, &["config", k, v]);
    }
    env.mlops(&work)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success();
    let out = env.git_output(&work, &["verify-commit", "HEAD"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Good \"git\" signature"));
    assert_eq!(rev(&env, &remote, "main"), rev(&env, &work, "HEAD"));
}

#[test]
fn verbose_explains_each_git_step_and_quiet_says_nothing() {
    let env = Env::new();
    let (_remote, work) = env.gitops(|_| {});
    let out = env
        .mlops(&work)
        .args(words("autoscale enable --env test jukebox -v --yes"))
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    let text = String::from_utf8(out).unwrap();
    for step in [
        "git: opened the checkout",
        "git: origin/main is at",
        "git: wrote commit",
        "git: the remote accepted",
        "git: rewrote model-deployments/test/jukebox/config.yaml in the work tree and index",
    ] {
        assert!(text.contains(step), "{step:?} missing from:\n{text}");
    }
    let quiet = env
        .mlops(&work)
        .args(words("autoscale disable --env test jukebox -q --yes"))
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "");
    assert_eq!(String::from_utf8_lossy(&quiet.stdout), "");
    assert_eq!(
        env.subjects(&work, "-1")[0],
        "Disable autoscaling for jukebox in test"
    );
}

#[test]
fn a_change_the_remote_already_has_brings_a_behind_checkout_along() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    // Another clone enables autoscaling first.
    let other = env.clone_of(&remote, "other");
    env.mlops(&other)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success();
    // This checkout is behind; the same request has nothing left to do.
    env.mlops(&work)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains("Nothing to change."))
        .stderr(predicate::str::contains(
            "Brought the checkout up to the remote branch",
        ));
    assert_eq!(rev(&env, &work, "HEAD"), rev(&env, &remote, "main"));
    assert!(fs::read_to_string(config(&work, "test", "jukebox"))
        .unwrap()
        .contains("autoscaling: true"));
    assert_eq!(env.status(&work), "");
}

#[test]
fn the_same_file_changed_on_the_remote_is_edited_as_the_remote_has_it() {
    // The plan is prepared while the remote is listed, from the commit the
    // checkout has; the remote moved, so it must be made again from the
    // remote's version of the file, or the other change would be lost.
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let other = env.clone_of(&remote, "other");
    let file = config(&other, "test", "jukebox");
    let theirs = format!(
        "# owner: team-audio\n{}",
        fs::read_to_string(&file).unwrap()
    );
    fs::write(&file, &theirs).unwrap();
    env.git(&other, &["commit", "-qam", "Name the owner"]);
    env.git(&other, &["push", "-q", "origin", "main"]);

    env.mlops(&work)
        .args(words("autoscale enable --env test jukebox --yes"))
        .assert()
        .success()
        .stdout(predicate::str::contains("+autoscaling: true"));
    let pushed = env.git(&remote, &["show", &format!("main:{JUKEBOX_TEST}")]);
    assert!(pushed.starts_with("# owner: team-audio\n"), "{pushed}");
    assert!(pushed.contains("\nautoscaling: true"), "{pushed}");
    assert_eq!(
        env.subjects(&remote, "main")[..2],
        ["Enable autoscaling for jukebox in test", "Name the owner"]
    );
    assert_eq!(rev(&env, &work, "HEAD"), rev(&env, &remote, "main"));
    assert_eq!(env.status(&work), "");
}

/// A reader of stderr that goes away (`mlops … 2>&1 | head -1`) does not
/// stop the run halfway: the push lands and the checkout follows it.
#[test]
fn a_closed_stderr_does_not_stop_the_run_after_its_push() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mlops"));
    cmd.current_dir(&work)
        .args(words("-v autoscale enable --env test jukebox --yes"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    env.apply(&mut cmd);
    let mut child = cmd.spawn().unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(rev(&env, &work, "HEAD"), rev(&env, &remote, "main"));
    let text = fs::read_to_string(config(&work, "test", "jukebox")).unwrap();
    assert!(text.contains("autoscaling: true"), "{text}");
    assert_eq!(env.status(&work), "");
}

/// A checkout behind its remote: the change prepared while the remote was
/// reached is kept when the remote's new commits change none of the files
/// it read (the target, the ApplicationSets), and made again on the new
/// tip when they change one; either way the result is the colleague's
/// commit with the change on top.
#[test]
fn a_change_prepared_ahead_is_kept_only_when_the_new_commits_leave_its_files_alone() {
    for (file, kept) in [
        ("NOTES.md", true),
        ("appset-test.yaml", false),
        (JUKEBOX_TEST, false),
    ] {
        let env = Env::new();
        let (remote, work) = env.gitops(|_| {});
        let other = env.path().join("colleague");
        let (from, to) = (remote.to_str().unwrap(), other.to_str().unwrap());
        env.git(env.path(), &["clone", "-q", from, to]);
        let before = fs::read_to_string(other.join(file)).unwrap_or_default();
        fs::write(other.join(file), format!("{before}# reviewed\n")).unwrap();
        env.git(&other, &["add", file]);
        env.git(&other, &["commit", "-q", "-m", "Review"]);
        env.git(&other, &["push", "-q", "origin", "main"]);
        let theirs = rev(&env, &remote, "main");
        let out = env
            .mlops(&work)
            .args(words("-v autoscale enable --env test jukebox --yes"))
            .assert()
            .success();
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert_eq!(stderr.contains("holds on"), kept, "{file}: {stderr}");
        assert_eq!(rev(&env, &work, "HEAD"), rev(&env, &remote, "main"));
        assert_eq!(rev(&env, &work, "HEAD^"), theirs, "{file}");
        let jukebox = fs::read_to_string(work.join(JUKEBOX_TEST)).unwrap();
        assert!(jukebox.contains("autoscaling: true"), "{file}: {jukebox}");
        assert_eq!(jukebox.contains("# reviewed"), file == JUKEBOX_TEST);
        if file != JUKEBOX_TEST {
            assert_eq!(
                fs::read_to_string(work.join(file)).unwrap(),
                fs::read_to_string(other.join(file)).unwrap(),
                "{file}"
            );
        }
        assert_eq!(env.status(&work), "");
        assert_eq!(env.git(&work, &["fsck", "--no-progress"]).trim(), "");
    }
}
