//! `mlops autoscale enable|disable` on real checkouts, committing locally
//! (`--no-push`); pushing has its own tests. Each test checks what a user
//! would: the file's bytes, `git log`, `git status`, the exit code and the
//! message.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use predicates::prelude::*;
use pretty_assertions::assert_eq;

use crate::common::{config, fixture_config, words, Env};

const WORKSHOP: &str = "workshop-example.yaml";

/// A checkout whose test/jukebox config is the workshop's.
fn workshop(env: &Env) -> std::path::PathBuf {
    env.gitops(|seed| {
        fs::write(config(seed, "test", "jukebox"), fixture_config(WORKSHOP)).unwrap();
    })
    .1
}

fn head(env: &Env, repo: &std::path::Path) -> String {
    env.git(repo, &["rev-parse", "HEAD"]).trim().to_string()
}

#[test]
fn enable_adds_the_key_commits_only_that_file() {
    let env = Env::new();
    let repo = workshop(&env);
    env.mlops(&repo)
        .args(words("autoscale enable --env test jukebox --no-push --yes"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "--- a/model-deployments/test/jukebox/config.yaml",
        ))
        .stdout(predicate::str::contains("+autoscaling: true"));
    let mut expected = fixture_config(WORKSHOP);
    expected.extend_from_slice(b"autoscaling: true\n");
    assert_eq!(
        String::from_utf8(fs::read(config(&repo, "test", "jukebox")).unwrap()).unwrap(),
        String::from_utf8(expected).unwrap()
    );
    assert_eq!(
        env.subjects(&repo, "-1")[0],
        "Enable autoscaling for jukebox in test"
    );
    assert_eq!(
        env.changed_paths(&repo, "HEAD"),
        ["model-deployments/test/jukebox/config.yaml"]
    );
    assert_eq!(
        env.git(&repo, &["log", "-1", "--format=%an <%ae>|%cn <%ce>"])
            .trim(),
        "Test User <test@example.com>|Test User <test@example.com>"
    );
    assert_eq!(
        env.status(&repo),
        "",
        "work tree and index follow the commit"
    );
}

#[test]
fn a_fresh_environment_file_gets_the_key_after_the_document_marker() {
    let env = Env::new();
    let repo = env.checkout();
    env.mlops(&repo)
        .args(words("autoscale enable --env prod jukebox --no-push --yes"))
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(config(&repo, "prod", "jukebox")).unwrap(),
        "---\nautoscaling: true\n"
    );
}

#[test]
fn two_envs_two_models_change_in_one_commit() {
    let env = Env::new();
    let repo = env.checkout();
    let before = head(&env, &repo);
    env.mlops(&repo)
        .args(words(
            "autoscale enable --env test --env prod jukebox jukebox-ui --no-push --yes",
        ))
        .assert()
        .success();
    assert_eq!(
        env.git(&repo, &["rev-list", "--count", &format!("{before}..HEAD")])
            .trim(),
        "1"
    );
    let mut paths = env.changed_paths(&repo, "HEAD");
    paths.sort();
    assert_eq!(
        paths,
        [
            "model-deployments/prod/jukebox-ui/config.yaml",
            "model-deployments/prod/jukebox/config.yaml",
            "model-deployments/test/jukebox-ui/config.yaml",
            "model-deployments/test/jukebox/config.yaml",
        ]
    );
    assert_eq!(
        env.subjects(&repo, "-1")[0],
        "Enable autoscaling for jukebox and jukebox-ui in test and prod"
    );
}

#[test]
fn message_and_identity_come_from_the_options_and_environment() {
    let env = Env::new();
    let repo = env.checkout();
    env.mlops(&repo)
        .args([
            "autoscale",
            "enable",
            "--env",
            "test",
            "jukebox",
            "--no-push",
            "--yes",
            "-m",
            "Scale jukebox on requests",
        ])
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "CI Bot")
        .env("GIT_COMMITTER_EMAIL", "ci@example.com")
        .assert()
        .success();
    assert_eq!(env.subjects(&repo, "-1")[0], "Scale jukebox on requests");
    assert_eq!(
        env.git(&repo, &["log", "-1", "--format=%an <%ae>|%cn <%ce>"])
            .trim(),
        "Ada <ada@example.com>|CI Bot <ci@example.com>"
    );
}

