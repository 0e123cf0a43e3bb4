//! src/git/worktree/inplace.rs against libgit2's own index writer and
//! git's reading of the result, on indexes git wrote.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use git2::{Index, IndexEntry, IndexTime, Oid};

use super::inplace::{holds, update};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A repository shaped like a real one (nested folders, an executable,
/// a symlink), committed, so git wrote its index with cached trees.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    for (path, text) in [
        (
            "model-deployments/test/jukebox/config.yaml",
            "autoscaling: false\n",
        ),
        ("model-deployments/test/radio/config.yaml", "x: 1\n"),
        ("model-deployments/prod/jukebox/config.yaml", "y: 2\n"),
        ("README.md", "hi\n"),
        ("tools/run.sh", "#!/bin/sh\n"),
    ] {
        std::fs::create_dir_all(d.join(path).parent().unwrap()).unwrap();
        std::fs::write(d.join(path), text).unwrap();
    }
    git(d, &["update-index", "--add", "--chmod=+x", "tools/run.sh"]);
    std::os::unix::fs::symlink("README.md", d.join("link")).unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "one"]);
    dir
}

fn entry(dir: &Path, path: &str, text: &str) -> IndexEntry {
    std::fs::write(dir.join("new"), text).unwrap();
    let id = git(dir, &["hash-object", "-w", "new"]);
    IndexEntry {
        ctime: IndexTime::new(1_700_000_001, 5),
        mtime: IndexTime::new(1_700_000_002, 6),
        dev: 7,
        ino: 8,
        mode: 0o100644,
        uid: 9,
        gid: 10,
        file_size: text.len() as u32,
        id: Oid::from_str(id.trim()).unwrap(),
        flags: path.len() as u16,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

fn later() -> SystemTime {
    SystemTime::now() + Duration::from_secs(100)
}

/// What libgit2 writes for the same change (the writer this replaces).
fn libgit2s(index: &[u8], entries: &[IndexEntry]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    std::fs::write(&path, index).unwrap();
    let mut loaded = Index::open(&path).unwrap();
    for e in entries {
        loaded.add(e).unwrap();
    }
    loaded.write().unwrap();
    std::fs::read(&path).unwrap()
}

#[test]
fn the_same_bytes_as_libgit2s_write_and_a_tree_git_agrees_with() {
    let dir = repo();
    let d = dir.path();
    let path = "model-deployments/test/jukebox/config.yaml";
    let before = std::fs::read(d.join(".git/index")).unwrap();
    assert!(
        before.windows(4).any(|w| w == b"TREE"),
        "git wrote cached trees"
    );
    let new = entry(d, path, "autoscaling: true\n");
    let ours = update(&before, later(), std::slice::from_ref(&new), |_, _, _| {
        false
    })
    .unwrap();
    assert_eq!(ours, libgit2s(&before, std::slice::from_ref(&new)));

    // git reads it: the entry is the new one, and the cached trees left
    // valid agree with what git computes from the entries.
    std::fs::write(d.join(".git/index"), &ours).unwrap();
    let staged = git(d, &["ls-files", "-s", path]);
    assert!(
        staged.starts_with(&format!("100644 {} 0", new.id)),
        "{staged}"
    );
    let from_cache = git(d, &["write-tree"]);
    git(d, &["read-tree", "HEAD"]);
    git(
        d,
        &[
            "update-index",
            "--cacheinfo",
            &format!("100644,{},{path}", new.id),
        ],
    );
    assert_eq!(from_cache, git(d, &["write-tree"]));
    git(d, &["fsck", "--no-progress"]);
}

#[test]
fn a_version_3_index_and_two_entries() {
    let dir = repo();
    let d = dir.path();
    std::fs::write(d.join("intent.txt"), "later\n").unwrap();
    git(d, &["add", "-N", "intent.txt"]);
    let before = std::fs::read(d.join(".git/index")).unwrap();
    assert_eq!(
        before[4..8],
        [0, 0, 0, 3],
        "an intent-to-add entry makes it version 3"
    );
    let news = [
        entry(d, "README.md", "hello\n"),
        entry(d, "model-deployments/prod/jukebox/config.yaml", "y: 3\n"),
    ];
    let ours = update(&before, later(), &news, |_, _, _| false).unwrap();
    assert_eq!(ours, libgit2s(&before, &news));
}

/// Entries changed in the second the index was written (here: every
/// entry, as after a clone) are checked against their files: the
/// index is written here only when each still holds its blob.
#[test]
fn racily_clean_entries_are_checked_against_their_files() {
    let dir = repo();
    let d = dir.path();
    let path = "model-deployments/test/jukebox/config.yaml";
    let new = entry(d, path, "autoscaling: true\n");
    let one = std::slice::from_ref(&new);
    let before = std::fs::read(d.join(".git/index")).unwrap();
    let earlier = SystemTime::now() - Duration::from_secs(100);
    let on_disk = |p: &[u8], mode: u32, id: &[u8]| holds(d, p, mode, id);
    let ours = update(&before, earlier, one, on_disk).unwrap();
    assert_eq!(ours, libgit2s(&before, one));
    // The same size, other bytes: git would not see it by its stat.
    std::fs::write(
        d.join("model-deployments/prod/jukebox/config.yaml"),
        "y: 3\n",
    )
    .unwrap();
    assert_eq!(update(&before, earlier, one, on_disk), None);
    assert!(update(&before, later(), one, on_disk).is_some(), "not racy");
}

#[test]
fn what_it_does_not_know_is_left_to_libgit2() {
    let dir = repo();
    let d = dir.path();
    let path = "model-deployments/test/jukebox/config.yaml";
    let new = entry(d, path, "autoscaling: true\n");
    let before = std::fs::read(d.join(".git/index")).unwrap();
    let one = std::slice::from_ref(&new);
    let no = |_: &[u8], _: u32, _: &[u8]| false;
    // A path that is not there.
    let absent = [entry(d, "nothere.yaml", "a\n")];
    assert_eq!(update(&before, later(), &absent, no), None);
    // An extension it does not know (the untracked cache).
    git(
        d,
        &[
            "-c",
            "core.untrackedCache=true",
            "update-index",
            "--untracked-cache",
        ],
    );
    let untracked = std::fs::read(d.join(".git/index")).unwrap();
    assert!(untracked.windows(4).any(|w| w == b"UNTR"));
    assert_eq!(update(&untracked, later(), one, no), None);
    // index.skipHash: no checksum to keep.
    let mut skipped = before.clone();
    let n = skipped.len();
    skipped[n - 20..].fill(0);
    assert_eq!(update(&skipped, later(), one, no), None);
    // Version 4 (compressed paths).
    git(
        d,
        &[
            "update-index",
            "--no-untracked-cache",
            "--index-version",
            "4",
        ],
    );
    let four = std::fs::read(d.join(".git/index")).unwrap();
    assert_eq!(update(&four, later(), one, no), None);
}
