//! Hooks across a retry, in a linked worktree, and beside JSON output.

use std::fs;

use pretty_assertions::assert_eq;

use super::{code, logging, stderr, Setup, ALL, JUKEBOX_TEST, SET};
use crate::common::{all_output, config, race_main_once, words};

#[test]
fn a_retry_runs_what_git_pull_rebase_and_push_run() {
    let extra = "[ $HOOK = prepare-commit-msg ] && echo prepared >> \"$1\"";
    // Someone else's change lands on main while mlops pushes (mlops) or
    // before git pushes (git): the push is refused, the commit rebuilt
    // (`git pull --rebase`) and pushed again.
    let other_change = |s: &Setup, to: &str| {
        let third = s.env.clone_of(&s.remote, "third");
        fs::write(
            config(&third, "test", "jukebox-ui"),
            "---\nautoscaling: true\n",
        )
        .unwrap();
        s.env.git(&third, &["commit", "-qam", "Other change"]);
        s.env.git(
            &third,
            &["push", "-q", "origin", &format!("HEAD:refs/heads/{to}")],
        );
    };
    let s = Setup::new(logging(extra));
    other_change(&s, "other");
    race_main_once(&s.env, &s.remote);
    let out = s.mlops(SET);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("after 2 attempts"),
        "{}",
        stderr(&out)
    );

    let g = Setup::new(logging(extra));
    assert_eq!(code(&g.git_commit(&[])), Some(0));
    other_change(&g, "main");
    assert_eq!(
        code(&g.git_push(&[])),
        Some(1),
        "rejected: the remote moved"
    );
    g.env.git(&g.beside, &["pull", "-q", "--rebase"]);
    assert_eq!(code(&g.git_push(&[])), Some(0));

    let log = |s: &Setup, who: &str| {
        s.log(who)
            .replace(&s.remote.display().to_string(), "REMOTE")
    };
    assert_eq!(log(&s, "work"), log(&g, "beside"));
    assert_eq!(
        log(&s, "work"),
        "pre-commit \nprepare-commit-msg .git/COMMIT_EDITMSG message\ncommit-msg .git/COMMIT_EDITMSG\n\
         post-commit \npre-push origin REMOTE\nprepare-commit-msg .git/COMMIT_EDITMSG message\n\
         post-commit \npre-push origin REMOTE\n"
    );
    let message = |s: &Setup| s.env.git(&s.remote, &["log", "-1", "--format=%B", "main"]);
    assert_eq!(message(&s), message(&g));
}

#[test]
fn a_linked_worktree_runs_the_common_hooks_with_its_own_git_dir() {
    let s = Setup::new(logging(
        "echo \"$HOOK dir=$GIT_DIR index=$GIT_INDEX_FILE cwd=$PWD head=$(git log -1 --format=%s)\" >> \"$(dirname \"$0\")/../env.txt\"",
    ));
    let (wt1, wt2) = (s.env.path().join("wt1"), s.env.path().join("wt2"));
    for wt in [&wt1, &wt2] {
        let name = wt.file_name().unwrap().to_str().unwrap();
        s.env.git(
            &s.work,
            &["worktree", "add", "-q", "-b", name, wt.to_str().unwrap()],
        );
    }
    let env_file = s.work.join(".git/env.txt");
    let out = s
        .env
        .mlops(&wt1)
        .args(words("set --env test jukebox version=v9 --yes --no-push"))
        .output()
        .unwrap();
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let by_mlops = fs::read_to_string(&env_file).unwrap().replace("wt1", "WT");
    fs::remove_file(&env_file).unwrap();
    fs::write(config(&wt2, "test", "jukebox"), "---\nversion: v9\n").unwrap();
    let message = "Set version=v9 for jukebox in test";
    s.env
        .git(&wt2, &["commit", "-q", "-m", message, "--", JUKEBOX_TEST]);
    let by_git = fs::read_to_string(&env_file).unwrap().replace("wt2", "WT");
    let pid = |text: &str| {
        let re = text.find("next-index-").map(|at| {
            let end = text[at..].find(".lock").unwrap();
            text[at..at + end].to_string()
        });
        re.map_or(text.to_string(), |id| text.replace(&id, "next-index-PID"))
    };
    assert_eq!(pid(&by_mlops), pid(&by_git));
    assert!(by_mlops.contains("post-commit dir="), "{by_mlops}");
    assert!(
        by_mlops.contains(&format!("head={message}\n")),
        "post-commit runs after the commit"
    );
}