#[test]
fn without_any_identity_it_commits_as_mlops_with_a_warning() {
    let env = Env::new();
    let repo = env.checkout();
    fs::remove_file(env.home().join(".gitconfig")).unwrap();
    env.mlops(&repo)
        .args(words("autoscale enable --env test jukebox --no-push --yes"))
        .assert()
        .success()
        .stderr(
            predicate::str::contains("warning:")
                .and(predicate::str::contains("mlops <mlops@localhost>")),
        );
    assert_eq!(
        env.git(&repo, &["log", "-1", "--format=%an <%ae>"]).trim(),
        "mlops <mlops@localhost>"
    );
}

#[test]
fn dry_run_shows_the_diff_and_changes_nothing() {
    let env = Env::new();
    let repo = workshop(&env);
    let before = head(&env, &repo);
    env.mlops(&repo)
        .args(words("autoscale enable --env test jukebox --dry-run"))
        .assert()
        .success()
        .stdout(predicate::str::contains("+autoscaling: true"))
        .stderr(predicate::str::contains("Dry run"));
    assert_eq!(
        fs::read(config(&repo, "test", "jukebox")).unwrap(),
        fixture_config(WORKSHOP)
    );
    assert_eq!(head(&env, &repo), before);
    assert_eq!(env.status(&repo), "");
}

#[test]
fn a_second_identical_run_is_unchanged_and_makes_no_commit() {
    let env = Env::new();
    let repo = env.checkout();
    let args = [
        "autoscale",
        "enable",
        "--env",
        "test",
        "jukebox",
        "--no-push",
        "--yes",
        "--output",
        "json",
    ];
    env.mlops(&repo).args(args).assert().success();
    let after_first = head(&env, &repo);
    let out = env
        .mlops(&repo)
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        report,
        serde_json::json!({
            "changed": [],
            "unchanged": [{"env": "test", "model": "jukebox", "path": "model-deployments/test/jukebox/config.yaml"}],
            "commit": null,
            "pushed": false,
            "remote_branch": null,
            "attempts": null,
            "applications": [],
            "uncovered": [],
            "pull_request": null,
            "deployed": null
        })
    );
    assert_eq!(head(&env, &repo), after_first);
}

#[test]
fn json_report_names_the_commit() {
    let env = Env::new();
    let repo = env.checkout();
    let out = env
        .mlops(&repo)
        .args(words(
            "autoscale enable --env test jukebox --no-push --output json --yes",
        ))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        report["changed"],
        serde_json::json!([{"env": "test", "model": "jukebox", "path": "model-deployments/test/jukebox/config.yaml"}])
    );
    assert_eq!(report["commit"].as_str().unwrap(), head(&env, &repo));
    assert_eq!(report["pushed"], false);
}

#[test]
fn disable_rewrites_other_spellings_and_keeps_the_comment() {
    let env = Env::new();
    let (_, repo) = env.gitops(|seed| {
        fs::write(
            config(seed, "test", "jukebox"),
            "---\nname: jukebox\nautoscaling: yes  # scale on requests\nkeda: false\n",
        )
        .unwrap();
    });
    env.mlops(&repo)
        .args(words(
            "autoscale disable --env test jukebox --no-push --yes",
        ))
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(config(&repo, "test", "jukebox")).unwrap(),
        "---\nname: jukebox\nautoscaling: false  # scale on requests\nkeda: false\n"
    );
    assert_eq!(
        env.subjects(&repo, "-1")[0],
        "Disable autoscaling for jukebox in test"
    );
}

#[test]
fn disable_without_the_key_changes_nothing() {
    let env = Env::new();
    let repo = env.checkout();
    let before = head(&env, &repo);
    env.mlops(&repo)
        .args(words(
            "autoscale disable --env test jukebox --no-push --yes",
        ))
        .assert()
        .success()
        .stderr(predicate::str::contains("unchanged"));
    assert_eq!(head(&env, &repo), before);
}

