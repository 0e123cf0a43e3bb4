//! The index as a run reads and writes it: a private copy, loaded once.
//!
//! libgit2 writes an index through `<index>.lock`, and mlops holds
//! `.git/index.lock` itself from before the push until the checkout has
//! followed (see [`super::lock`]). So the repository's index object is a
//! copy in a private folder: libgit2 checks against it, the checkout
//! updates and writes it, and its bytes go into the held lock file.
//!
//! A load parses, verifies and copies every entry (at 3 x 2,000 models,
//! an 868 KB index: 10.5 ms of CPU, perf). The copy is made before the
//! first check instead of once more for the update, so a run loads the
//! index once instead of twice. Under the lock the index is compared with
//! what was copied, and a changed one (someone staged a file meanwhile)
//! is copied and loaded again. The copy keeps the index's modification
//! time, so libgit2 treats the same entries as racily clean as it would
//! with the index itself, and it gets the repository's capabilities
//! (core.ignorecase, core.filemode, core.symlinks) as the repository's
//! own index object does.

use std::fs::{self, File, FileTimes};
use std::io::ErrorKind;
use std::os::raw::c_int;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use git2::{Binding, Index, IndexEntry};

use super::super::local::gerr;
use super::super::Workspace;
use crate::error::{self, Kind, Result};

extern "C" {
    // In libgit2's public API; not bound by libgit2-sys 0.18.
    fn git_index_set_caps(index: *mut libgit2_sys::git_index, caps: c_int) -> c_int;
}

/// libgit2's `GIT_INDEX_CAPABILITY_FROM_OWNER`.
const CAPS_FROM_OWNER: c_int = -1;

/// The private folder with the copy, and what the copy was made from.
pub(crate) struct IndexCopy {
    dir: tempfile::TempDir,
    /// The index's bytes and modification time when copied (`None`: no
    /// index file), or nothing when the copy must be made again.
    source: Option<Source>,
}

type Source = Option<(Vec<u8>, SystemTime)>;

impl IndexCopy {
    fn path(&self) -> PathBuf {
        self.dir.path().join("index")
    }
}

impl Drop for IndexCopy {
    fn drop(&mut self) {
        crate::interrupt::forget(self.dir.path());
    }
}

impl Workspace {
    /// From now on the repository's index object is a private copy of the
    /// checkout's index (nothing to do when it is already, or without a
    /// work tree). Writes nothing in the repository.
    pub(crate) fn use_index_copy(&self) -> Result<()> {
        if self.workdir.is_none() || self.index_copy.borrow().is_some() {
            return Ok(());
        }
        let dir = crate::interrupt::scratch_dir("mlops-index-")
            .map_err(|e| error::io(Kind::Git, "create a folder in", &std::env::temp_dir(), e))?;
        let copy = IndexCopy { dir, source: None };
        let mut index = Index::open(&copy.path()).map_err(gerr("could not read the index"))?;
        self.repo
            .set_index(&mut index)
            .map_err(gerr("could not use a copy of the index"))?;
        // SAFETY: `index` is a live index object, now owned by the
        // repository, which the call reads its config from.
        if unsafe { git_index_set_caps(index.raw(), CAPS_FROM_OWNER) } < 0 {
            return Err(gerr("could not read the index settings")(
                git2::Error::last_error(0),
            ));
        }
        *self.index_copy.borrow_mut() = Some(copy);
        self.refresh_index_copy()
    }

    /// Makes the copy (and the loaded index object) the checkout's index as
    /// it is now: called first, and again with the index lock held, when
    /// nobody else can change it any more.
    pub(crate) fn refresh_index_copy(&self) -> Result<()> {
        self.use_index_copy()?;
        let mut slot = self.index_copy.borrow_mut();
        let Some(copy) = slot.as_mut() else {
            return Ok(());
        };
        let now = read_source(&self.repo.path().join("index"))?;
        if copy.source.as_ref() == Some(&now) {
            return Ok(());
        }
        let path = copy.path();
        match &now {
            Some((bytes, modified)) => write_copy(&path, bytes, *modified)?,
            None => match fs::remove_file(&path) {
                Err(e) if e.kind() != ErrorKind::NotFound => {
                    return Err(error::io(Kind::Git, "remove", &path, e))
                }
                _ => {}
            },
        }
        copy.source = None;
        self.repo
            .index()
            .and_then(|mut index| index.read(true))
            .map_err(gerr("could not read the index"))?;
        copy.source = Some(now);
        Ok(())
    }

    /// The copy's bytes as the checkout wrote them, for the index lock.
    pub(super) fn index_copy_bytes(&self) -> Result<Vec<u8>> {
        let slot = self.index_copy.borrow();
        let Some(copy) = slot.as_ref() else {
            return Err(error::git(
                "internal: the checkout ran without the index copy",
            ));
        };
        let path = copy.path();
        if !path.exists() {
            // No index before, and the checkout wrote none: libgit2
            // writes the loaded one (a valid index file, never an empty one).
            self.repo
                .index()
                .and_then(|mut index| index.write())
                .map_err(gerr("could not write the index"))?;
        }
        fs::read(&path).map_err(|e| error::io(Kind::Git, "read", &path, e))
    }

    /// The index as it was copied (and checked against), with `entries`
    /// changed where they lie ([`super::inplace`]), when that can be done.
    /// The loaded index object then no longer matches what will be
    /// written, so the next refresh loads it again.
    pub(super) fn index_updated_in_place(&self, entries: &[IndexEntry]) -> Option<Vec<u8>> {
        let updated = {
            let slot = self.index_copy.borrow();
            let (bytes, written) = slot.as_ref()?.source.as_ref()?.as_ref()?;
            let root = self.root();
            let unchanged =
                |path: &[u8], mode, id: &[u8]| super::inplace::holds(root, path, mode, id);
            super::inplace::update(bytes, *written, entries, unchanged)?
        };
        self.forget_index_copy();
        Some(updated)
    }

    /// After a failed update: the next refresh loads the index again, so
    /// nothing of the failed update stays in the loaded object.
    pub(super) fn forget_index_copy(&self) {
        if let Some(copy) = self.index_copy.borrow_mut().as_mut() {
            copy.source = None;
        }
    }
}

fn read_source(index: &Path) -> Result<Source> {
    let io = |e| error::io(Kind::Git, "read", index, e);
    let mut file = match File::open(index) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let modified = file.metadata().and_then(|m| m.modified()).map_err(io)?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes).map_err(io)?;
    Ok(Some((bytes, modified)))
}

fn write_copy(path: &Path, bytes: &[u8], modified: SystemTime) -> Result<()> {
    let io = |e| error::io(Kind::Git, "write", path, e);
    let file = File::create(path).map_err(io)?;
    std::io::Write::write_all(&mut &file, bytes).map_err(io)?;
    file.set_times(FileTimes::new().set_modified(modified))
        .map_err(io)
}