#[test]
fn what_hooks_print_goes_to_stderr_so_json_stays_clean() {
    let s = Setup::new(logging("echo \"$HOOK says hi\""));
    let out = s.mlops(&format!("{SET} --output json"));
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["pushed"], true);
    for name in ALL {
        assert!(
            stderr(&out).contains(&format!("{name} says hi")),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_hook_without_a_shebang_is_run_by_sh_as_git_runs_it() {
    let s = Setup::new(|hooks: &std::path::Path, _: &std::path::Path| {
        let path = hooks.join("pre-commit");
        fs::write(&path, "echo no shebang here >&2\nexit 1\n").unwrap();
        crate::clone::make_executable(&path);
    });
    let out = s.mlops(SET);
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    assert!(stderr(&out).contains("no shebang here"), "{}", stderr(&out));
    let git = s.git_commit(&[]);
    assert_eq!(code(&git), Some(1));
    assert!(stderr(&git).contains("no shebang here"));
}

#[test]
fn a_review_branch_pre_push_line_names_the_commit_as_git_push_sha_does() {
    let extra = "[ $HOOK = pre-push ] && cat >> \"$(dirname \"$0\")/../pushed.txt\"";
    let s = Setup::new(logging(extra));
    let out = s.mlops(&format!("{SET} --branch review"));
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    let pushed = s.rev(&s.remote, "review");
    let zero = "0".repeat(40);
    let lines = fs::read_to_string(s.work.join(".git/pushed.txt")).unwrap();
    assert_eq!(
        lines,
        format!("{pushed} {pushed} refs/heads/review {zero}\n")
    );
    assert_eq!(
        s.rev(&s.work, "HEAD"),
        s.rev(&s.remote, "main"),
        "checkout untouched"
    );
    // git, pushing a commit by its id to a new branch.
    assert_eq!(code(&s.git_commit(&[])), Some(0));
    let commit = s.rev(&s.beside, "HEAD");
    let refspec = format!("{commit}:refs/heads/review2");
    s.env.git(&s.beside, &["push", "-q", "origin", &refspec]);
    let lines = fs::read_to_string(s.beside.join(".git/pushed.txt")).unwrap();
    assert_eq!(
        lines,
        format!("{commit} {commit} refs/heads/review2 {zero}\n")
    );
}

#[test]
fn a_program_a_hook_leaves_running_is_not_waited_for_as_with_git() {
    // post-commit starts a program that keeps the hook's stdout open.
    let script = "sleep 8 &\necho $! > \"$(dirname \"$0\")/../bg.pid\"\necho started\n";
    let s = Setup::new(|hooks: &std::path::Path, _: &std::path::Path| {
        crate::common::hook(hooks.parent().unwrap(), "post-commit", script)
    });
    let alive = |dir: &std::path::Path| {
        let pid = fs::read_to_string(dir.join(".git/bg.pid")).unwrap();
        let pid = pid.trim().to_string();
        // Running, not a zombie nobody reaped yet.
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
        let running = state.is_some_and(|s| !s.starts_with('Z') && !s.starts_with('X'));
        let _ = std::process::Command::new("kill").arg(&pid).status();
        running
    };
    let out = s.mlops(SET);
    assert_eq!(code(&out), Some(0), "{}", all_output(&out));
    assert!(stderr(&out).contains("started"));
    assert!(alive(&s.work), "mlops returned while the program still ran");
    // git, its output in a file: a pipe would wait for the program.
    fs::write(config(&s.beside, "test", "jukebox"), "---\nversion: v9\n").unwrap();
    let log = fs::File::create(s.env.path().join("git.out")).unwrap();
    let mut git = std::process::Command::new("git");
    s.env.apply(&mut git);
    let status = git
        .args(["commit", "-qam", "Set version=v9 for jukebox in test"])
        .current_dir(&s.beside)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        alive(&s.beside),
        "git returned while the program still ran too"
    );
}

#[test]
fn a_pre_commit_hook_that_stages_more_is_refused_with_nothing_committed() {
    // git would commit the extra file; mlops commits only its change.
    let script = "echo extra > extra.txt\ngit add extra.txt\n";
    let s = Setup::new(|hooks: &std::path::Path, _: &std::path::Path| {
        crate::common::hook(hooks.parent().unwrap(), "pre-commit", script)
    });
    let (head, _, file, remote) = s.state();
    let out = s.mlops(SET);
    assert_eq!(code(&out), Some(1), "{}", all_output(&out));
    assert!(
        stderr(&out).contains("changed what is staged"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.state(), (head, "?? extra.txt\n".into(), file, remote));
    let git = s.git_commit(&[]);
    assert_eq!(code(&git), Some(0));
    let committed = s.env.changed_paths(&s.beside, "HEAD");
    assert_eq!(
        committed,
        ["extra.txt", JUKEBOX_TEST],
        "git commits what the hook staged"
    );
}
