//! The repository's hooks in a checkout, beside `git commit` and `git
//! push` on the same setup: which run, in what order, with what arguments,
//! stdin, index and message file; a refusal stops everything; --no-verify
//! skips the three git skips; core.hooksPath; a file that is not
//! executable is ignored with git's hint.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use pretty_assertions::assert_eq;

use crate::common::{all_output, config, hook, words, Env};

mod flow;

const JUKEBOX_TEST: &str = "model-deployments/test/jukebox/config.yaml";
const SET: &str = "set --env test jukebox version=v9 --yes";
const ALL: [&str; 5] = [
    "pre-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "pre-push",
];

/// A checkout and a second clone ("beside", where git itself commits and
/// pushes), both of `remote`, each with the hooks `install` writes into
/// its hooks folder.
struct Setup {
    env: Env,
    remote: PathBuf,
    work: PathBuf,
    beside: PathBuf,
}

impl Setup {
    fn new(install: impl Fn(&Path, &Path)) -> Setup {
        let env = Env::new();
        let (remote, work) = env.gitops(|_| {});
        let beside = env.clone_of(&remote, "beside");
        install(&work.join(".git/hooks"), &env.path().join("work.log"));
        install(&beside.join(".git/hooks"), &env.path().join("beside.log"));
        Setup {
            env,
            remote,
            work,
            beside,
        }
    }

    fn mlops(&self, args: &str) -> Output {
        self.env
            .mlops(&self.work)
            .args(words(args))
            .output()
            .unwrap()
    }

    /// What a user types for the same change: edit, commit, push.
    fn git_commit(&self, extra: &[&str]) -> Output {
        fs::write(
            config(&self.beside, "test", "jukebox"),
            "---\nversion: v9\n",
        )
        .unwrap();
        let mut args = vec![
            "commit",
            "-q",
            "-a",
            "-m",
            "Set version=v9 for jukebox in test",
        ];
        args.extend(extra);
        self.env.git_output(&self.beside, &args)
    }

    fn git_push(&self, extra: &[&str]) -> Output {
        let mut args = vec!["push", "-q", "origin", "main"];
        args.extend(extra);
        self.env.git_output(&self.beside, &args)
    }

    fn rev(&self, dir: &Path, rev: &str) -> String {
        self.env.git(dir, &["rev-parse", rev]).trim().to_string()
    }

    fn log(&self, who: &str) -> String {
        fs::read_to_string(self.env.path().join(format!("{who}.log"))).unwrap_or_default()
    }

    /// HEAD, `git status`, the file and the remote's main, to compare
    /// before and after a refused run.
    fn state(&self) -> (String, String, Vec<u8>, String) {
        (
            self.rev(&self.work, "HEAD"),
            self.env.status(&self.work),
            fs::read(config(&self.work, "test", "jukebox")).unwrap(),
            self.rev(&self.remote, "main"),
        )
    }
}