#[test]
fn a_file_the_engine_refuses_is_exit_3_with_file_and_line_and_nothing_written() {
    let env = Env::new();
    let text = "name: jukebox\nautoscaling: false\nversion: v1\nautoscaling: false\n";
    let (_, repo) = env.gitops(|seed| fs::write(config(seed, "test", "jukebox"), text).unwrap());
    let before = head(&env, &repo);
    env.mlops(&repo)
        .args(words("autoscale enable --env test jukebox --no-push --yes"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "model-deployments/test/jukebox/config.yaml:",
        ))
        .stderr(predicate::str::contains("Hint:"));
    assert_eq!(
        fs::read_to_string(config(&repo, "test", "jukebox")).unwrap(),
        text
    );
    assert_eq!(head(&env, &repo), before);
    assert_eq!(env.status(&repo), "");
}

#[test]
fn invalid_yaml_in_one_target_writes_none_of_them() {
    let env = Env::new();
    let (_, repo) =
        env.gitops(|seed| fs::write(config(seed, "prod", "jukebox"), "name: [jukebox\n").unwrap());
    let before = head(&env, &repo);
    env.mlops(&repo)
        .args(words(
            "autoscale enable --env test --env prod jukebox --no-push --yes",
        ))
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "model-deployments/prod/jukebox/config.yaml",
        ));
    assert_eq!(head(&env, &repo), before);
    assert_eq!(env.status(&repo), "", "test/jukebox was not written either");
}

#[test]
fn unknown_names_are_exit_3_with_what_exists_and_a_suggestion() {
    let env = Env::new();
    let repo = env.checkout();
    env.mlops(&repo)
        .args(words("autoscale enable --env test jukbox --no-push --yes"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("did you mean \"jukebox\"?"))
        .stderr(predicate::str::contains("jukebox, jukebox-ui"));
    env.mlops(&repo)
        .args(words("autoscale enable --env tset jukebox --no-push --yes"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("did you mean \"test\"?"))
        .stderr(predicate::str::contains("prod, test"));
}

#[test]
fn names_that_are_not_kubernetes_names_are_rejected_before_any_path_is_built() {
    let env = Env::new();
    let repo = env.checkout();
    for (env_name, model) in [
        ("..", "jukebox"),
        ("test", "has space"),
        ("test", "Jukebox_Old"),
        ("test", ""),
    ] {
        env.mlops(&repo)
            .args([
                "autoscale",
                "enable",
                "--env",
                env_name,
                model,
                "--no-push",
                "--yes",
            ])
            .assert()
            .code(3)
            .stderr(predicate::str::contains("is not a valid name"));
    }
    // A slash makes it ENV/MODEL, which can't be mixed with --env.
    env.mlops(&repo)
        .args(words(
            "autoscale enable --env test ../prod/jukebox --no-push --yes",
        ))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("can't be mixed with --env"));
    env.mlops(&repo)
        .args(words("autoscale enable ../jukebox --no-push --yes"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "environment name \"..\" is not a valid name",
        ));
    assert_eq!(
        env.subjects(&repo, "HEAD").len(),
        1,
        "nothing was committed"
    );
}

#[test]
fn missing_env_or_model_without_a_terminal_is_a_usage_error() {
    let env = Env::new();
    let repo = env.checkout();
    env.mlops(&repo)
        .args(["autoscale", "enable", "jukebox"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--env"));
    env.mlops(&repo)
        .args(words("autoscale enable --env test --yes"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("MODEL"));
}

#[test]
fn a_target_with_local_changes_is_refused_and_kept() {
    let env = Env::new();
    let repo = env.checkout();
    let file = config(&repo, "test", "jukebox");
    fs::write(&file, "---\n# my work in progress\n").unwrap();
    let before = head(&env, &repo);
    env.mlops(&repo)
        .args(words("autoscale enable --env test jukebox --no-push --yes"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "uncommitted changes in model-deployments/test/jukebox/config.yaml",
        ));
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        "---\n# my work in progress\n"
    );
    assert_eq!(head(&env, &repo), before);
}

#[test]
fn unrelated_dirty_and_untracked_files_stay_as_they_are_and_out_of_the_commit() {
    let env = Env::new();
    let repo = env.checkout();
    fs::write(config(&repo, "prod", "jukebox"), "---\n# editing prod\n").unwrap();
    fs::write(repo.join("notes.txt"), "scratch\n").unwrap();
    env.mlops(&repo)
        .args(words("autoscale enable --env test jukebox --no-push --yes"))
        .assert()
        .success();
    assert_eq!(
        env.changed_paths(&repo, "HEAD"),
        ["model-deployments/test/jukebox/config.yaml"]
    );
    assert_eq!(
        fs::read_to_string(config(&repo, "prod", "jukebox")).unwrap(),
        "---\n# editing prod\n"
    );
    assert_eq!(
        fs::read_to_string(repo.join("notes.txt")).unwrap(),
        "scratch\n"
    );
    assert_eq!(
        env.status(&repo),
        " M model-deployments/prod/jukebox/config.yaml\n?? notes.txt\n"
    );
}

#[test]
fn crlf_line_endings_are_kept_and_permissions_follow_git() {
    let env = Env::new();
    let text = "---\r\nname: jukebox\r\nautoscaling: False # was off\r\n";
    let (_, repo) = env.gitops(|seed| fs::write(config(seed, "test", "jukebox"), text).unwrap());
    let file = config(&repo, "test", "jukebox");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    // Under umask 022, as git checks a file out: 0666 less the umask,
    // whatever the file had (git pull would do the same).
    let mut cmd = std::process::Command::new("sh");
    cmd.args([
        "-c",
        "umask 022 && exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_mlops"),
    ])
    .args(words("autoscale enable --env test jukebox --no-push --yes"))
    .current_dir(&repo);
    env.apply(&mut cmd);
    assert!(cmd.status().unwrap().success());
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        "---\r\nname: jukebox\r\nautoscaling: true # was off\r\n"
    );
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o644
    );
}

