//! An index file's entries read where they lie (versions 2 and 3), for
//! the questions a run asks of one or two paths: what is staged there,
//! whether a `.gitattributes` is tracked on its way.
//!
//! Why by hand: libgit2 answers them only from a loaded index, and
//! loading one parses, verifies and copies every entry: 10.2 ms at
//! 3 x 2,000 models (an 888 KB index, stamped in-process), on a path
//! remote the largest part of a run that grows with the repository.
//! Walking the entries to the one asked for takes a fraction of that.
//! Like git (which verifies the checksum only in `fsck`), the trailer is
//! not hashed here. Anything this does not read (version 4's compressed
//! paths, a truncated file) gives `None`, and the caller asks libgit2.

use git2::Oid;

/// Fixed part of an entry: ten 32-bit stat fields, the id, the flags.
pub(super) const FIXED: usize = 40 + 20 + 2;
pub(super) const HEADER: usize = 12;
pub(super) const TRAILER: usize = 20;
pub(super) const EXTENDED: u16 = 0x4000;
pub(super) const STAGE: u16 = 0x3000;
/// In the extended flags (version 3): git keeps the work tree's file out
/// of the checkout (a sparse checkout, or `update-index --skip-worktree`).
pub(crate) const SKIP_WORKTREE: u16 = 0x4000;

/// One entry: where it starts and ends in the file, its flags and path.
pub(super) struct Raw<'a> {
    pub at: usize,
    pub end: usize,
    pub flags: u16,
    pub name: &'a [u8],
}

impl Raw<'_> {
    /// The entry's object id.
    pub fn id<'i>(&self, index: &'i [u8]) -> Option<&'i [u8]> {
        index.get(self.at + 40..self.at + 60)
    }
}

/// Calls `each` with every entry in order, and returns where the
/// extensions start; `None` when `index` is not a version 2 or 3 index
/// this reads, or when `each` returns `None`.
pub(super) fn walk<'a>(
    index: &'a [u8],
    mut each: impl FnMut(Raw<'a>) -> Option<()>,
) -> Option<usize> {
    let body = index.len().checked_sub(TRAILER)?;
    if body < HEADER || &index[..4] != b"DIRC" || !matches!(be32(index, 4)?, 2 | 3) {
        return None;
    }
    let mut at = HEADER;
    for _ in 0..be32(index, 8)? {
        let flags = u16::from_be_bytes(index.get(at + 60..at + 62)?.try_into().ok()?);
        let name_at = at + FIXED + if flags & EXTENDED != 0 { 2 } else { 0 };
        let name_len = index.get(name_at..body)?.iter().position(|b| *b == 0)?;
        let name = &index[name_at..name_at + name_len];
        let end = at + ((name_at - at + name_len + 8) & !7);
        if end > body {
            return None;
        }
        each(Raw {
            at,
            end,
            flags,
            name,
        })?;
        at = end;
    }
    Some(at)
}

/// What the index holds at one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Staged {
    /// The stage-0 entry's id.
    pub id: Option<Oid>,
    /// An entry at stage 1, 2 or 3 (an unresolved conflict).
    pub conflicted: bool,
    /// The stage-0 entry is marked skip-worktree: git does not look at
    /// the work tree for it (outside a sparse checkout's set), so what is
    /// there (usually nothing) is not a local change.
    pub skip_worktree: bool,
}

impl Staged {
    /// What libgit2's loaded `index` holds at `path`.
    pub(crate) fn from_index(index: &git2::Index, path: &std::path::Path) -> Staged {
        let at = |stage| index.get_path(path, stage);
        let entry = at(0);
        Staged {
            id: entry.as_ref().map(|e| e.id),
            conflicted: (1..=3).any(|stage| at(stage).is_some()),
            skip_worktree: entry.is_some_and(|e| e.flags_extended & SKIP_WORKTREE != 0),
        }
    }
}

/// What `index` holds at `path` (compared byte for byte, as with
/// `core.ignorecase` off).
pub(crate) fn staged(index: &[u8], path: &[u8]) -> Option<Staged> {
    let mut found = Staged::default();
    walk(index, |entry| {
        if entry.name == path {
            match entry.flags & STAGE {
                0 => {
                    found.id = Some(Oid::from_bytes(entry.id(index)?).ok()?);
                    found.skip_worktree = entry.flags & EXTENDED != 0
                        && index
                            .get(entry.at + FIXED..entry.at + FIXED + 2)
                            .is_some_and(|x| u16::from_be_bytes([x[0], x[1]]) & SKIP_WORKTREE != 0);
                }
                _ => found.conflicted = true,
            }
        }
        Some(())
    })?;
    Some(found)
}

/// Whether `index` tracks any of `paths`.
pub(crate) fn tracks_any(index: &[u8], paths: &[Vec<u8>]) -> Option<bool> {
    let mut any = false;
    walk(index, |entry| {
        any |= paths.iter().any(|p| p.as_slice() == entry.name);
        Some(())
    })?;
    Some(any)
}

/// Whether `index` is a sparse index (git's `index.sparse`): its `sdir`
/// extension says folders outside the sparse set are single entries.
pub(super) fn is_sparse_index(index: &[u8]) -> bool {
    let Some(mut at) = walk(index, |_| Some(())) else {
        return false;
    };
    let body = index.len().saturating_sub(TRAILER);
    while at + 8 <= body {
        if &index[at..at + 4] == b"sdir" {
            return true;
        }
        let Some(size) = be32(index, at + 4) else {
            return false;
        };
        at += 8 + size as usize;
    }
    false
}

pub(super) fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}
