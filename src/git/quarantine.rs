//! Objects written before they are known to be wanted, kept apart until
//! they are: git's own quarantine (receive-pack's `tmp_objdir`), for the
//! new blob and trees a run writes while its remote is being reached
//! (src/commands/change/ahead.rs). When the listing says the checkout's
//! commit is the remote's tip they move into the repository's objects, a
//! link each (git's `finalize_object_file`); otherwise the folder is
//! removed and nothing of them is left, so `git fsck` finds no dangling
//! tree. Writing them ahead takes 5-6 ms at 3 x 2,000 models (building the
//! environment's tree, compressing it, the object files; perf) out of
//! what an up-to-date run waits for after the listing.
//!
//! The folder is in the git directory (the objects' file system), named
//! like the checkout update's staging folder, so a killed run's is removed
//! by the next run that takes the locks. Not used where the objects
//! would need more than libgit2's defaults: `core.sharedRepository`
//! (group permissions) or `GIT_OBJECT_DIRECTORY`.

use std::ffi::CString;
use std::fs;
use std::io::ErrorKind;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use git2::{Binding, Oid, Repository};

use super::local::gerr;
use super::worktree::TEMP_PREFIX;
use super::Workspace;
use crate::git::error::{self, Kind, Result};

/// Above the repository's own loose (1) and pack (2) backends: libgit2
/// writes a new object into the first writable backend.
const PRIORITY: i32 = 10;

/// A second handle on the repository whose new objects go to a folder of
/// their own.
pub(crate) struct Quarantine {
    dir: tempfile::TempDir,
    repo: Repository,
}

impl Quarantine {
    /// `None` where the objects must be written as the repository says
    /// (see the module's documentation).
    pub(crate) fn new(ws: &Workspace) -> Result<Option<Quarantine>> {
        let shared = super::config::of(&ws.repo).has("core.sharedRepository");
        if shared || std::env::var_os("GIT_OBJECT_DIRECTORY").is_some() {
            return Ok(None);
        }
        let git_dir = ws.repo.commondir();
        let dir = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempdir_in(git_dir)
            .map_err(|e| error::io(Kind::Repository, "create a folder in", git_dir, e))?;
        crate::interrupt::remove_quietly_on_signal(dir.path().to_path_buf());
        let quarantine = Quarantine {
            repo: Repository::open(ws.repo.path())
                .map_err(gerr("could not open the repository a second time"))?,
            dir,
        };
        quarantine.add_backend()?;
        Ok(Some(quarantine))
    }

    /// The handle to write through.
    pub(crate) fn repo(&self) -> &Repository {
        &self.repo
    }

    fn add_backend(&self) -> Result<()> {
        let failed = |e| gerr("could not set up a folder for new objects")(e);
        let path = CString::new(self.dir.path().as_os_str().as_bytes())
            .map_err(|_| error::repository("the git directory's path holds a NUL byte"))?;
        let odb = self.repo.odb().map_err(failed)?;
        let mut backend = std::ptr::null_mut();
        // SAFETY: libgit2 copies the path; the backend, once added, is
        // owned and freed by the object database (held by `self.repo`).
        unsafe {
            // Default compression and modes, no fsync: libgit2's own
            // loose backend's settings.
            let rc = libgit2_sys::git_odb_backend_loose(&mut backend, path.as_ptr(), -1, 0, 0, 0);
            if rc < 0 {
                return Err(failed(git2::Error::last_error(rc)));
            }
            let rc = libgit2_sys::git_odb_add_backend(odb.raw(), backend, PRIORITY);
            if rc < 0 {
                return Err(failed(git2::Error::last_error(rc)));
            }
        }
        Ok(())
    }

    /// Moves the objects into the repository's own: each object file is
    /// linked to its name there (one that exists already is kept), so a
    /// reader sees the whole object or none.
    pub(crate) fn release(self, ws: &Workspace) -> Result<()> {
        let objects = ws.repo.commondir().join("objects");
        for (fan, name) in files(self.dir.path())? {
            let folder = objects.join(&fan);
            match fs::create_dir(&folder) {
                Err(e) if e.kind() != ErrorKind::AlreadyExists => {
                    return Err(error::io(Kind::Repository, "create", &folder, e))
                }
                _ => {}
            }
            let (from, to) = (self.dir.path().join(&fan).join(&name), folder.join(&name));
            match fs::hard_link(&from, &to) {
                Err(e) if e.kind() != ErrorKind::AlreadyExists => {
                    return Err(error::io(Kind::Repository, "write", &to, e))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl Drop for Quarantine {
    fn drop(&mut self) {
        crate::interrupt::forget(self.dir.path());
    }
}

/// The object files under `dir`: (fan-out folder, rest of the name).
fn files(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let read = |d: &Path| fs::read_dir(d).map_err(|e| error::io(Kind::Repository, "read", d, e));
    let mut found = Vec::new();
    for fan in read(dir)?.flatten() {
        if !fan.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        for object in read(&fan.path())?.flatten() {
            let name = object.file_name();
            // libgit2's temporary files start with "tmp_"; objects are hex.
            if name.as_bytes().iter().all(u8::is_ascii_hexdigit) {
                found.push((PathBuf::from(fan.file_name()), PathBuf::from(name)));
            }
        }
    }
    Ok(found)
}

/// A tree written through a [`Quarantine`]: usable once released.
pub(crate) struct Written {
    pub tree: Oid,
    pub quarantine: Quarantine,
}
