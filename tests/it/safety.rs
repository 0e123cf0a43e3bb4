//! Issue 8's promises that are not about the work tree update: no change
//! without a confirmation, `--branch NEW` leaving the checkout alone,
//! options that mean what they say, the cursor after Ctrl-C, Argo CD
//! coverage from every ApplicationSet, one rule for names, messages in the
//! user's terms. Each drives the binary the way a user would.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use predicates::prelude::*;
use pretty_assertions::assert_eq;

use crate::common::{config, row, words, Env};
use crate::term::Term;

fn rev(env: &Env, dir: &Path, rev: &str) -> String {
    env.git(dir, &["rev-parse", rev]).trim().to_string()
}

/// `echo n | mlops …` and `mlops … < /dev/null` have no terminal to ask
/// on: exit 2 before anything is fetched, written or pushed.
#[test]
fn without_a_terminal_and_without_yes_nothing_happens() {
    let env = Env::new();
    let (remote, work) = env.gitops(|seed| {
        fs::write(config(seed, "test", "jukebox"), "autoscaling: true\n").unwrap();
    });
    let before = rev(&env, &remote, "main");
    let file = fs::read(config(&work, "test", "jukebox")).unwrap();
    for stdin in ["n\n", ""] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mlops"));
        env.apply(&mut cmd);
        let mut child = cmd
            .current_dir(&work)
            .args(words("autoscale disable --env test jukebox"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("--yes"), "{stderr}");
        assert!(
            !stderr.contains("Fetching"),
            "nothing was fetched: {stderr}"
        );
    }
    env.mlops(&work)
        .args(words("autoscale disable --env test jukebox"))
        .pipe_stdin("/dev/null")
        .unwrap()
        .assert()
        .code(2);
    assert_eq!(rev(&env, &remote, "main"), before, "nothing was pushed");
    assert_eq!(fs::read(config(&work, "test", "jukebox")).unwrap(), file);
    assert_eq!(env.status(&work), "");
    // A dry run needs no confirmation.
    env.mlops(&work)
        .args(words("autoscale disable --env test jukebox --dry-run"))
        .assert()
        .success()
        .stdout(predicate::str::contains("-autoscaling: true"));
}

/// `--branch NEW` in a checkout on main: the change is composed on the
/// remote's main and pushed to NEW; the checkout's branch, index and work
/// tree do not move.
#[test]
fn a_review_branch_from_a_checkout_leaves_the_checkout_untouched() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    fs::write(work.join("notes.txt"), "staged\n").unwrap();
    env.git(&work, &["add", "notes.txt"]);
    let status = env.status(&work);
    let head = rev(&env, &work, "HEAD");
    env.mlops(&work)
        .args(words("autoscale enable prod/jukebox --branch review --yes"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Created the branch review from main",
        ));
    assert_eq!(env.git(&work, &["branch", "--show-current"]).trim(), "main");
    assert_eq!(rev(&env, &work, "HEAD"), head);
    assert_eq!(env.status(&work), status, "index and work tree untouched");
    assert!(!fs::read_to_string(config(&work, "prod", "jukebox"))
        .unwrap()
        .contains("autoscaling"));
    assert_eq!(
        env.subjects(&remote, "review"),
        [
            "Enable autoscaling for jukebox in prod",
            "Initial mlops-gitops layout"
        ]
    );
    assert_eq!(rev(&env, &remote, "review^"), rev(&env, &remote, "main"));
    // Again, now that it exists: composed on the remote's review branch.
    env.mlops(&work)
        .args(words("autoscale enable test/jukebox --branch review --yes"))
        .assert()
        .success();
    assert_eq!(env.subjects(&remote, "review").len(), 3);
    assert_eq!(env.subjects(&remote, "main").len(), 1, "main is untouched");
    // --no-push would leave the commit nowhere: refused.
    env.mlops(&work)
        .args(words(
            "autoscale disable test/jukebox --branch other --no-push --yes",
        ))
        .assert()
        .code(2);
}

