//! Git configuration read as git reads it (issue 20): the identity of a
//! deploy commit and the push settings, from `GIT_CONFIG_GLOBAL`,
//! `GIT_CONFIG_SYSTEM`, `GIT_CONFIG_COUNT`/`KEY_n`/`VALUE_n`, `git -c`
//! (`GIT_CONFIG_PARAMETERS`), includes and `includeIf` (`hasconfig:`,
//! `gitdir:`, `onbranch:`). The referee is `git commit` in the same
//! environment, on a twin checkout.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{all_output, config, Env};

/// Makes the sandbox's `~/.gitconfig` name nobody (only
/// `init.defaultBranch`), so the identity can only come from where each
/// test puts it.
fn forget_identity(env: &Env) {
    fs::write(
        env.home().join(".gitconfig"),
        "[init]\n\tdefaultBranch = main\n",
    )
    .unwrap();
}

type Vars = Vec<(String, String)>;

/// (mlops's deploy commit's `author | committer`, what `git commit` records
/// in the same environment). `setup` may change `home/.gitconfig` and
/// returns the variables both runs get.
fn identities(setup: &dyn Fn(&Env, &Path) -> Vars) -> (String, String) {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let twin = env.clone_of(&remote, "twin");
    forget_identity(&env);
    let vars = setup(&env, &work);
    let format = "--format=%an <%ae> | %cn <%ce>";
    let out = env
        .mlops(&work)
        .args(["set", "--env", "test", "jukebox", "version=v3", "--yes"])
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let mlops = env.git(&remote, &["log", "-1", format, "main"]);
    fs::write(config(&twin, "test", "jukebox"), "version: v3\n").unwrap();
    let mut git = Command::new("git");
    git.args(["commit", "-qam", "by hand"]).current_dir(&twin);
    env.apply(&mut git);
    git.envs(vars.iter().map(|(k, v)| (k, v)));
    let committed = git.output().unwrap();
    assert!(
        committed.status.success(),
        "{}",
        String::from_utf8_lossy(&committed.stderr)
    );
    let by_git = env.git(&twin, &["log", "-1", format]);
    (mlops.trim().to_string(), by_git.trim().to_string())
}

