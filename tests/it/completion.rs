//! Tab completion: in a real bash with the committed script sourced, and
//! the callback itself (order of candidates, silence on errors).

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::common::{config, Env};
use crate::term::Term;

/// The checkout with test/jukebox-ui switched on (committed), so the two
/// models of test differ in state.
fn repo(env: &Env) -> std::path::PathBuf {
    env.gitops(|seed| {
        fs::write(
            config(seed, "test", "jukebox-ui"),
            "name: jukebox-ui\nautoscaling: true\n",
        )
        .unwrap();
    })
    .1
}

/// Asks the binary for candidates the way the bash script does, for the
/// last word of `line`.
fn callback(env: &Env, dir: &Path, line: &[&str]) -> Output {
    let mut cmd = env.mlops(dir);
    cmd.env("COMPLETE", "bash")
        .env("_CLAP_IFS", "\n")
        .env("_CLAP_COMPLETE_INDEX", (line.len() - 1).to_string())
        .arg("--")
        .args(line);
    cmd.output().unwrap()
}

fn candidates(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_env_and_model_names_from_the_repository() {
    let env = Env::new();
    let work = repo(&env);
    let Some(term) = Term::start(&env, &work) else {
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/mlops.bash");
    term.run(&format!("source {}", script.display()));
    term.clear();

    term.type_text("mlops autoscale enable --env t");
    term.press("Tab");
    term.wait_for(|s| s.ends_with("mlops autoscale enable --env test"));

    // bash added the space after the only candidate.
    term.type_text("ju");
    term.press("Tab");
    term.wait_for(|s| s.ends_with("--env test jukebox"));
    term.press("Tab");
    term.press("Tab");
    let screen = term.expect("jukebox-ui");
    assert!(screen.contains("jukebox "), "{screen}");
    assert!(
        !screen.contains("Traceback") && !screen.contains("error"),
        "{screen}"
    );
}

#[test]
fn bash_completion_follows_dash_c_and_the_sourced_output() {
    let env = Env::new();
    let work = repo(&env);
    let Some(term) = Term::start(&env, env.path()) else {
        return;
    };
    term.run("source <(mlops completions bash)");
    term.clear();
    term.type_text(&format!(
        "mlops -C {} autoscale disable --env pr",
        work.display()
    ));
    term.press("Tab");
    term.wait_for(|s| s.ends_with("--env prod"));
    // Outside any repository: no candidates and not a word on the screen.
    term.press("C-u");
    term.type_text("mlops autoscale enable --env ");
    term.press("Tab");
    term.press("Tab");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(term.last_line(), "$ mlops autoscale enable --env");
}

#[test]
fn enable_offers_models_where_autoscaling_is_off_first_and_disable_the_others() {
    let env = Env::new();
    let work = repo(&env);
    let enable = callback(
        &env,
        &work,
        &["mlops", "autoscale", "enable", "--env", "test", "ju"],
    );
    assert_eq!(candidates(&enable), ["jukebox", "jukebox-ui"]);
    let disable = callback(
        &env,
        &work,
        &["mlops", "autoscale", "disable", "--env", "test", "ju"],
    );
    assert_eq!(candidates(&disable), ["jukebox-ui", "jukebox"]);
    // A model already on the line is not offered again.
    let more = callback(
        &env,
        &work,
        &[
            "mlops",
            "autoscale",
            "enable",
            "-e",
            "test",
            "jukebox",
            "ju",
        ],
    );
    assert_eq!(candidates(&more), ["jukebox-ui"]);
    // Environments, from MLOPS_REPO.
    let envs = env
        .mlops(env.path())
        .env("MLOPS_REPO", &work)
        .env("COMPLETE", "bash")
        .env("_CLAP_IFS", "\n")
        .env("_CLAP_COMPLETE_INDEX", "4")
        .args(["--", "mlops", "autoscale", "status", "--env", ""])
        .output()
        .unwrap();
    assert_eq!(candidates(&envs), ["prod", "test"]);
}

#[test]
fn completion_is_silent_on_errors() {
    let env = Env::new();
    let work = repo(&env);
    fs::write(
        config(&work, "test", "jukebox"),
        "autoscaling: [unclosed\n\t- x: {",
    )
    .unwrap();
    let line = ["mlops", "autoscale", "enable", "--env", "test", "ju"];
    let broken = callback(&env, &work, &line);
    assert!(
        broken.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );
    assert_eq!(candidates(&broken), ["jukebox", "jukebox-ui"]);
    for args in [
        vec!["-C", "/nonexistent", "autoscale", "enable", "--env", ""],
        vec![
            "--clone",
            "https://example.invalid/x.git",
            "autoscale",
            "enable",
            "--env",
            "",
        ],
        vec!["autoscale", "enable", "--env", "\u{7f}\u{1}"],
    ] {
        let mut line = vec!["mlops"];
        line.extend(args);
        let out = callback(&env, &work, &line);
        assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{line:?}");
    }
    let unknown_shell = env
        .mlops(&work)
        .env("COMPLETE", "tcsh")
        .args(["--", "mlops", ""])
        .output()
        .unwrap();
    assert!(unknown_shell.stdout.is_empty() && unknown_shell.stderr.is_empty());
    assert!(!unknown_shell.status.success());
}

/// Without `--env`, `te<Tab>` offers `test/`, then the models of test as
/// `test/MODEL`, ordered by the chart's rendering for the command.
#[test]
fn env_slash_model_arguments_complete_in_two_steps() {
    let env = Env::new();
    let work = repo(&env);
    let first = callback(&env, &work, &["mlops", "autoscale", "enable", "te"]);
    assert_eq!(candidates(&first), ["test/"]);
    let second = callback(&env, &work, &["mlops", "autoscale", "enable", "test/"]);
    assert_eq!(candidates(&second), ["test/jukebox", "test/jukebox-ui"]);
    let disable = callback(&env, &work, &["mlops", "autoscale", "disable", "test/ju"]);
    assert_eq!(candidates(&disable), ["test/jukebox-ui", "test/jukebox"]);
    let typed = callback(
        &env,
        &work,
        &["mlops", "autoscale", "disable", "test/jukebox-ui", "test/"],
    );
    assert_eq!(candidates(&typed), ["test/jukebox"]);
}

/// `set` completes the keys of the files named on the line, as `KEY=`.
#[test]
fn set_completes_the_keys_of_the_named_models() {
    let env = Env::new();
    let work = repo(&env);
    fs::write(
        config(&work, "test", "jukebox"),
        "name: jukebox\nversion: v1\nvalues_file: x\n",
    )
    .unwrap();
    let keys = callback(
        &env,
        &work,
        &["mlops", "set", "--env", "test", "jukebox", "v"],
    );
    assert_eq!(candidates(&keys), ["version=", "values_file="]);
    let by_path = callback(&env, &work, &["mlops", "set", "test/jukebox", "ver"]);
    assert_eq!(candidates(&by_path), ["version="]);
    // A value is never completed.
    let value = callback(&env, &work, &["mlops", "set", "test/jukebox", "version=v"]);
    assert!(candidates(&value).is_empty());
}
