//! A read-only view of a repository's files: the work tree on disk or the
//! tree of a commit, behind one trait, so listing and reading follow the
//! same rules in a checkout, in a temporary clone and in history.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use git2::{FileMode, ObjectType, Oid, Repository};

use super::sparse::Skipped;
use crate::error::{self, Error, Kind, Result};

/// What a folder entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    Dir,
    File,
    /// A symbolic link (git keeps the link itself, not what it points to).
    Link,
    Other,
}

/// One entry of a folder listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub name: String,
    pub kind: EntryKind,
}

/// Listing and reading, with repository-relative paths using `/`.
pub(crate) trait Snapshot {
    /// The entries of `dir` whose names start with `prefix`, hidden ones
    /// (`.git`, `.github`) skipped, sorted by name. A missing folder is an
    /// empty list.
    fn entries(&self, dir: &str, prefix: &str) -> Result<Vec<Entry>>;

    /// The bytes of the regular file at `path`, `None` when there is none.
    /// A link, or a path through a linked folder, is an error (exit 3):
    /// mlops edits only what git stores as a file.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>>;

    /// The names of the sub-folders of `dir`.
    fn folders(&self, dir: &str) -> Result<Vec<String>> {
        Ok(self
            .entries(dir, "")?
            .into_iter()
            .filter(|e| e.kind == EntryKind::Dir)
            .map(|e| e.name)
            .collect())
    }

    /// What `path` is, if it exists.
    fn kind(&self, path: &str) -> Result<Option<EntryKind>> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        Ok(self
            .entries(dir, name)?
            .into_iter()
            .find(|e| e.name == name)
            .map(|e| e.kind))
    }
}

fn not_a_file(path: &str, what: &str) -> Error {
    error::config(format!("{path} is {what}, not a regular file"))
        .hinted("mlops edits only regular files that git stores as such; replace the link with the file itself")
}

