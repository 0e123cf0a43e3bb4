//! Prompts driven by keystrokes in a real terminal (confirmation, the
//! environment and model pickers), checked in the repository afterwards;
//! and the same calls without a terminal, which must not ask.

use std::fs;

use crate::common::{config, leftovers, words, Env};
use crate::term::Term;

#[test]
fn confirming_with_y_commits_and_n_leaves_everything_as_it_was() {
    let env = Env::new();
    let work = env.checkout();
    let Some(term) = Term::start(&env, &work) else {
        return;
    };
    let before = fs::read(config(&work, "test", "jukebox")).unwrap();

    term.run("mlops autoscale enable --env test jukebox --no-push; echo rc=$?");
    term.expect("Commit these changes?");
    term.type_text("n");
    term.expect("rc=1");
    assert!(term.screen().contains("Declined"));
    assert_eq!(fs::read(config(&work, "test", "jukebox")).unwrap(), before);
    assert_eq!(env.subjects(&work, "HEAD").len(), 1);

    term.clear();
    term.run("mlops autoscale enable --env test jukebox --no-push; echo rc=$?");
    term.expect("Commit these changes?");
    term.type_text("y");
    term.expect("rc=0");
    let after = String::from_utf8(fs::read(config(&work, "test", "jukebox")).unwrap()).unwrap();
    assert!(after.contains("autoscaling: true"), "{after}");
    assert_eq!(
        env.subjects(&work, "HEAD")[0],
        "Enable autoscaling for jukebox in test"
    );
    assert_eq!(
        env.changed_paths(&work, "HEAD"),
        ["model-deployments/test/jukebox/config.yaml"]
    );
    assert_eq!(env.status(&work), "");
}

/// mlops loads the index once, early, into the copy its checkout update
/// writes: what someone stages while the question waits must still be
/// staged afterwards (the copy is compared with the index under the lock
/// and loaded again), and must not be committed.
#[test]
fn a_file_staged_while_the_question_waits_stays_staged_and_uncommitted() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let Some(term) = Term::start(&env, &work) else {
        return;
    };
    term.run("mlops autoscale enable --env test jukebox; echo rc=$?");
    term.expect("Commit and push these changes?");
    fs::write(work.join("notes.md"), "release notes\n").unwrap();
    let minio = "toolings/minio/config.yaml";
    fs::write(work.join(minio), "edited while mlops asked\n").unwrap();
    env.git(&work, &["add", "notes.md", minio]);
    term.type_text("y");
    term.expect("rc=0");

    assert_eq!(
        env.changed_paths(&remote, "main"),
        ["model-deployments/test/jukebox/config.yaml"]
    );
    assert_eq!(
        env.status(&work),
        "A  notes.md\nM  toolings/minio/config.yaml\n"
    );
    let staged = env.git(&work, &["show", &format!(":{minio}")]);
    assert_eq!(staged, "edited while mlops asked\n");
    assert_eq!(
        env.git(&work, &["rev-parse", "HEAD"]),
        env.git(&remote, &["rev-parse", "main"])
    );
    // The index copy's folder is gone with the run.
    assert_eq!(leftovers(&env.tmp()), Vec::<String>::new());
}

#[test]
fn picking_the_environment_and_models_by_keystrokes() {
    let env = Env::new();
    let (_, work) = env.gitops(|seed| {
        fs::write(
            config(seed, "test", "jukebox"),
            "name: jukebox\nautoscaling: true\n",
        )
        .unwrap();
    });
    let Some(term) = Term::start(&env, &work) else {
        return;
    };
    term.run("mlops autoscale enable --no-push; echo rc=$?");
    term.expect("Environment");
    term.type_text("tes");
    // Enter only once the filter shows what was typed and test is the
    // only choice: keys typed before the prompt reads them would be lost.
    term.wait_for(|s| s.contains("filter) › tes") && s.contains("❯ test") && !s.contains("prod"));
    term.press("Enter");
    // jukebox is already on, so jukebox-ui (the one to change) comes first.
    term.pick_first_model(
        "Models for `mlops autoscale enable`",
        "jukebox-ui  autoscaler off",
        "jukebox     autoscaler hpa",
        "Picked: mlops autoscale enable test/jukebox-ui",
    );
    assert_eq!(
        env.changed_paths(&work, "HEAD"),
        ["model-deployments/test/jukebox-ui/config.yaml"]
    );
}

#[test]
fn escape_in_a_picker_changes_nothing() {
    let env = Env::new();
    let work = env.checkout();
    let Some(term) = Term::start(&env, &work) else {
        return;
    };
    term.run("mlops autoscale disable --env prod --no-push; echo rc=$?");
    term.expect("Models for `mlops autoscale disable`");
    term.press("Escape");
    term.expect("rc=1");
    assert!(term.screen().contains("Nothing picked"));
    assert_eq!(env.subjects(&work, "HEAD").len(), 1);
}

#[test]
fn without_a_terminal_what_is_missing_is_a_usage_error() {
    let env = Env::new();
    let work = env.checkout();
    let out = env
        .mlops(&work)
        .args(["autoscale", "enable"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing --env <ENV> and <MODEL>..."), "{err}");
    let out = env
        .mlops(&work)
        .args(words("autoscale disable --env test --output json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["exit_code"], 2);
    assert_eq!(doc["error"], "missing <MODEL>...");
}
