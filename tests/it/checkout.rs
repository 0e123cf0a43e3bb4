//! The checkout after mlops moved it, with git as the referee: two
//! identical clones, a colleague's push, then `mlops autoscale enable` in
//! one clone and `git pull --ff-only` in the other. Both must end up
//! byte for byte, mode for mode the same: HEAD, `git status`, the index,
//! every file's type, permissions, link target and content, every folder.
//! Each scenario runs twice: when mlops pushes its change on top of the
//! colleague's ("push"), and when the colleague already made the same
//! change and mlops only brings the checkout along ("catch-up").
//!
//! The repositories look like real ones (scripts, links, attributes,
//! nested folders): fixtures holding only config.yaml files hid damage.

mod locks;

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pretty_assertions::assert_eq;

use crate::common::{words, Env};

const MLOPS: &str = env!("CARGO_BIN_EXE_mlops");
const ENABLE: &str = "autoscale enable --env test jukebox-ui --yes";

/// The clones of one scenario.
struct Sides {
    remote: PathBuf,
    /// Where mlops runs.
    mlops: PathBuf,
    /// Where git runs, the referee.
    git: PathBuf,
    /// Where the colleague pushes from.
    colleague: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Case {
    Push,
    CatchUp,
}

/// The fixture plus what a real repository holds around the configs.
fn realistic(seed: &Path) {
    let write = |path: &str, text: &str| {
        let file = seed.join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(file, text).unwrap();
    };
    write("scripts/lint.sh", "#!/bin/sh\nyamllint .\n");
    write("docs/old/notes.md", "# Old notes\n");
    write("docs/guides/setup.md", "# Setup\n");
    write("charts/values/common.yaml", "replicas: 1\n");
    symlink(
        "../model-deployments/test/jukebox/config.yaml",
        seed.join("scripts/current.yaml"),
    )
    .unwrap();
}

fn sides(env: &Env, seed: &dyn Fn(&Path)) -> Sides {
    let (remote, mlops) = env.gitops(|dir| {
        realistic(dir);
        seed(dir);
    });
    Sides {
        git: env.clone_of(&remote, "git-side"),
        colleague: env.clone_of(&remote, "colleague"),
        remote,
        mlops,
    }
}

/// The colleague commits whatever `change` does and pushes it.
fn colleague_pushes(env: &Env, dir: &Path, change: &dyn Fn(&Path)) {
    change(dir);
    env.git(dir, &["add", "-A"]);
    env.git(dir, &["commit", "-qm", "colleague's change"]);
    env.git(dir, &["push", "-q", "origin", "main"]);
}

/// `program args` in `dir` under `umask`, in the sandbox's environment.
fn run_in(env: &Env, dir: &Path, umask: &str, program: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(program)
        .args(args)
        .current_dir(dir);
    env.apply(&mut cmd);
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Everything a user could notice about a checkout: HEAD, `git status`,
/// the index, and for every path its type and mode (`stat -c '%A %N'`),
/// its link target or its bytes.
fn snapshot(env: &Env, dir: &Path) -> String {
    let mut out = env.git(dir, &["rev-parse", "HEAD"]);
    out += &env.git(dir, &["status", "--porcelain=v2", "--untracked-files=all"]);
    out += &env.git(dir, &["ls-files", "-s"]);
    let walk = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git");
    for entry in walk {
        let path = entry.unwrap().into_path();
        let rel = path.strip_prefix(dir).unwrap().display().to_string();
        let meta = fs::symlink_metadata(&path).unwrap();
        let what = if meta.file_type().is_symlink() {
            format!("-> {}", fs::read_link(&path).unwrap().display())
        } else if meta.is_dir() {
            "/".to_string()
        } else {
            format!("{:?}", text(&fs::read(&path).unwrap()))
        };
        out += &format!("{:o} {rel} {what}\n", meta.mode());
    }
    out
}

/// A scenario ready for `case`: `local` prepared the same local state in
/// both clones, the colleague pushed `change` (and, for a catch-up, the
/// change mlops is about to make).
fn prepare(
    case: Case,
    seed: &dyn Fn(&Path),
    local: &dyn Fn(&Env, &Path),
    change: &dyn Fn(&Path),
) -> (Env, Sides) {
    let env = Env::new();
    let s = sides(&env, seed);
    local(&env, &s.mlops);
    local(&env, &s.git);
    colleague_pushes(&env, &s.colleague, change);
    if case == Case::CatchUp {
        env.mlops(&s.colleague)
            .args(words(ENABLE))
            .assert()
            .success();
    }
    (env, s)
}

/// Runs the scenario in both cases; mlops and git then run under
/// `umask`, and the two checkouts must be identical.
fn referee(umask: &str, seed: &dyn Fn(&Path), local: &dyn Fn(&Env, &Path), change: &dyn Fn(&Path)) {
    for case in [Case::Push, Case::CatchUp] {
        let (env, s) = prepare(case, seed, local, change);
        let out = run_in(&env, &s.mlops, umask, MLOPS, &words(ENABLE));
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "{case:?}: {stderr}");
        let said = match case {
            Case::Push => "Pushed ",
            Case::CatchUp => "Brought the checkout up to the remote branch",
        };
        assert!(stderr.contains(said), "{case:?}: {stderr}");
        assert!(!stderr.contains("warning"), "{case:?}: {stderr}");
        let pulled = run_in(&env, &s.git, umask, "git", &["pull", "-q", "--ff-only"]);
        assert!(pulled.status.success(), "{}", text(&pulled.stderr));
        assert_eq!(snapshot(&env, &s.git), snapshot(&env, &s.mlops), "{case:?}");
    }
}

fn nothing(_: &Path) {}

fn no_local_work(_: &Env, _: &Path) {}

fn chmod(file: &Path, mode: u32) {
    fs::set_permissions(file, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn checkout_an_executable_script_keeps_its_mode() {
    referee("022", &nothing, &no_local_work, &|dir| {
        let deploy = dir.join("scripts/deploy.sh");
        fs::write(&deploy, "#!/bin/sh\nkubectl apply -k .\n").unwrap();
        chmod(&deploy, 0o755);
        chmod(&dir.join("scripts/lint.sh"), 0o755);
    });
}

#[test]
fn checkout_symlinks_stay_symlinks() {
    referee("022", &nothing, &no_local_work, &|dir| {
        let link = dir.join("scripts/link.yaml");
        symlink("../model-deployments/test/jukebox-ui/config.yaml", link).unwrap();
        let current = dir.join("scripts/current.yaml");
        fs::remove_file(&current).unwrap();
        symlink("../model-deployments/prod/jukebox/config.yaml", current).unwrap();
    });
}

fn new_model(dir: &Path) {
    let model = dir.join("model-deployments/test/new-model");
    fs::create_dir_all(&model).unwrap();
    fs::write(model.join("config.yaml"), "---\nname: new-model\n").unwrap();
    fs::write(dir.join("toolings/minio/config.yaml"), "---\nreplicas: 2\n").unwrap();
}

#[test]
fn checkout_new_files_and_folders_follow_the_umask_022() {
    referee("022", &nothing, &no_local_work, &new_model);
}

#[test]
fn checkout_new_files_and_folders_follow_the_umask_002() {
    referee("002", &nothing, &no_local_work, &new_model);
}

#[test]
fn checkout_a_folder_emptied_by_a_deletion_is_removed() {
    referee("022", &nothing, &no_local_work, &|dir| {
        fs::remove_file(dir.join("docs/old/notes.md")).unwrap();
    });
}

fn crlf(seed: &Path) {
    fs::write(seed.join(".gitattributes"), "*.yaml text eol=crlf\n").unwrap();
}

#[test]
fn checkout_eol_attributes_are_applied() {
    referee("022", &crlf, &no_local_work, &|dir| {
        fs::write(dir.join("charts/values/common.yaml"), "replicas: 3\n").unwrap();
        fs::write(dir.join("charts/values/extra.yaml"), "a: 1\nb: 2\n").unwrap();
    });
}

/// A staged change, an unstaged one and an untracked file, none of them
/// in the way.
fn local_work(env: &Env, dir: &Path) {
    fs::write(dir.join("appset-test.yaml"), "# staged experiment\n").unwrap();
    env.git(dir, &["add", "appset-test.yaml"]);
    fs::write(dir.join("docs/guides/setup.md"), "# Setup (draft)\n").unwrap();
    fs::write(dir.join("scratch.txt"), "untracked\n").unwrap();
}

#[test]
fn checkout_keeps_staged_unstaged_and_untracked_work() {
    referee("022", &nothing, &local_work, &new_model);
}

#[test]
fn checkout_a_local_change_in_the_way_is_refused_before_pushing() {
    let edit = |_: &Env, dir: &Path| {
        fs::write(dir.join("scripts/lint.sh"), "#!/bin/sh\n# my local edit\n").unwrap();
    };
    let change = |dir: &Path| {
        fs::write(dir.join("scripts/lint.sh"), "#!/bin/sh\nyamllint -s .\n").unwrap();
    };
    for case in [Case::Push, Case::CatchUp] {
        let (env, s) = prepare(case, &nothing, &edit, &change);
        let tip = env.git(&s.remote, &["rev-parse", "main"]);
        let before = snapshot(&env, &s.mlops);
        let out = env.mlops(&s.mlops).args(words(ENABLE)).output().unwrap();
        let stderr = text(&out.stderr);
        assert!(stderr.contains("scripts/lint.sh"), "{case:?}: {stderr}");
        match case {
            Case::Push => {
                assert_eq!(out.status.code(), Some(1), "{stderr}");
                assert!(stderr.contains("uncommitted changes"), "{stderr}");
            }
            Case::CatchUp => {
                assert_eq!(out.status.code(), Some(0), "{stderr}");
                assert!(stderr.contains("left as it is"), "{stderr}");
            }
        }
        assert_eq!(env.git(&s.remote, &["rev-parse", "main"]), tip, "{case:?}");
        assert_eq!(snapshot(&env, &s.mlops), before, "{case:?}");
        let pulled = env.git_output(&s.git, &["pull", "-q", "--ff-only"]);
        assert!(!pulled.status.success(), "git refuses too");
    }
}

/// `--no-push`: the same checkout update after a local commit; the
/// referee fast-forwards to mlops's commit with git.
#[test]
fn checkout_no_push_commits_like_git() {
    let env = Env::new();
    let s = sides(&env, &crlf);
    chmod(
        &s.mlops
            .join("model-deployments/test/jukebox-ui/config.yaml"),
        0o600,
    );
    chmod(
        &s.git.join("model-deployments/test/jukebox-ui/config.yaml"),
        0o600,
    );
    let out = run_in(
        &env,
        &s.mlops,
        "002",
        MLOPS,
        &words("autoscale enable --env test jukebox-ui --no-push --yes"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let from = s.mlops.to_str().unwrap();
    env.git(&s.git, &["fetch", "-q", from, "main"]);
    let merged = run_in(
        &env,
        &s.git,
        "002",
        "git",
        &["merge", "-q", "--ff-only", "FETCH_HEAD"],
    );
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    assert_eq!(snapshot(&env, &s.git), snapshot(&env, &s.mlops));
}

/// In a checkout used for a while (its files older than its index), the
/// update changes the file's index entry where it lies instead of having
/// libgit2 rewrite the index (src/git/worktree/inplace.rs), and git finds
/// the checkout as after its own update: clean by stat data alone,
/// nothing staged, cached trees that agree with HEAD, fsck clean.
#[test]
fn checkout_the_index_entry_is_changed_in_place_as_git_keeps_it() {
    let env = Env::new();
    let (remote, work) = env.gitops(|_| {});
    let aged = Command::new("find")
        .arg(&work)
        .args([
            "-path",
            "*/.git",
            "-prune",
            "-o",
            "-exec",
            "touch",
            "-h",
            "-d",
            "1 hour ago",
            "{}",
            "+",
        ])
        .status()
        .unwrap();
    assert!(aged.success());
    env.git(&work, &["update-index", "-q", "--refresh"]);
    env.git(&work, &["write-tree"]);
    let out = env
        .mlops(&work)
        .args(words("-v autoscale enable --env test jukebox --yes"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("index entries in place"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(env.git(&work, &["diff-files", "--name-only"]), "");
    assert_eq!(env.status(&work), "");
    assert_eq!(env.git(&work, &["diff", "--cached", "--name-only"]), "");
    assert_eq!(
        env.git(&work, &["write-tree"]),
        env.git(&work, &["rev-parse", "HEAD^{tree}"])
    );
    assert_eq!(
        env.git(&work, &["rev-parse", "HEAD"]),
        env.git(&remote, &["rev-parse", "main"])
    );
    assert_eq!(env.git(&work, &["fsck", "--no-progress"]).trim(), "");
}