/// A work tree on disk (with, in a sparse checkout, the files git keeps
/// out of it: [`Skipped`]).
pub(crate) struct WorkTree {
    root: PathBuf,
    skipped: std::sync::OnceLock<Option<Skipped>>,
    /// Folders above a model's own already found not to be links: status
    /// asks about the same environment folder for thousands of files.
    real: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl WorkTree {
    pub fn new(root: &Path) -> WorkTree {
        WorkTree {
            root: root.to_path_buf(),
            real: Default::default(),
            skipped: std::sync::OnceLock::new(),
        }
    }

    /// The skip-worktree files of a sparse checkout, looked up once.
    fn skipped(&self) -> Option<&Skipped> {
        self.skipped
            .get_or_init(|| Skipped::of(&self.root))
            .as_ref()
    }

    /// `found` on disk, with the skip-worktree entries of `dir` added.
    fn with_skipped(&self, dir: &str, prefix: &str, mut found: Vec<Entry>) -> Vec<Entry> {
        if let Some(skipped) = self.skipped() {
            for entry in skipped.entries(dir, prefix) {
                if !found.iter().any(|e| e.name == entry.name) {
                    found.push(entry);
                }
            }
            found.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        }
        found
    }

    /// The first folder on the way to `rel` that is a link, if any: git
    /// keeps a link there, not a folder, so a commit of a path through it
    /// would not be what Argo CD reads.
    fn linked_folder(&self, rel: &str) -> Option<String> {
        let parts: Vec<&str> = rel.split('/').collect();
        let last = parts.len().saturating_sub(1);
        (1..parts.len())
            .map(|n| (n, parts[..n].join("/")))
            .find_map(|(n, dir)| {
                let remember = n < last;
                let known = |real: &std::collections::HashSet<String>| real.contains(&dir);
                if remember && self.real.lock().is_ok_and(|r| known(&r)) {
                    return None;
                }
                let link = std::fs::symlink_metadata(self.root.join(&dir))
                    .is_ok_and(|m| m.file_type().is_symlink());
                if !link && remember {
                    if let Ok(mut real) = self.real.lock() {
                        real.insert(dir.clone());
                    }
                }
                link.then_some(dir)
            })
    }
}

impl Snapshot for WorkTree {
    fn entries(&self, dir: &str, prefix: &str) -> Result<Vec<Entry>> {
        let path = self.root.join(dir);
        let list = |e| error::io(Kind::Config, "list", &path, e);
        let iter = match std::fs::read_dir(&path) {
            Ok(iter) => iter,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(self.with_skipped(dir, prefix, Vec::new()))
            }
            Err(e) => return Err(list(e)),
        };
        let mut out = Vec::new();
        // std's read_dir rather than walkdir: walkdir opens and reads every
        // folder it yields, even at its max_depth (walkdir 2.5, `push`), so
        // listing 20,000 model folders cost 20,000 extra opens and reads:
        // `status` on 3 x 20,000 models took 1.41 s with it, 0.88 s without.
        // Names are compared as bytes before anything is allocated, so a
        // Tab after a few letters costs little more than the listing.
        for entry in iter {
            let entry = entry.map_err(list)?;
            let raw = entry.file_name();
            let bytes = raw.as_encoded_bytes();
            if bytes.starts_with(b".") || !bytes.starts_with(prefix.as_bytes()) {
                continue;
            }
            let Ok(name) = raw.into_string() else {
                continue;
            };
            let kind = match entry.file_type().map_err(list)? {
                t if t.is_dir() => EntryKind::Dir,
                t if t.is_file() => EntryKind::File,
                t if t.is_symlink() => EntryKind::Link,
                _ => EntryKind::Other,
            };
            out.push(Entry { name, kind });
        }
        out.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        Ok(self.with_skipped(dir, prefix, out))
    }

    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.read_with_stat(rel)?.map(|(bytes, _)| bytes))
    }

    /// One `lstat` instead of a listing: `status` asks this once per model.
    fn kind(&self, rel: &str) -> Result<Option<EntryKind>> {
        Ok(match self.lstat(rel)? {
            Some(m) => Some(kind_of(&m)),
            None => self.skipped().and_then(|s| s.kind(rel)),
        })
    }
}

impl WorkTree {
    /// [`Snapshot::read`], with the file's stat data (what git's `lstat`
    /// gives), which `status` compares with the index as git does.
    pub fn read_with_stat(
        &self,
        rel: &str,
    ) -> Result<Option<(Vec<u8>, Option<std::fs::Metadata>)>> {
        if let Some(dir) = self.linked_folder(rel) {
            return Err(error::config(format!(
                "{dir} is a symlink: git keeps a link there, not a folder, so mlops will not edit through it"
            ))
            .hinted("name the folder it points to, or replace the link with a real folder"));
        }
        if let Some(staged) = self.skipped().and_then(|s| s.read(rel)) {
            return staged.map(|bytes| Some((bytes, None)));
        }
        // Opened without following a link, then `fstat`: one path lookup
        // instead of an `lstat` and an `open` (status does this 60,000
        // times); the stat is the same one git's `lstat` would give.
        let path = self.root.join(rel);
        let fail = |e| error::io(Kind::Config, "read", &path, e);
        let mut file = match open_no_follow(&path) {
            Ok(file) => file,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(None)
            }
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err(not_a_file(rel, "a symlink"))
            }
            Err(e) => return Err(fail(e)),
        };
        let stat = file.metadata().map_err(fail)?;
        match kind_of(&stat) {
            EntryKind::File => {
                let mut bytes = Vec::with_capacity(stat.len() as usize);
                std::io::Read::read_to_end(&mut file, &mut bytes).map_err(fail)?;
                Ok(Some((bytes, Some(stat))))
            }
            _ => Err(not_a_file(rel, "not a file")),
        }
    }

    fn lstat(&self, rel: &str) -> Result<Option<std::fs::Metadata>> {
        let path = self.root.join(rel);
        match std::fs::symlink_metadata(&path) {
            Ok(m) => Ok(Some(m)),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(error::io(Kind::Config, "read", &path, e)),
        }
    }
}

