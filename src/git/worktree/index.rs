//! The index as a run reads and writes it: a snapshot, and a private
//! copy that libgit2 loads only when it must.
//!
//! libgit2 writes an index through `<index>.lock`, and mlops holds
//! `.git/index.lock` itself from before the push until the checkout has
//! followed (see [`super::lock`]). So the repository's index object is a
//! copy in a private folder: libgit2 checks against it, the checkout
//! updates and writes it, and its bytes go into the held lock file.
//!
//! A libgit2 load parses, verifies and copies every entry (at 3 x 2,000
//! models, an 888 KB index: 10.2 ms, stamped in-process), so the common
//! run does without it: the snapshot's bytes answer what is staged at a
//! path ([`super::rawindex`]), the checkout update changes the entry in
//! place ([`super::inplace`]), and the copy is loaded only for what only
//! libgit2 does (a status with filters, a checkout that is not a plain
//! replacement, the fallback write). Under the lock the index is
//! compared with the snapshot, and a changed one (someone staged a file
//! meanwhile) is taken again. The copy keeps the index's modification
//! time, so libgit2 treats the same entries as racily clean as it would
//! with the index itself, and it gets the repository's capabilities
//! (core.ignorecase, core.filemode, core.symlinks) as the repository's
//! own index object does.

use std::fs::{self, File, FileTimes};
use std::io::ErrorKind;
use std::os::raw::c_int;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use git2::{Binding, Index, IndexEntry};

use super::super::local::gerr;
use super::super::Workspace;
use super::rawindex::Staged;
use crate::git::error::{self, Kind, Result};

extern "C" {
    // In libgit2's public API; not bound by libgit2-sys 0.18.
    fn git_index_set_caps(index: *mut libgit2_sys::git_index, caps: c_int) -> c_int;
}

/// libgit2's `GIT_INDEX_CAPABILITY_FROM_OWNER`.
const CAPS_FROM_OWNER: c_int = -1;

/// The private folder with the copy, and what the copy was made from.
pub(crate) struct IndexCopy {
    /// Made when the copy is first loaded.
    dir: Option<tempfile::TempDir>,
    /// The index's bytes and modification time when copied (`None`: no
    /// index file), or nothing when the copy must be made again.
    source: Option<Source>,
    /// What identifies the index file the source was read from.
    stamp: Option<Stamp>,
    /// The repository's index object holds the copy. Until then it is an
    /// empty in-memory index (see [`Workspace::loaded_index`]).
    loaded: bool,
}

type Source = Option<(Vec<u8>, SystemTime)>;

