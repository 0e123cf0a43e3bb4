//! What git's credential helpers are told, side by side with git: after
//! a push that credentials typed at the prompt let through, the helpers
//! are told they worked (`store` keeps them, so the next run asks
//! nothing); after a helper's answer is refused, they are told so (`store`
//! erases it instead of offering it on every run). git does both.

use std::fs;
use std::path::Path;

use crate::common::{all_output, words, Env};
use crate::servers::served_gitops;
use crate::term::Term;

const TOKEN: &str = "h3lper-t0ken";

/// `credential.helper=store` for the sandbox user; `~/.git-credentials`
/// holds `lines`.
fn store(env: &Env, lines: &str) {
    env.git(
        env.path(),
        &["config", "--global", "credential.helper", "store"],
    );
    fs::write(env.home().join(".git-credentials"), lines).unwrap();
}

fn stored(env: &Env) -> String {
    fs::read_to_string(env.home().join(".git-credentials")).unwrap_or_default()
}

#[test]
fn credentials_typed_at_the_prompt_are_kept_by_the_helper_as_git_keeps_them() {
    let env = Env::new();
    let Some((_remote, work, https)) = served_gitops(&env, true, TOKEN) else {
        return;
    };
    let Some(term) = Term::start(&env, &work) else {
        return;
    };
    let ca = https.ca.clone().unwrap();
    store(&env, "");
    // Both ask git's "Password for 'https://bot@…'".
    let answer = |term: &Term, password_prompt: &str| {
        term.expect("Username for");
        term.type_text("bot");
        term.press("Enter");
        term.expect(password_prompt);
        term.type_text(TOKEN);
        term.press("Enter");
    };

    term.run(&format!(
        "GIT_TERMINAL_PROMPT=1 SSL_CERT_FILE={} mlops autoscale enable --env test jukebox; echo rc=$?",
        ca.display()
    ));
    answer(&term, "Password for 'https://bot@");
    term.expect("Commit and push these changes?");
    term.type_text("y");
    term.expect("rc=0");
    let ours = stored(&env);
    assert!(ours.contains(&format!("bot:{TOKEN}@127.0.0.1")), "{ours}");
    // The next run asks nothing: no terminal, and it pushes.
    env.mlops(&work)
        .env("SSL_CERT_FILE", &ca)
        .args(words("autoscale disable --env test jukebox --yes"))
        .assert()
        .success();

    // git, the referee, from an empty store: the same line.
    store(&env, "");
    term.clear();
    fs::write(work.join("notes.md"), "notes\n").unwrap();
    env.git(&work, &["add", "notes.md"]);
    env.git(&work, &["commit", "-q", "-m", "Notes"]);
    term.run(&format!(
        "GIT_TERMINAL_PROMPT=1 GIT_SSL_CAINFO={} git push -q origin main; echo rc=$?",
        ca.display()
    ));
    answer(&term, "Password for");
    term.expect("rc=0");
    assert_eq!(stored(&env), ours);
}

#[test]
fn a_stored_password_that_is_refused_is_erased_as_git_erases_it() {
    let env = Env::new();
    let Some((remote, work, https)) = served_gitops(&env, true, TOKEN) else {
        return;
    };
    let ca = https.ca.clone().unwrap();
    let wrong = format!("https://bot:not-it@127.0.0.1:{}\n", https.port);

    // git: the push fails and the store forgets the password.
    store(&env, &wrong);
    let theirs = env.clone_of(&remote, "theirs");
    env.git(
        &theirs,
        &["remote", "set-url", "origin", &https.url("remote.git")],
    );
    let out = std::process::Command::new("git")
        .args(["push", "-q", "origin", "main"])
        .current_dir(&theirs)
        .env("HOME", env.home())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_SSL_CAINFO", &ca)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let after_git = stored(&env);
    assert!(!after_git.contains("not-it"), "{after_git}");

    // mlops: the same.
    store(&env, &wrong);
    let out = env
        .mlops(&work)
        .env("SSL_CERT_FILE", &ca)
        .args(words("autoscale enable --env test jukebox --yes"))
        .output()
        .unwrap();
    let text = all_output(&out);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(!text.contains("not-it"), "{text}");
    assert_eq!(stored(&env), after_git);
    assert!(Path::new(&env.home().join(".git-credentials")).exists());
}
