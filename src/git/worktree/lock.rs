//! Git's lock files, held from before the push until the checkout has
//! followed, so a run either completes or leaves the checkout as it was.
//!
//! - `index.lock` is created exclusively by mlops, which is git's own
//!   protocol: whoever creates it owns the index until it is renamed over
//!   `index` or removed. libgit2 cannot write the index while it exists, so
//!   the checkout writes a copy and its bytes go into this lock file
//!   ([`IndexLock::commit`]).
//! - `refs/heads/<branch>.lock` is taken by a libgit2 reference
//!   transaction, which moves the branch (and writes its reflog and HEAD's)
//!   when committed.
//!
//! A lock another program holds is waited for briefly (an editor's git
//! extension takes `index.lock` for a moment, often); one that stays is
//! named, with what to do, before anything reaches the remote. The locks
//! this process holds are removed if SIGINT or SIGTERM ends it, as git
//! does (see `crate::interrupt`), so an interrupted run leaves no lock
//! file behind.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use git2::{ErrorCode, Oid, Repository, Signature, Transaction};

use super::super::local::gerr;
use super::super::Workspace;
use crate::git::error::{self, Error, Kind, Result};

/// How long a lock held by someone else is waited for.
const WAIT: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(50);

/// The prefix of the folder in the git directory where the checkout
/// stages new files; one a killed run left behind is removed by the next
/// run that holds the index lock (no other mlops can be using it then).
pub(crate) const TEMP_PREFIX: &str = "mlops-index-";

/// A second handle on the checkout's repository, which the branch's ref
/// lock borrows, so the [`Workspace`] stays free to fetch and push while
/// the lock is held.
pub(crate) struct LockHandle(Repository);

/// The index and branch locks of a checkout, held until
/// [`CheckoutLock::commit`] or drop (which releases both untouched).
pub(crate) struct CheckoutLock<'h> {
    index: IndexLock,
    // Dropped before `_held`: the transaction removes its lock file, then
    // the signal watcher forgets it.
    branch: Transaction<'h>,
    _held: Held,
    refname: String,
}

impl Workspace {
    /// A handle to take the checkout's locks with; `None` for a temporary
    /// clone, which has no work tree or index to protect.
    pub(crate) fn lock_handle(&self) -> Result<Option<LockHandle>> {
        if self.workdir.is_none() {
            return Ok(None);
        }
        let repo = Repository::open(self.repo.path()).map_err(gerr(
            "could not open the repository a second time to lock it",
        ))?;
        Ok(Some(LockHandle(repo)))
    }
}

impl LockHandle {
    /// Takes `index.lock`, then the branch's ref lock (git's order), each
    /// waited for up to two seconds; then checks that HEAD is still where
    /// it was when mlops started, and reloads the index, so everything
    /// checked from now on stays true until the locks are committed.
    pub(crate) fn lock(&self, ws: &Workspace) -> Result<CheckoutLock<'_>> {
        let git_dir = ws.repo.path();
        let mut index = IndexLock::take(git_dir)?;
        index.sync = ws
            .repo
            .config()
            .is_ok_and(|c| fsyncs_index(c.get_string("core.fsync").ok().as_deref()));
        let refname = format!("refs/heads/{}", ws.branch);
        let mut branch = self
            .0
            .transaction()
            .map_err(gerr("could not start a reference update"))?;
        let ref_lock = ws.repo.commondir().join(format!("{refname}.lock"));
        wait_for(&ref_lock, || match branch.lock_ref(&refname) {
            Ok(()) => Ok(Some(())),
            Err(e) if e.code() == ErrorCode::Locked => Ok(None),
            Err(e) => Err(gerr(format!("could not lock {refname}"))(e)),
        })?;
        let held = Held::new(ref_lock);
        let head = ws.repo.head().ok();
        let on_branch = head.as_ref().and_then(|h| h.name().ok()) == Some(refname.as_str());
        let at = head.and_then(|h| h.target());
        if !on_branch || at != ws.head {
            return Err(error::checkout(format!(
                "the checkout moved while mlops ran (HEAD is no longer {} at {})",
                ws.branch,
                ws.head.map(|h| format!("{h:.10}")).unwrap_or_default()
            ))
            .advised(format!(
                "nothing was pushed: {}; run mlops again",
                super::super::fail::UNCHANGED_CHECKOUT
            )));
        }
        ws.refresh_index_copy()?;
        remove_stale_copies(git_dir);
        ws.step(|| format!("holding {} and {}", index.path.display(), held.0.display()));
        Ok(CheckoutLock {
            index,
            branch,
            _held: held,
            refname,
        })
    }
}