impl Drop for IndexCopy {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            crate::interrupt::forget(dir.path());
        }
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
        let copy = IndexCopy {
            dir: None,
            source: None,
            stamp: None,
            loaded: false,
        };
        // Empty and in memory until it is loaded: libgit2 refuses to read
        // it, so nothing can take it for the index unloaded.
        self.set_index_object(Index::new().map_err(gerr("could not make an index"))?)?;
        *self.index_copy.borrow_mut() = Some(copy);
        self.refresh_index_copy()?;
        self.refuse_sparse_index()
    }

    /// A sparse index (`git sparse-checkout --sparse-index`, `index.sparse`)
    /// keeps each folder outside the sparse set as one entry, which
    /// libgit2 cannot read: refused before anything is fetched, written or
    /// pushed, with git's way back to a full index.
    fn refuse_sparse_index(&self) -> Result<()> {
        let sparse = self
            .index_copy
            .borrow()
            .as_ref()
            .and_then(|copy| copy.source.as_ref())
            .and_then(|source| source.as_ref())
            .is_some_and(|(bytes, _)| super::rawindex::is_sparse_index(bytes));
        if !sparse {
            return Ok(());
        }
        Err(error::checkout(
            "the index is a sparse index (index.sparse, from git sparse-checkout --sparse-index): its folders outside the sparse set are single entries mlops cannot update; nothing was changed",
        )
        .advised("make it a full index, keeping the sparse set: git sparse-checkout reapply --no-sparse-index (then run mlops again), or use --clone URL"))
    }

    /// Makes the snapshot and the copy the checkout's index as it is now:
    /// called first, and again with the index lock held, when nobody else
    /// can change it any more. An index object that holds entries is
    /// loaded again at once.
    pub(crate) fn refresh_index_copy(&self) -> Result<()> {
        self.use_index_copy()?;
        let mut slot = self.index_copy.borrow_mut();
        let Some(copy) = slot.as_mut() else {
            return Ok(());
        };
        let path = self.repo.path().join("index");
        if copy.source.is_some() && still(&path, copy.stamp.as_ref()) {
            return Ok(());
        }
        let (now, stamp) = read_source(&path)?;
        copy.stamp = stamp;
        if copy.source.as_ref() == Some(&now) {
            return Ok(());
        }
        copy.source = Some(now);
        // A loaded copy must not keep what it loaded before.
        if copy.loaded {
            copy.loaded = false;
            self.load_copy(copy)?;
        }
        Ok(())
    }

    /// The repository's index object, loaded: the copy, when the run uses
    /// one. Call before anything of libgit2 that reads or writes the
    /// index (a status, a checkout, an index write).
    pub(crate) fn loaded_index(&self) -> Result<Index> {
        let forgotten = self
            .index_copy
            .borrow()
            .as_ref()
            .is_some_and(|copy| copy.source.is_none());
        if forgotten {
            self.refresh_index_copy()?;
        }
        if let Some(copy) = self.index_copy.borrow_mut().as_mut() {
            if !copy.loaded {
                self.load_copy(copy)?;
            }
        }
        self.index_object()
    }

    /// Writes the snapshot to the copy's file, in a private folder made
    /// now, and makes the repository's index object the copy, loaded:
    /// written only now, because a run that never loads the index needs
    /// no copy of its bytes.
    fn load_copy(&self, copy: &mut IndexCopy) -> Result<()> {
        if copy.dir.is_none() {
            let dir = crate::interrupt::scratch_dir("mlops-index-").map_err(|e| {
                error::io(
                    Kind::Repository,
                    "create a folder in",
                    &std::env::temp_dir(),
                    e,
                )
            })?;
            copy.dir = Some(dir);
        }
        let path = copy
            .dir
            .as_ref()
            .map_or_else(PathBuf::new, |d| d.path().join("index"));
        match copy.source.as_ref() {
            Some(Some((bytes, modified))) => write_copy(&path, bytes, *modified)?,
            _ => match fs::remove_file(&path) {
                Err(e) if e.kind() != ErrorKind::NotFound => {
                    return Err(error::io(Kind::Repository, "remove", &path, e))
                }
                _ => {}
            },
        }
        let index = Index::open(&path).map_err(gerr("could not read the index"))?;
        self.set_index_object(index)?;
        copy.loaded = true;
        Ok(())
    }

    /// Makes `index` the repository's index object, with the
    /// repository's capabilities (core.ignorecase, core.filemode,
    /// core.symlinks) as its own index object has them.
    fn set_index_object(&self, mut index: Index) -> Result<()> {
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
        Ok(())
    }

    /// The repository's index object as it is (loaded or not).
    fn index_object(&self) -> Result<Index> {
        self.repo.index().map_err(gerr("could not read the index"))
    }

    /// What the snapshot holds at `path`, when its bytes can be read here
    /// ([`super::rawindex`]; with `core.ignorecase` libgit2's lookup
    /// decides); `None` asks the loaded index.
    pub(crate) fn staged_in_snapshot(&self, path: &str) -> Option<Staged> {
        let slot = self.index_copy.borrow();
        let source = slot.as_ref()?.source.as_ref()?;
        if self.ignores_case() {
            return None;
        }
        match source {
            Some((bytes, _)) => super::rawindex::staged(bytes, path.as_bytes()),
            None => Some(Staged::default()),
        }
    }

    /// Whether libgit2's checkout of `paths` into a staging folder may
    /// run without loading the index: it is not loaded (the object is the
    /// empty in-memory index), and
    /// the snapshot tracks no `.gitattributes` on their way (so the
    /// attributes libgit2 would read from the index are none either way).
    pub(super) fn unloaded_index_will_do(&self, paths: &[&str]) -> bool {
        let slot = self.index_copy.borrow();
        let Some(copy) = slot.as_ref() else {
            return false;
        };
        let Some(Some((bytes, _))) = copy.source.as_ref() else {
            return false;
        };
        let attributes: Vec<Vec<u8>> = paths
            .iter()
            .flat_map(|p| std::path::Path::new(p).ancestors().skip(1))
            .map(|dir| {
                dir.join(".gitattributes")
                    .to_string_lossy()
                    .into_owned()
                    .into_bytes()
            })
            .collect();
        !copy.loaded && super::rawindex::tracks_any(bytes, &attributes) == Some(false)
    }

    fn ignores_case(&self) -> bool {
        self.repo
            .config()
            .and_then(|c| c.get_bool("core.ignorecase"))
            .unwrap_or(false)
    }

    /// The copy's bytes as the checkout wrote them, for the index lock.
    pub(super) fn index_copy_bytes(&self) -> Result<Vec<u8>> {
        if self.index_copy.borrow().is_none() {
            return Err(error::repository(
                "internal: the checkout ran without the index copy",
            ));
        }
        let index = self.loaded_index()?;
        let path = self
            .index_copy
            .borrow()
            .as_ref()
            .and_then(|copy| copy.dir.as_ref())
            .map(|dir| dir.path().join("index"))
            .ok_or_else(|| error::repository("internal: the index copy has no folder"))?;
        if !path.exists() {
            // No index before, and the checkout wrote none: libgit2
            // writes the loaded one (a valid index file, never an empty one).
            let mut index = index;
            index.write().map_err(gerr("could not write the index"))?;
        }
        fs::read(&path).map_err(|e| error::io(Kind::Repository, "read", &path, e))
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

/// An index file as `stat` sees it, and its trailing checksum.
#[derive(PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    trailer: [u8; 20],
}