/// `open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)`: a link is refused
/// (`ELOOP`), a FIFO does not block.
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

fn kind_of(m: &std::fs::Metadata) -> EntryKind {
    match m.file_type() {
        t if t.is_symlink() => EntryKind::Link,
        t if t.is_dir() => EntryKind::Dir,
        t if t.is_file() => EntryKind::File,
        _ => EntryKind::Other,
    }
}

/// The tree of one commit.
pub(crate) struct CommitTree<'r> {
    repo: &'r Repository,
    tree: git2::Tree<'r>,
    /// Folders already looked up, by path (`None`: not a folder there).
    trees: RefCell<HashMap<String, Option<git2::Tree<'r>>>>,
}

impl<'r> CommitTree<'r> {
    pub fn new(repo: &'r Repository, commit: Oid) -> Result<CommitTree<'r>> {
        let tree = repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(|e| error::git(format!("could not read commit {commit:.10}")).caused_by(e))?;
        Ok(CommitTree {
            repo,
            tree,
            trees: RefCell::default(),
        })
    }

    /// The tree at `dir`, each one parsed once: libgit2 keeps no tree of
    /// more than 4 KB in its object cache, so looking up every model's
    /// file through `Tree::get_path` re-read and re-parsed the
    /// environment's tree of thousands of entries each time.
    fn subtree(&self, dir: &str) -> Result<Option<git2::Tree<'r>>> {
        if dir.is_empty() {
            return Ok(Some(self.tree.clone()));
        }
        if let Some(known) = self.trees.borrow().get(dir) {
            return Ok(known.clone());
        }
        let (parent, name) = dir.rsplit_once('/').unwrap_or(("", dir));
        let found = match self.subtree(parent)? {
            Some(up) => match up.get_name(name) {
                Some(entry) if entry.kind() == Some(ObjectType::Tree) => Some(
                    self.repo
                        .find_tree(entry.id())
                        .map_err(|e| error::git(format!("could not read {dir}")).caused_by(e))?,
                ),
                _ => None,
            },
            None => None,
        };
        self.trees
            .borrow_mut()
            .insert(dir.to_string(), found.clone());
        Ok(found)
    }
}

impl Snapshot for CommitTree<'_> {
    fn entries(&self, dir: &str, prefix: &str) -> Result<Vec<Entry>> {
        let Some(tree) = self.subtree(dir)? else {
            return Ok(Vec::new());
        };
        // Tree entries are sorted by name already (git's order equals
        // byte order for entries of one kind; folders sort as "name/").
        let mut out: Vec<Entry> = tree
            .iter()
            .filter_map(|e| {
                let name = e.name().ok()?;
                if name.starts_with('.') || !name.starts_with(prefix) {
                    return None;
                }
                let kind = match (e.kind(), e.filemode()) {
                    (Some(ObjectType::Tree), _) => EntryKind::Dir,
                    (Some(ObjectType::Blob), m) if m == i32::from(FileMode::Link) => {
                        EntryKind::Link
                    }
                    (Some(ObjectType::Blob), _) => EntryKind::File,
                    _ => EntryKind::Other,
                };
                Some(Entry {
                    name: name.to_string(),
                    kind,
                })
            })
            .collect();
        out.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let Some(tree) = self.subtree(dir)? else {
            return Ok(None);
        };
        let Some(entry) = tree.get_name(name) else {
            return Ok(None);
        };
        if entry.filemode() == i32::from(FileMode::Link) {
            return Err(not_a_file(path, "a symlink"));
        }
        if entry.kind() != Some(ObjectType::Blob) {
            return Err(not_a_file(path, "a folder"));
        }
        let blob = self
            .repo
            .find_blob(entry.id())
            .map_err(|e| error::git(format!("could not read {path}")).caused_by(e))?;
        Ok(Some(blob.content().to_vec()))
    }
}