fn vars(pairs: &[(&str, &str)]) -> Vars {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn identity_file(env: &Env, name: &str, who: &str) -> String {
    let path = env.path().join(name);
    fs::write(
        &path,
        format!(
            "[user]\n\tname = {who}\n\temail = {}@example.com\n",
            who.to_lowercase().replace(' ', ".")
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

fn assert_same(identities: (String, String), who: &str) {
    let (mlops, git) = identities;
    assert_eq!(mlops, git);
    assert!(mlops.starts_with(who), "{mlops}");
}

#[test]
fn gitconfig_identity_only_in_a_git_config_global_file() {
    let found = identities(&|env, _| {
        vars(&[(
            "GIT_CONFIG_GLOBAL",
            &identity_file(env, "global.ini", "Global File"),
        )])
    });
    assert_same(found, "Global File");
}

#[test]
fn gitconfig_identity_only_in_git_config_system() {
    let found = identities(&|env, _| {
        let file = identity_file(env, "system.ini", "System File");
        let mut vars = vars(&[("GIT_CONFIG_SYSTEM", &file)]);
        // Env sets GIT_CONFIG_NOSYSTEM; git reads the system file when it
        // is false.
        vars.push(("GIT_CONFIG_NOSYSTEM".into(), "0".into()));
        vars
    });
    assert_same(found, "System File");
}

#[test]
fn gitconfig_identity_only_in_git_config_count_variables() {
    let found = identities(&|_, _| {
        vars(&[
            ("GIT_CONFIG_COUNT", "2"),
            ("GIT_CONFIG_KEY_0", "user.name"),
            ("GIT_CONFIG_VALUE_0", "Count Vars"),
            ("GIT_CONFIG_KEY_1", "user.email"),
            ("GIT_CONFIG_VALUE_1", "count@example.com"),
        ])
    });
    assert_same(found, "Count Vars");
}

#[test]
fn gitconfig_identity_only_in_git_dash_c_parameters() {
    let found = identities(&|_, _| {
        vars(&[(
            "GIT_CONFIG_PARAMETERS",
            "'user.name'='Dash C' 'user.email'='dash.c@example.com'",
        )])
    });
    assert_same(found, "Dash C");
}

/// `includeIf "hasconfig:remote.*.url:…"` in `~/.gitconfig`, the way a
/// work identity is kept apart from a personal one.
#[test]
fn gitconfig_identity_only_behind_include_if_hasconfig_remote_url() {
    let found = identities(&|env, _| {
        let file = identity_file(env, "work.ini", "Has Config");
        let home = env.home().join(".gitconfig");
        let pattern = format!("{}/**", env.path().display());
        fs::write(
            home,
            format!("[init]\n\tdefaultBranch = main\n[includeIf \"hasconfig:remote.*.url:{pattern}\"]\n\tpath = {file}\n"),
        )
        .unwrap();
        Vec::new()
    });
    assert_same(found, "Has Config");
}

/// The conditions in the file `GIT_CONFIG_GLOBAL` names (where a CI
/// runner keeps them).
#[test]
fn gitconfig_identity_behind_include_if_gitdir_and_onbranch() {
    let found = identities(&|env, _| {
        // The name from one condition, the email from the other.
        let gitdir = env.path().join("gitdir.ini");
        fs::write(&gitdir, "[user]\n\temail = gitdir@example.com\n").unwrap();
        let onbranch = env.path().join("onbranch.ini");
        fs::write(&onbranch, "[user]\n\tname = On Branch\n").unwrap();
        let (gitdir, onbranch) = (gitdir.display(), onbranch.display());
        let global = env.path().join("ci.gitconfig");
        fs::write(
            &global,
            format!(
                "[init]\n\tdefaultBranch = main\n[includeIf \"gitdir:{}/\"]\n\tpath = {gitdir}\n[includeIf \"onbranch:main\"]\n\tpath = {onbranch}\n[include]\n\tpath = {}\n",
                env.path().display(),
                env.path().join("missing.ini").display()
            ),
        )
        .unwrap();
        vars(&[("GIT_CONFIG_GLOBAL", global.to_str().unwrap())])
    });
    assert_same(found, "On Branch <gitdir@example.com>");
}

/// Push settings come from the same sources: `push.default=current` given
/// only in `GIT_CONFIG_COUNT` sends a branch tracking main under another
/// name to its namesake, as `git push` would; main is untouched.
#[test]
fn gitconfig_push_default_from_git_config_count() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    env.git(
        &work,
        &["checkout", "-q", "-b", "jukebox-v3", "origin/main"],
    );
    let main = env.git(&remote, &["rev-parse", "main"]);
    let out = env
        .mlops(&work)
        .args(["set", "--env", "test", "jukebox", "version=v3", "--yes"])
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "push.default")
        .env("GIT_CONFIG_VALUE_0", "current")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(env.git(&remote, &["rev-parse", "main"]), main);
    let pushed = env.git(&remote, &["log", "-1", "--format=%s", "jukebox-v3"]);
    assert_eq!(pushed.trim(), "Set version=v3 for jukebox in test");
}

/// A checkout another user owns: git's "detected dubious ownership" and
/// its `safe.directory` fix, not "not inside a git checkout"; once the
/// fix is applied, both work in it.
#[test]
fn gitconfig_a_checkout_of_another_user_names_gits_safe_directory_fix() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: giving a checkout to another uid needs root (chown)");
        return;
    }
    let env = Env::new();
    let work = env.checkout();
    let chown = Command::new("chown")
        .args(["-R", "12345"])
        .arg(&work)
        .status()
        .unwrap();
    assert!(chown.success());
    let git = env.git_output(&work, &["status"]);
    let git_text = String::from_utf8_lossy(&git.stderr).to_string();
    assert!(
        git_text.contains("detected dubious ownership"),
        "{git_text}"
    );
    let fix = git_text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("git config --global --add safe.directory"))
        .unwrap()
        .to_string();
    let inside = work.join("model-deployments/test");
    for args in [
        &["set", "--env", "test", "jukebox", "version=v3", "--yes"][..],
        &["autoscale", "status"][..],
    ] {
        let out = env.mlops(&inside).args(args).output().unwrap();
        let text = all_output(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {text}");
        assert!(text.contains("detected dubious ownership"), "{text}");
        assert!(text.contains(&fix), "{fix} in {text}");
        assert!(!text.contains("not inside"), "{text}");
    }
    // git's fix works for both.
    let words: Vec<&str> = fix.split(' ').skip(1).collect();
    env.git(&work, &words);
    assert!(env.git_output(&work, &["status"]).status.success());
    let out = env
        .mlops(&inside)
        .args(["autoscale", "status"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
}

/// libgit2's own reads see git's sources too: `core.autocrlf=true` given
/// only in `GIT_CONFIG_COUNT` makes the checkout update write CRLF, as
/// `git pull --ff-only` does in a twin clone with the same variables.
#[test]
fn gitconfig_autocrlf_from_git_config_count_reaches_the_checkout_update() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let twin = env.clone_of(&remote, "twin");
    let vars = vars(&[
        ("GIT_CONFIG_COUNT", "1"),
        ("GIT_CONFIG_KEY_0", "core.autocrlf"),
        ("GIT_CONFIG_VALUE_0", "true"),
    ]);
    let out = env
        .mlops(&work)
        .args(["set", "--env", "test", "jukebox", "version=v3", "--yes"])
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let mut pull = Command::new("git");
    pull.args(["pull", "-q", "--ff-only"]).current_dir(&twin);
    env.apply(&mut pull);
    pull.envs(vars.iter().map(|(k, v)| (k, v)));
    assert!(pull.status().unwrap().success());
    let ours = fs::read(config(&work, "test", "jukebox")).unwrap();
    let gits = fs::read(config(&twin, "test", "jukebox")).unwrap();
    assert!(gits.windows(2).any(|w| w == b"\r\n"), "git wrote LF");
    assert_eq!(
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&gits)
    );
}