impl Stamp {
    fn of(file: &File, meta: &fs::Metadata) -> Option<Stamp> {
        let mut trailer = [0u8; 20];
        file.read_exact_at(&mut trailer, meta.len().checked_sub(20)?)
            .ok()?;
        // `index.skipHash` writes zeros: then the bytes decide.
        (trailer != [0u8; 20]).then_some(Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
            trailer,
        })
    }
}

/// Whether the index is still the file `stamp` was taken of: the same
/// inode, size, times to the nanosecond and checksum, which is what git
/// and libgit2 trust to say an index did not change (a write through
/// `index.lock` makes a new inode). Saves reading it again under the
/// lock (888 KB at 3 x 2,000 models: 1.4 ms, perf).
fn still(index: &Path, stamp: Option<&Stamp>) -> bool {
    let Some(stamp) = stamp else {
        return false;
    };
    let Ok(file) = File::open(index) else {
        return false;
    };
    file.metadata()
        .ok()
        .and_then(|meta| Stamp::of(&file, &meta))
        .is_some_and(|now| &now == stamp)
}

fn read_source(index: &Path) -> Result<(Source, Option<Stamp>)> {
    let io = |e| error::io(Kind::Repository, "read", index, e);
    let mut file = match File::open(index) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok((None, None)),
        Err(e) => return Err(io(e)),
    };
    let meta = file.metadata().map_err(io)?;
    let modified = meta.modified().map_err(io)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::io::Read::read_to_end(&mut file, &mut bytes).map_err(io)?;
    let stamp = Stamp::of(&file, &meta).filter(|s| s.len == bytes.len() as u64);
    Ok((Some((bytes, modified)), stamp))
}

fn write_copy(path: &Path, bytes: &[u8], modified: SystemTime) -> Result<()> {
    let io = |e| error::io(Kind::Repository, "write", path, e);
    let file = File::create(path).map_err(io)?;
    std::io::Write::write_all(&mut &file, bytes).map_err(io)?;
    file.set_times(FileTimes::new().set_modified(modified))
        .map_err(io)
}
