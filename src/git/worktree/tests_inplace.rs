//! src/git/worktree/inplace.rs against libgit2's own index writer and
//! git's reading of the result, and src/git/worktree/rawindex.rs against
//! libgit2's loaded index, on indexes git wrote.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use git2::{Index, IndexEntry, IndexTime, Oid};

use super::inplace::{holds, update};
use super::rawindex::{staged, tracks_any, Staged};

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

/// What libgit2's loaded index says at `path` (the lookup this replaces).
fn libgit2_staged(index: &[u8], path: &str) -> Staged {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("index");
    std::fs::write(&file, index).unwrap();
    let index = Index::open(&file).unwrap();
    Staged::from_index(&index, Path::new(path))
}

#[test]
fn the_raw_lookup_answers_as_libgit2s_loaded_index() {
    let dir = repo();
    let d = dir.path();
    // A staged change, an intent-to-add entry (a version 3 index), and
    // an unresolved conflict (stages 1 to 3, no stage 0).
    std::fs::write(d.join("README.md"), "changed\n").unwrap();
    git(d, &["add", "README.md"]);
    std::fs::write(d.join("new.txt"), "n\n").unwrap();
    git(d, &["add", "-N", "new.txt"]);
    let blob = git(d, &["hash-object", "-w", "README.md"]);
    let conflicted = "model-deployments/test/radio/config.yaml";
    let info: String = (1..=3)
        .map(|stage| format!("100644 {} {stage}\t{conflicted}\n", blob.trim()))
        .collect();
    let mut update = Command::new("git")
        .args(["update-index", "--index-info"])
        .current_dir(d)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut update.stdin.take().unwrap(), info.as_bytes()).unwrap();
    assert!(update.wait().unwrap().success());
    let index = std::fs::read(d.join(".git/index")).unwrap();
    assert_eq!(u32::from_be_bytes(index[4..8].try_into().unwrap()), 3);
    let paths = [
        "README.md",
        "new.txt",
        conflicted,
        "model-deployments/test/jukebox/config.yaml",
        "tools/run.sh",
        "link",
        "model-deployments/test",
        "missing.yaml",
    ];
    for path in paths {
        let raw = staged(&index, path.as_bytes());
        assert_eq!(raw, Some(libgit2_staged(&index, path)), "{path}");
    }
    assert!(staged(&index, conflicted.as_bytes()).unwrap().conflicted);
    assert!(staged(&index, b"missing.yaml").unwrap().id.is_none());
}

#[test]
fn tracked_attributes_files_are_found_and_version_4_is_left_to_libgit2() {
    let dir = repo();
    let d = dir.path();
    let names = |paths: &[&str]| {
        paths
            .iter()
            .map(|p| p.as_bytes().to_vec())
            .collect::<Vec<_>>()
    };
    let on_the_way = names(&[".gitattributes", "model-deployments/.gitattributes"]);
    let index = std::fs::read(d.join(".git/index")).unwrap();
    assert_eq!(tracks_any(&index, &on_the_way), Some(false));
    std::fs::write(
        d.join("model-deployments/.gitattributes"),
        "*.yaml eol=crlf\n",
    )
    .unwrap();
    git(d, &["add", "model-deployments/.gitattributes"]);
    let index = std::fs::read(d.join(".git/index")).unwrap();
    assert_eq!(tracks_any(&index, &on_the_way), Some(true));
    assert_eq!(
        tracks_any(&index, &names(&["docs/.gitattributes"])),
        Some(false)
    );
    git(d, &["update-index", "--index-version", "4"]);
    let index = std::fs::read(d.join(".git/index")).unwrap();
    assert_eq!(staged(&index, b"README.md"), None);
    assert_eq!(tracks_any(&index, &on_the_way), None);
}