/// `--clone URL` (CI): the temporary clone's remote is what
/// `hasconfig:remote.*.url:` matches, as in a `git clone` of the same URL.
#[test]
fn gitconfig_a_clone_run_takes_the_identity_behind_hasconfig() {
    let env = Env::new();
    let (remote, _) = env.gitops(|_| {});
    let twin = env.clone_of(&remote, "twin");
    forget_identity(&env);
    let file = identity_file(&env, "work.ini", "Clone Config");
    let pattern = format!("{}/**", env.path().display());
    fs::write(
        env.home().join(".gitconfig"),
        format!("[includeIf \"hasconfig:remote.*.url:{pattern}\"]\n\tpath = {file}\n"),
    )
    .unwrap();
    let out = env
        .mlops(env.path())
        .args([
            "set",
            "--env",
            "test",
            "jukebox",
            "version=v3",
            "--yes",
            "--clone",
        ])
        .arg(&remote)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let format = "--format=%an <%ae> | %cn <%ce>";
    let mlops = env.git(&remote, &["log", "-1", format, "main"]);
    fs::write(config(&twin, "test", "jukebox"), "version: v3\n").unwrap();
    env.git(&twin, &["commit", "-qam", "by hand"]);
    let git = env.git(&twin, &["log", "-1", format]);
    assert_same(
        (mlops.trim().to_string(), git.trim().to_string()),
        "Clone Config",
    );
}
