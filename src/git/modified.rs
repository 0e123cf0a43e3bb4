//! Whether a work-tree file differs from what HEAD holds, decided as `git
//! status` decides it: the index entry's stat data against the file's
//! (`lstat`, taken when the file was read), and only where they differ,
//! or the entry is racily clean, the file's id through git's clean
//! filters (`core.autocrlf`, `.gitattributes` `text`/`eol`, `ident`) as
//! libgit2 computes it for `git status`. Hashing the raw bytes flagged
//! every file of an `autocrlf` checkout (CRLF on disk, LF in git).

use std::ffi::CString;
use std::fs::Metadata;
use std::os::raw::{c_char, c_int};
use std::path::Path;

use git2::{Binding, Index, IndexEntry, Oid, Repository};

extern "C" {
    // In libgit2's public API; not bound by libgit2-sys 0.18.
    fn git_repository_hashfile(
        out: *mut libgit2_sys::git_oid,
        repo: *mut libgit2_sys::git_repository,
        path: *const c_char,
        kind: libgit2_sys::git_object_t,
        as_path: *const c_char,
    ) -> c_int;
}

/// What `lstat` says of a file that git compares with its index entry
/// (36 bytes, where `std::fs::Metadata` is 144: status keeps one per
/// model while the files are read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    mtime: (u32, u32),
    ctime: (u32, u32),
    ino: u32,
    uid: u32,
    gid: u32,
    size: u32,
    mode: u32,
}

impl Stat {
    pub fn of(m: &Metadata) -> Stat {
        let (ino, uid, gid) = ids(m);
        Stat {
            mtime: stat_time(m, Time::Modified),
            ctime: stat_time(m, Time::Changed),
            ino,
            uid,
            gid,
            // The index keeps the size's low 32 bits, as git does.
            size: m.len() as u32,
            mode: mode(m),
        }
    }
}

/// `CE_VALID` (`git update-index --assume-unchanged`).
const ASSUME_VALID: u16 = 0x8000;
/// `CE_SKIP_WORKTREE` in the extended flags (sparse checkouts).
const SKIP_WORKTREE: u16 = 0x4000;

/// The index of a checkout, loaded once, and the settings `git status`
/// compares with.
pub struct Modified<'r> {
    repo: &'r Repository,
    index: Index,
    /// The index file's modification time: an entry whose file was
    /// modified then or later may have changed unseen ("racily clean").
    stamp: Option<(u32, u32)>,
    trust_ctime: bool,
    file_mode: bool,
}

impl<'r> Modified<'r> {
    pub fn open(repo: &'r Repository) -> Option<Modified<'r>> {
        let index = repo.index().ok()?;
        let stamp = index
            .path()
            .and_then(|p| std::fs::metadata(p).ok())
            .map(|m| stat_time(&m, Time::Modified));
        let config = repo.config().ok();
        let flag = |key: &str| {
            config
                .as_ref()
                .and_then(|c| c.get_bool(key).ok())
                .unwrap_or(true)
        };
        Some(Modified {
            repo,
            trust_ctime: flag("core.trustctime"),
            file_mode: flag("core.filemode"),
            index,
            stamp,
        })
    }

    /// The stage-0 entry at `path`, `None` when the index has none (an
    /// untracked file, or an unresolved conflict).
    pub fn entry(&self, path: &str) -> Option<IndexEntry> {
        self.index.get_path(Path::new(path), 0)
    }

    /// The index, for comparing it with HEAD ([`super::staged`]).
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Whether the file at `path` (repository-relative, `/`), whose
    /// `lstat` is `stat`, holds what the index `entry` holds, as `git
    /// status` decides: stat data first, content through the clean
    /// filters only when those differ or the entry is racily clean.
    pub fn same_as_index(&self, entry: &IndexEntry, path: &str, stat: &Stat) -> bool {
        // Entries git status does not compare with the work tree.
        if entry.flags & ASSUME_VALID != 0 || entry.flags_extended & SKIP_WORKTREE != 0 {
            return true;
        }
        if self.file_mode && exec_bit(entry.mode) != exec_bit(stat.mode) {
            return false;
        }
        if self.stat_matches(entry, stat) && !self.racy(entry) {
            return true;
        }
        self.hash_file(path) == Some(entry.id)
    }

    /// git's `match_stat_data`: times, inode, owner and size as recorded
    /// when the entry was last written (the 32-bit fields of the index).
    fn stat_matches(&self, entry: &IndexEntry, stat: &Stat) -> bool {
        time(entry.mtime) == stat.mtime
            && (!self.trust_ctime || time(entry.ctime) == stat.ctime)
            && entry.ino == stat.ino
            && entry.uid == stat.uid
            && entry.gid == stat.gid
            && entry.file_size == stat.size
    }

    /// Modified in the same tick as the index was written, or later: the
    /// stat data can't tell a later edit of the same size.
    fn racy(&self, entry: &IndexEntry) -> bool {
        self.stamp.is_none_or(|stamp| stamp <= time(entry.mtime))
    }

    /// The blob id git would store for the work-tree file at `path`: its
    /// bytes through the filters the attributes and configuration choose.
    fn hash_file(&self, path: &str) -> Option<Oid> {
        let c_path = CString::new(path).ok()?;
        let mut raw = libgit2_sys::git_oid {
            id: [0; libgit2_sys::GIT_OID_MAX_SIZE],
        };
        // SAFETY: `raw` is a valid out-parameter, the repository handle
        // is alive for `'r`, the path a NUL-terminated string; a null
        // `as_path` tells libgit2 to choose the filters by `path` itself.
        let rc = unsafe {
            git_repository_hashfile(
                &mut raw,
                self.repo.raw(),
                c_path.as_ptr(),
                libgit2_sys::GIT_OBJECT_BLOB,
                std::ptr::null(),
            )
        };
        // SAFETY: libgit2 filled `raw` when it returned 0.
        (rc == 0).then(|| unsafe { Oid::from_raw(&raw) })
    }
}

#[derive(Clone, Copy)]
enum Time {
    Modified,
    Changed,
}

/// An index time as git keeps it: 32-bit seconds and nanoseconds.
fn time(t: git2::IndexTime) -> (u32, u32) {
    (t.seconds() as u32, t.nanoseconds())
}

fn exec_bit(mode: u32) -> bool {
    mode & 0o100 != 0
}

#[cfg(unix)]
fn stat_time(stat: &Metadata, which: Time) -> (u32, u32) {
    use std::os::unix::fs::MetadataExt;
    let (s, ns) = match which {
        Time::Modified => (stat.mtime(), stat.mtime_nsec()),
        Time::Changed => (stat.ctime(), stat.ctime_nsec()),
    };
    // The index keeps 32-bit seconds, as git does.
    (s as u32, ns as u32)
}

#[cfg(unix)]
fn ids(stat: &Metadata) -> (u32, u32, u32) {
    use std::os::unix::fs::MetadataExt;
    (stat.ino() as u32, stat.uid(), stat.gid())
}

#[cfg(unix)]
fn mode(stat: &Metadata) -> u32 {
    use std::os::unix::fs::MetadataExt;
    stat.mode()
}

// Elsewhere nothing of the stat data matches: every file is hashed.
#[cfg(not(unix))]
fn stat_time(_: &Metadata, _: Time) -> (u32, u32) {
    (u32::MAX, u32::MAX)
}

#[cfg(not(unix))]
fn ids(_: &Metadata) -> (u32, u32, u32) {
    (u32::MAX, u32::MAX, u32::MAX)
}

#[cfg(not(unix))]
fn mode(_: &Metadata) -> u32 {
    0o100644
}