#[test]
fn a_config_symlinked_out_of_the_repository_is_refused() {
    let env = Env::new();
    let repo = env.checkout();
    let outside = env.path().join("outside.yaml");
    fs::write(&outside, "---\n").unwrap();
    let file = config(&repo, "test", "jukebox");
    fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(&outside, &file).unwrap();
    env.mlops(&repo)
        .args(words("autoscale enable --env test jukebox --no-push --yes"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("config.yaml is a symlink"));
    assert_eq!(fs::read_to_string(&outside).unwrap(), "---\n");
}

#[test]
fn the_repository_is_found_from_a_subfolder_from_dash_c_and_from_mlops_repo() {
    let env = Env::new();
    let repo = env.checkout();
    let sub = repo.join("model-deployments/test");
    env.mlops(&sub)
        .args(words("autoscale enable --env test jukebox --dry-run"))
        .assert()
        .success();
    env.mlops(env.path())
        .args([
            "-C",
            repo.to_str().unwrap(),
            "autoscale",
            "enable",
            "--env",
            "test",
            "jukebox",
            "--dry-run",
        ])
        .assert()
        .success();
    env.mlops(env.path())
        .args(words("autoscale enable --env test jukebox --dry-run"))
        .env("MLOPS_REPO", &repo)
        .assert()
        .success();
    env.mlops(env.path())
        .args(words("autoscale enable --env test jukebox --dry-run"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not inside a git checkout"));
}

#[test]
fn colour_follows_the_option_and_no_color() {
    let env = Env::new();
    let repo = env.checkout();
    let run = |color: &str, no_color: Option<&str>| {
        let mut cmd = env.mlops(&repo);
        cmd.args([
            "autoscale",
            "enable",
            "--env",
            "test",
            "jukebox",
            "--dry-run",
            "--color",
            color,
        ]);
        match no_color {
            Some(v) => cmd.env("NO_COLOR", v),
            None => cmd.env_remove("NO_COLOR"),
        };
        String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap()
    };
    assert!(run("always", None).contains("\u{1b}["), "always colours");
    assert!(!run("never", None).contains("\u{1b}["), "never does not");
    assert!(
        !run("auto", None).contains("\u{1b}["),
        "auto does not colour a pipe"
    );
}