impl CheckoutLock<'_> {
    /// Git's commit of both locks: the new index content replaces the
    /// index, then the branch moves to `commit` (with reflog entries for
    /// the branch and HEAD).
    pub(crate) fn commit(
        mut self,
        index: &[u8],
        commit: Oid,
        who: &Signature<'_>,
        reflog: &str,
    ) -> Result<()> {
        self.index.commit(index)?;
        let moved = format!("could not move {}", self.refname);
        self.branch
            .set_target(&self.refname, commit, Some(who), reflog)
            .map_err(gerr(moved.clone()))?;
        self.branch.commit().map_err(gerr(moved))
    }
}

/// `<git dir>/index.lock`, created by this process. Removed on drop
/// unless committed.
struct IndexLock {
    path: PathBuf,
    file: Option<File>,
    /// Flush the new index to the disk before the rename (`core.fsync`).
    sync: bool,
    _held: Held,
}

/// Whether git's `core.fsync` (components, `-` taking one away, `none`
/// starting again) asks for the index to be flushed to the disk: `index`,
/// `added` or `all`. Not by default, as git's and libgit2's index writes.
fn fsyncs_index(setting: Option<&str>) -> bool {
    let mut index = false;
    for word in setting.unwrap_or("").split(',').map(str::trim) {
        match word {
            "none" => index = false,
            "index" | "added" | "all" => index = true,
            "-index" | "-added" | "-all" => index = false,
            _ => {}
        }
    }
    index
}

impl IndexLock {
    fn take(git_dir: &Path) -> Result<IndexLock> {
        // Before the first lock file exists: a signal must find it handled.
        crate::interrupt::watch();
        let path = git_dir.join("index.lock");
        let file = wait_for(&path, || {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => Ok(Some(file)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(None),
                Err(e) => Err(error::io(
                    Kind::Repository,
                    "create the lock file",
                    &path,
                    e,
                )),
            }
        })?;
        Ok(IndexLock {
            _held: Held::new(path.clone()),
            path,
            file: Some(file),
            sync: false,
        })
    }

    /// Writes `bytes` into the lock file (flushed to the disk when
    /// `core.fsync` asks) and renames it over the index: a reader sees the
    /// old index or the new one.
    fn commit(&mut self, bytes: &[u8]) -> Result<()> {
        let index = self.path.with_extension("");
        let io = |what: &str, e: std::io::Error| error::io(Kind::Repository, what, &index, e);
        let mut file = self.file.take().expect("the index lock is committed once");
        let sync = self.sync;
        let written = file
            .write_all(bytes)
            .and_then(|()| if sync { file.sync_all() } else { Ok(()) })
            .map_err(|e| io("write the new index into the lock file of", e));
        drop(file);
        written.and_then(|()| fs::rename(&self.path, &index).map_err(|e| io("replace", e)))?;
        self.path = PathBuf::new();
        self._held.forget();
        Ok(())
    }
}

impl Drop for IndexLock {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Calls `attempt` until it gets the lock (`Some`), for up to [`WAIT`];
/// then fails naming `lock`.
fn wait_for<T>(lock: &Path, mut attempt: impl FnMut() -> Result<Option<T>>) -> Result<T> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(held) = attempt()? {
            return Ok(held);
        }
        if Instant::now() >= deadline {
            return Err(held_by_another(lock));
        }
        std::thread::sleep(POLL);
    }
}

/// What git says about a lock file in the way, in mlops's terms.
pub(crate) fn held_by_another(lock: &Path) -> Error {
    error::repository(format!(
        "the git lock file {} exists: another git command is using this checkout",
        lock.display()
    ))
    .advised("nothing was pushed or written: your checkout and the remote are as they were")
    .advised(format!(
        "another git command is running (an editor's git extension, often): wait for it and run mlops again, or remove {} if none is (a killed git or mlops left it behind)",
        lock.display()
    ))
}

/// Removes index copies a killed run left in the git directory.
fn remove_stale_copies(git_dir: &Path) {
    let Ok(entries) = fs::read_dir(git_dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// One lock file registered with the interrupt handler while it is ours.
struct Held(PathBuf);

impl Held {
    fn new(path: PathBuf) -> Held {
        crate::interrupt::hold_lock(path.clone());
        Held(path)
    }

    /// The file is no longer ours (committed, or removed).
    fn forget(&self) {
        crate::interrupt::release_lock(&self.0);
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.forget();
    }
}

#[cfg(test)]
mod tests {
    use super::fsyncs_index;

    #[test]
    fn the_index_is_flushed_when_core_fsync_says_so() {
        for (setting, flushed) in [
            (None, false),
            (Some("committed"), false),
            (Some("index"), true),
            (Some("added"), true),
            (Some("all"), true),
            (Some("all,-index"), false),
            (Some("none,index"), true),
            (Some("index,none"), false),
            (Some("objects, index"), true),
        ] {
            assert_eq!(fsyncs_index(setting), flushed, "{setting:?}");
        }
    }
}