/// Every hook appends its name and arguments to LOG, then runs `extra`
/// (shell, `$HOOK` is its name).
fn logging(extra: &'static str) -> impl Fn(&Path, &Path) {
    move |hooks: &Path, log: &Path| {
        for name in ALL {
            let script = format!(
                "HOOK={name}\necho \"$HOOK $*\" >> '{}'\n{extra}\nexit 0\n",
                log.display()
            );
            hook(hooks.parent().unwrap(), name, &script);
        }
    }
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn hooks_run_in_gits_order_with_gits_arguments() {
    let s = Setup::new(logging(""));
    let out = s.mlops(SET);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let expected = "pre-commit \n\
         prepare-commit-msg .git/COMMIT_EDITMSG message\n\
         commit-msg .git/COMMIT_EDITMSG\n\
         post-commit \n\
         pre-push origin REMOTE\n";
    let remote = s.remote.display().to_string();
    assert_eq!(s.log("work").replace(&remote, "REMOTE"), expected);
    // git's own run on a fresh clone, for the same order.
    let other = Setup::new(logging(""));
    assert_eq!(code(&other.git_commit(&[])), Some(0));
    assert_eq!(code(&other.git_push(&[])), Some(0));
    let remote = other.remote.display().to_string();
    assert_eq!(other.log("beside").replace(&remote, "REMOTE"), expected);
}

#[test]
fn pre_commit_sees_exactly_the_changed_file_staged() {
    let s = Setup::new(logging(
        "[ $HOOK = pre-commit ] && { git diff --cached --name-only; git show :model-deployments/test/jukebox/config.yaml; } > \"$(dirname \"$0\")/../staged.txt\"",
    ));
    // Something the user staged is not part of mlops's commit, and the
    // hook does not see it either (as with `git commit -- FILE`).
    fs::write(s.work.join("notes.txt"), "mine\n").unwrap();
    s.env.git(&s.work, &["add", "notes.txt"]);
    let out = s.mlops(SET);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    fs::write(s.beside.join("notes.txt"), "mine\n").unwrap();
    s.env.git(&s.beside, &["add", "notes.txt"]);
    fs::write(config(&s.beside, "test", "jukebox"), "---\nversion: v9\n").unwrap();
    s.env
        .git(&s.beside, &["commit", "-q", "-m", "x", "--", JUKEBOX_TEST]);
    let seen = |dir: &Path| fs::read_to_string(dir.join(".git/staged.txt")).unwrap();
    assert_eq!(seen(&s.work), format!("{JUKEBOX_TEST}\n---\nversion: v9\n"));
    assert_eq!(seen(&s.work), seen(&s.beside));
    assert_eq!(
        s.env.status(&s.work),
        "A  notes.txt\n",
        "the index is as it was"
    );
    let leftovers: Vec<_> = fs::read_dir(s.work.join(".git"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("next-index"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// `hook` refuses (exit 1, with an escape sequence in its words): mlops
/// stops with exit 1, the words shown masked, nothing committed, written
/// or pushed; git refuses the same way.
fn refusal(name: &'static str) {
    let script = "echo \"no deploys on Friday \u{1b}[31m\" >&2\nexit 1\n";
    let s = Setup::new(|hooks: &Path, _: &Path| hook(hooks.parent().unwrap(), name, script));
    let before = s.state();
    let out = s.mlops(SET);
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    let err = stderr(&out);
    assert!(err.contains("no deploys on Friday ^[[31m"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "control characters are masked: {err}"
    );
    assert!(err.contains(&format!("the {name} hook refused")), "{err}");
    assert_eq!(s.state(), before, "nothing committed, written or pushed");
    let git = match name {
        "pre-push" => {
            assert_eq!(code(&s.git_commit(&[])), Some(0));
            s.git_push(&[])
        }
        _ => s.git_commit(&[]),
    };
    assert_eq!(code(&git), Some(1));
    assert!(stderr(&git).contains("no deploys on Friday"));
    assert_eq!(
        s.rev(&s.remote, "main"),
        before.3,
        "git did not push either"
    );
}

#[test]
fn a_refusing_pre_commit_stops_the_run() {
    refusal("pre-commit");
}

#[test]
fn a_refusing_commit_msg_stops_the_run() {
    refusal("commit-msg");
}

#[test]
fn a_refusing_pre_push_stops_the_run() {
    refusal("pre-push");
}

#[test]
fn message_hooks_edit_the_message_and_the_edit_is_kept() {
    let s = Setup::new(|hooks: &Path, _: &Path| {
        let dir = hooks.parent().unwrap();
        hook(
            dir,
            "prepare-commit-msg",
            "printf '[deploy] ' | cat - \"$1\" > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\n",
        );
        hook(
            dir,
            "commit-msg",
            "printf '\\n\\nReviewed-by: bot   \\n\\n' >> \"$1\"\n",
        );
    });
    let out = s.mlops(SET);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let body = |dir: &Path| s.env.git(dir, &["cat-file", "commit", "main"]);
    let pushed = body(&s.remote);
    let message = pushed.split_once("\n\n").unwrap().1;
    assert_eq!(
        message,
        "[deploy] Set version=v9 for jukebox in test\n\nReviewed-by: bot\n"
    );
    s.env.git(&s.beside, &["pull", "-q"]);
    s.env.git(&s.beside, &["reset", "-q", "--hard", "HEAD~"]);
    assert_eq!(code(&s.git_commit(&[])), Some(0));
    let committed = body(&s.beside);
    assert_eq!(
        message,
        committed.split_once("\n\n").unwrap().1,
        "as git commits it"
    );
}

#[test]
fn pre_push_reads_gits_lines_on_stdin() {
    let s = Setup::new(logging(
        "[ $HOOK = pre-push ] && cat >> \"$(dirname \"$0\")/../pushed.txt\"",
    ));
    let old = s.rev(&s.remote, "main");
    let out = s.mlops(SET);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let new = s.rev(&s.remote, "main");
    let lines = fs::read_to_string(s.work.join(".git/pushed.txt")).unwrap();
    assert_eq!(
        lines,
        format!("refs/heads/main {new} refs/heads/main {old}\n")
    );
    // git's line for the same push from the other clone.
    s.env.git(&s.beside, &["pull", "-q"]);
    fs::write(config(&s.beside, "test", "jukebox"), "---\nversion: v10\n").unwrap();
    s.env.git(&s.beside, &["commit", "-qam", "v10"]);
    assert_eq!(code(&s.git_push(&[])), Some(0));
    let lines = fs::read_to_string(s.beside.join(".git/pushed.txt")).unwrap();
    let newer = s.rev(&s.remote, "main");
    assert_eq!(
        lines,
        format!("refs/heads/main {newer} refs/heads/main {new}\n")
    );
}

#[test]
fn no_verify_skips_pre_commit_commit_msg_and_pre_push_as_git_does() {
    let s = Setup::new(logging(
        "case $HOOK in pre-commit|commit-msg|pre-push) exit 1;; esac",
    ));
    let out = s.mlops(&format!("{SET} --no-verify"));
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert_eq!(s.env.changed_paths(&s.remote, "main"), [JUKEBOX_TEST]);
    let other = Setup::new(logging(
        "case $HOOK in pre-commit|commit-msg|pre-push) exit 1;; esac",
    ));
    assert_eq!(code(&other.git_commit(&["--no-verify"])), Some(0));
    assert_eq!(code(&other.git_push(&["--no-verify"])), Some(0));
    let expected = "prepare-commit-msg .git/COMMIT_EDITMSG message\npost-commit \n";
    assert_eq!(s.log("work"), expected);
    assert_eq!(other.log("beside"), expected);
}

#[test]
fn a_hook_that_is_not_executable_is_ignored_with_gits_hint() {
    let s = Setup::new(|hooks: &Path, _: &Path| {
        fs::write(hooks.join("pre-commit"), "#!/bin/sh\nexit 1\n").unwrap();
    });
    let out = s.mlops(SET);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let git = s.git_commit(&[]);
    assert_eq!(code(&git), Some(0));
    let hint =
        "hint: The '.git/hooks/pre-commit' hook was ignored because it's not set as executable.\n\
                hint: You can disable this warning with `git config advice.ignoredHook false`.\n";
    assert!(stderr(&git).contains(hint), "{}", stderr(&git));
    assert!(stderr(&out).contains(hint), "{}", stderr(&out));
}

#[test]
fn core_hooks_path_relative_and_absolute_is_where_hooks_are() {
    for absolute in [false, true] {
        let s = Setup::new(logging(""));
        let dir = match absolute {
            true => s.env.path().join("team-hooks"),
            false => PathBuf::from("ci/hooks"),
        };
        for checkout in [&s.work, &s.beside] {
            let found = checkout.join(&dir);
            fs::create_dir_all(&found).unwrap();
            let refuse = found.join("pre-commit");
            fs::write(&refuse, "#!/bin/sh\necho from hooksPath >&2\nexit 1\n").unwrap();
            crate::clone::make_executable(&refuse);
            let value = dir.to_str().unwrap();
            s.env.git(checkout, &["config", "core.hooksPath", value]);
        }
        let before = s.state();
        let out = s.mlops(SET);
        assert_eq!(code(&out), Some(1), "{}", all_output(&out));
        assert!(stderr(&out).contains("from hooksPath"));
        assert_eq!(s.state(), before);
        let git = s.git_commit(&[]);
        assert_eq!(code(&git), Some(1));
        assert!(stderr(&git).contains("from hooksPath"));
        assert_eq!(s.log("work"), "", ".git/hooks is not used");
        assert_eq!(s.log("beside"), "");
    }
}

#[test]
fn a_dry_run_runs_no_hook() {
    let s = Setup::new(logging("exit 1"));
    let out = s.mlops("set --env test jukebox version=v9 --dry-run");
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert_eq!(s.log("work"), "");
    // The same run for real meets the refusing pre-commit.
    assert_eq!(code(&s.mlops(SET)), Some(1));
    assert_eq!(s.log("work"), "pre-commit \n");
}

#[test]
fn a_review_branch_runs_the_repositorys_hooks() {
    let s = Setup::new(logging("[ $HOOK = pre-commit ] && exit 1"));
    let out = s.mlops(&format!("{SET} --branch review"));
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    assert!(s
        .env
        .git(&s.remote, &["branch", "--list", "review"])
        .is_empty());
    assert_eq!(s.log("work"), "pre-commit \n");
}

#[test]
fn core_hooks_path_given_only_by_git_config_count_is_honoured_as_git_does() {
    let s = Setup::new(logging(""));
    let team = s.env.path().join("team-hooks");
    fs::create_dir_all(&team).unwrap();
    let refuse = team.join("pre-commit");
    fs::write(&refuse, "#!/bin/sh\necho from the team hooks >&2\nexit 1\n").unwrap();
    crate::clone::make_executable(&refuse);
    let vars = [
        ("GIT_CONFIG_COUNT", "1".to_string()),
        ("GIT_CONFIG_KEY_0", "core.hooksPath".to_string()),
        ("GIT_CONFIG_VALUE_0", team.display().to_string()),
    ];
    let before = s.state();
    let out = s
        .env
        .mlops(&s.work)
        .args(words(SET))
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("from the team hooks"),
        "{}",
        all_output(&out)
    );
    assert_eq!(s.state(), before);
    fs::write(config(&s.beside, "test", "jukebox"), "---\nversion: v9\n").unwrap();
    let mut git = std::process::Command::new("git");
    git.current_dir(&s.beside);
    s.env.apply(&mut git);
    let git = git
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .args(["commit", "-q", "-a", "-m", "x"])
        .output()
        .unwrap();
    assert_eq!(code(&git), Some(1));
    assert!(stderr(&git).contains("from the team hooks"));
    assert_eq!(s.log("work"), "", ".git/hooks is not used");
}