/// Options that do not apply are refused instead of being ignored.
#[test]
fn options_mean_what_they_say_or_are_refused() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let url = format!("file://{}", remote.display());
    for (line, code) in [
        ("autoscale status --no-push", 2),
        ("autoscale status -m hi", 2),
        ("autoscale status --retries 3", 2),
        ("--no-push autoscale status", 2),
        ("man --dry-run", 2),
        ("--dry-run man", 2),
        ("-C . completions bash", 2),
        ("autoscale status --branch nosuch", 2),
        ("autoscale status --remote nosuch", 2),
        ("autoscale status --remote-branch --branch nosuch", 4),
        ("autoscale status --remote-branch --remote nosuch", 4),
    ] {
        let out = env.mlops(&work).args(words(line)).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    env.mlops(&work)
        .args(["autoscale", "status", "--clone", &url, "--branch", "nosuch"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("has no branch nosuch"));
    env.mlops(&work)
        .args(["autoscale", "enable", "test/jukebox", "--yes", "-m", ""])
        .assert()
        .code(2);
    assert_eq!(env.subjects(&remote, "main").len(), 1);
    // Before or after the subcommand, an option that applies works.
    env.mlops(env.path())
        .args(["-C", work.to_str().unwrap(), "autoscale", "status"])
        .assert()
        .success();
}

/// Ctrl-C at the confirmation leaves the terminal's cursor visible.
#[test]
fn ctrl_c_at_a_prompt_gives_the_cursor_back() {
    let env = Env::new();
    let work = env.checkout();
    let Some(term) = Term::start(&env, &work) else {
        return;
    };
    for (line, wait) in [
        (
            "mlops autoscale enable test/jukebox; echo rc=$?",
            "Commit and push",
        ),
        (
            "mlops autoscale enable --env test; echo rc=$?",
            "Models for",
        ),
    ] {
        term.clear();
        term.run(line);
        term.expect(wait);
        assert!(
            term.cursor_becomes(false),
            "dialoguer hides the cursor while asking"
        );
        term.press("C-c");
        term.expect("rc=");
        assert!(term.cursor_becomes(true), "the cursor is back after Ctrl-C");
    }
    assert_eq!(
        env.subjects(&work, "HEAD").len(),
        1,
        "nothing was committed"
    );
}

/// Argo CD coverage comes from every ApplicationSet in the repository,
/// wherever its file is and whichever git generator it uses, and is in
/// the JSON; one without a template name is reported as such.
#[test]
fn argo_cd_coverage_reads_every_applicationset() {
    let env = Env::new();
    let (_, work) = env.gitops(|seed| {
        fs::remove_file(seed.join("appset-test.yaml")).unwrap();
        fs::remove_file(seed.join("appset-prod.yaml")).unwrap();
        fs::create_dir_all(seed.join("argocd")).unwrap();
        fs::write(
            seed.join("argocd/appset-test.yaml"),
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: test-dirs\nspec:\n  goTemplate: true\n  generators:\n  - git:\n      repoURL: https://git.example.com/x.git\n      revision: main\n      directories:\n      - path: model-deployments/test/*\n      - path: model-deployments/test/jukebox-ui\n        exclude: true\n  template:\n    metadata:\n      name: '{{ .path.basename }}-test'\n",
        )
        .unwrap();
        fs::write(
            seed.join("argocd/prod.yaml"),
            "---\nkind: AppProject\nmetadata:\n  name: p\n---\nkind: ApplicationSet\nmetadata:\n  name: prod-nameless\nspec:\n  generators:\n  - git:\n      files:\n      - path: model-deployments/prod/**/config.yaml\n  template:\n    spec: {}\n",
        )
        .unwrap();
    });
    let out = env
        .mlops(&work)
        .args(words(
            "autoscale enable test/jukebox test/jukebox-ui prod/jukebox --dry-run --output json",
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["applications"], serde_json::json!(["jukebox-test"]));
    assert_eq!(
        doc["uncovered"],
        serde_json::json!(["model-deployments/test/jukebox-ui/config.yaml"])
    );
    assert!(
        stderr.contains("Argo CD application jukebox-test (ApplicationSet test-dirs)"),
        "{stderr}"
    );
    assert!(stderr.contains("prod-nameless"), "{stderr}");
    assert!(stderr.contains("has no metadata.name"), "{stderr}");
    assert!(!stderr.contains("Argo CD application  "), "{stderr}");
}

/// One rule for names: a dotted name works everywhere; an invalid folder
/// and a folder without config.yaml are reported with what they have.
#[test]
fn one_rule_for_names_in_every_command() {
    let env = Env::new();
    let (_, work) = env.gitops(|seed| {
        for (dir, file) in [
            ("jukebox.v2", "config.yaml"),
            ("Jukebox_Old", "config.yaml"),
            ("ymlmodel", "config.yml"),
        ] {
            let d = seed.join("model-deployments/test").join(dir);
            fs::create_dir_all(&d).unwrap();
            fs::write(d.join(file), "name: x\n").unwrap();
        }
    });
    env.mlops(&work)
        .args(words("autoscale enable test/jukebox.v2 --no-push --yes"))
        .assert()
        .success();
    assert!(fs::read_to_string(config(&work, "test", "jukebox.v2"))
        .unwrap()
        .contains("autoscaling: true"));
    env.mlops(&work)
        .args(words(
            "autoscale enable --env test ymlmodel --no-push --yes",
        ))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("it has config.yml"))
        .stderr(predicate::str::contains("there is no").not());
    env.mlops(&work)
        .args(words(
            "autoscale enable --env test Jukebox_Old --no-push --yes",
        ))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("upper-case"));
    let (code, rows) = env.status_rows(&work, "--env test");
    assert_eq!(code, 3);
    let by = |m: &str| row(&rows, "test", m).clone();
    assert_eq!(by("jukebox.v2")["autoscaler"], "hpa");
    assert!(by("Jukebox_Old")["error"]
        .as_str()
        .unwrap()
        .contains("not a valid model name"));
    assert!(by("ymlmodel")["error"]
        .as_str()
        .unwrap()
        .contains("config.yml"));
}

/// Messages speak the user's terms: no libgit2 class or code, and a path
/// that does not exist says so.
#[test]
fn messages_are_in_the_users_terms() {
    let env = Env::new();
    let work = env.checkout();
    env.mlops(env.path())
        .args(words("-C /nonexistent/repo autoscale status"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/nonexistent/repo does not exist"));
    let outputs = [
        env.mlops(&work)
            .args(words("autoscale enable test/jukebox --remote nosuch --yes"))
            .output()
            .unwrap(),
        env.mlops(&work)
            .args(words("autoscale status --remote-branch --remote nosuch"))
            .output()
            .unwrap(),
    ];
    for out in outputs {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{stderr}");
        assert!(stderr.contains("there is no remote \"nosuch\""), "{stderr}");
        assert!(!stderr.contains("class="), "{stderr}");
        assert!(!stderr.contains("code="), "{stderr}");
    }
}
