//! The index with the checkout update's entries changed in place, for
//! the common case: the same paths, regular files that stay regular.
//!
//! Why by hand: libgit2 writes an index by serialising every entry and
//! hashing the whole file with collision-detecting SHA-1: 7.2 ms of a run
//! at 3 x 2,000 models (an 888 KB index; traced at 40 ms over HTTP, where
//! the whole run is 250 ms), growing with the repository. Changing one
//! entry's stat data and id where it lies, invalidating the cached trees
//! on its path and hashing the result with OpenSSL's SHA-1 takes a
//! fraction of that (see the module's tests for the equality with
//! libgit2's own write).
//!
//! Anything this does not know gives `None`, and the caller lets libgit2
//! write the index as before: a version other than 2 or 3, an extension
//! other than `TREE` (cached trees, invalidated here as git and libgit2
//! do) and `REUC` (untouched), a path not present once at stage 0, an
//! entry with extended or assume-valid flags, a zero checksum
//! (`index.skipHash`), and a racily clean entry whose file's bytes are
//! not its blob. That is git's own rule: an entry whose file changed in
//! the same second as the index was written looks clean by its stat
//! data, and a writer must check its content and mark it if it changed
//! (git: `ce_smudge_racily_clean_entry`, libgit2: `truncate_racily_clean`).
//! A file that hashes to its entry's id is unchanged; any other (changed,
//! or stored through a filter such as eol conversion) is left to libgit2,
//! which knows the filters.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use git2::IndexEntry;

use super::rawindex::{be32, walk, Raw, EXTENDED, FIXED, HEADER, STAGE, TRAILER};

const ASSUME_VALID: u16 = 0x8000;

/// At most this many racily clean entries are checked here (one, the last
/// run's file, is the usual case; after a clone every entry is): more
/// are left to libgit2's writer.
const RACY: usize = 16;

/// `index` (a whole index file, written when it was `written`) with each
/// of `entries` (same path, stage 0) in place of the entry it had.
/// `unchanged(path, mode, id)` says whether a racily clean entry's file
/// still holds what the entry says (else libgit2 must mark it).
pub(super) fn update(
    index: &[u8],
    written: SystemTime,
    entries: &[IndexEntry],
    unchanged: impl Fn(&[u8], u32, &[u8]) -> bool,
) -> Option<Vec<u8>> {
    let body = index.len().checked_sub(TRAILER)?;
    if body < HEADER || index[body..].iter().all(|b| *b == 0) {
        return None;
    }
    let written = written.duration_since(UNIX_EPOCH).ok()?.as_secs();
    let mut out = Vec::with_capacity(index.len());
    out.extend_from_slice(index.get(..HEADER)?);
    let mut found = vec![false; entries.len()];
    let mut racy = 0;
    let mut at = walk(index, |entry| {
        let Raw {
            at,
            end,
            flags,
            name,
        } = entry;
        match entries.iter().position(|e| e.path == name) {
            Some(i) => {
                if found[i] || flags & (ASSUME_VALID | EXTENDED | STAGE) != 0 {
                    return None;
                }
                found[i] = true;
                out.extend_from_slice(&fixed(&entries[i]));
                out.extend_from_slice(index.get(at + FIXED..end)?);
            }
            None => {
                // Racily clean: changed in the second the index was written
                // or later (seconds, as git compares them without USE_NSEC):
                // the new index must not make it look clean unchecked.
                if u64::from(be32(index, at + 8)?) >= written {
                    racy += 1;
                    let id = index.get(at + 40..at + 60)?;
                    if racy > RACY || !unchanged(name, be32(index, at + 24)?, id) {
                        return None;
                    }
                }
                out.extend_from_slice(index.get(at..end)?);
            }
        }
        Some(())
    })?;
    if found.contains(&false) {
        return None;
    }
    while at < body {
        let size = be32(index, at + 4)? as usize;
        let data = index.get(at + 8..at + 8 + size)?;
        match &index[at..at + 4] {
            b"TREE" => {
                let paths: Vec<&[u8]> = entries.iter().map(|e| e.path.as_slice()).collect();
                let tree = invalidate(data, &paths)?;
                out.extend_from_slice(b"TREE");
                out.extend_from_slice(&u32::try_from(tree.len()).ok()?.to_be_bytes());
                out.extend_from_slice(&tree);
            }
            b"REUC" => out.extend_from_slice(&index[at..at + 8 + size]),
            _ => return None,
        }
        at += 8 + size;
    }
    let mut sha = openssl::sha::Sha1::new();
    sha.update(&out);
    out.extend_from_slice(&sha.finish());
    Some(out)
}

/// Whether the file at `path` under `root` holds the blob `id` as it is
/// (a regular file's bytes, a symlink's target), hashed as git hashes a
/// blob; `mode` is the entry's.
pub(super) fn holds(root: &Path, path: &[u8], mode: u32, id: &[u8]) -> bool {
    let file = root.join(OsStr::from_bytes(path));
    let bytes = match mode & 0o170000 {
        0o100000 => match fs::symlink_metadata(&file) {
            Ok(meta) if meta.is_file() => fs::read(&file).ok(),
            _ => None,
        },
        0o120000 => fs::read_link(&file)
            .ok()
            .map(|t| t.into_os_string().into_vec()),
        _ => None,
    };
    bytes.is_some_and(|bytes| {
        let mut sha = openssl::sha::Sha1::new();
        sha.update(format!("blob {}\0", bytes.len()).as_bytes());
        sha.update(&bytes);
        sha.finish() == id
    })
}

/// An entry's fixed part as the index holds it (32-bit fields, as
/// libgit2 and git truncate them).
fn fixed(e: &IndexEntry) -> [u8; FIXED] {
    let mut out = [0u8; FIXED];
    let fields = [
        e.ctime.seconds() as u32,
        e.ctime.nanoseconds(),
        e.mtime.seconds() as u32,
        e.mtime.nanoseconds(),
        e.dev,
        e.ino,
        e.mode,
        e.uid,
        e.gid,
        e.file_size,
    ];
    for (i, field) in fields.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&field.to_be_bytes());
    }
    out[40..60].copy_from_slice(e.id.as_bytes());
    out[60..62].copy_from_slice(&(e.path.len().min(0xfff) as u16).to_be_bytes());
    out
}

/// The `TREE` extension with every cached tree on the way to each of
/// `paths` invalidated (entry count -1, no id), as git's
/// `cache_tree_invalidate_path` does; `None` if it does not parse.
fn invalidate(data: &[u8], paths: &[&[u8]]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len());
    let mut at = 0;
    node(data, &mut at, &mut Vec::new(), paths, &mut out)?;
    (at == data.len()).then_some(out)
}

/// One cached tree at `data[*at..]` whose folder is `dir` ("" for the
/// root, else ending in `/`), and its subtrees, copied to `out`. Every
/// folder has one (6,000 at 3 x 2,000 models), so nothing is allocated
/// per node (an allocation and a text parse per folder took 1.3 ms
/// of the update's 3.4, perf).
fn node(
    data: &[u8],
    at: &mut usize,
    dir: &mut Vec<u8>,
    paths: &[&[u8]],
    out: &mut Vec<u8>,
) -> Option<()> {
    let start = *at;
    let name_len = data.get(start..)?.iter().position(|b| *b == 0)?;
    let line_at = start + name_len + 1;
    let line_len = data.get(line_at..)?.iter().position(|b| *b == b'\n')?;
    let line = &data[line_at..line_at + line_len];
    let space = line.iter().position(|b| *b == b' ')?;
    let valid = match &line[..space] {
        [b'-', digits @ ..] => number(digits).map(|_| false)?,
        digits => number(digits).map(|_| true)?,
    };
    let subtrees = number(&line[space + 1..])?;
    *at = line_at + line_len + 1 + if valid { 20 } else { 0 };
    let parent = dir.len();
    if name_len > 0 {
        dir.extend_from_slice(&data[start..start + name_len]);
        dir.push(b'/');
    }
    if valid && paths.iter().any(|p| p.starts_with(dir)) {
        out.extend_from_slice(&data[start..line_at]);
        out.extend_from_slice(format!("-1 {subtrees}\n").as_bytes());
    } else {
        out.extend_from_slice(data.get(start..*at)?);
    }
    for _ in 0..subtrees {
        node(data, at, dir, paths, out)?;
    }
    dir.truncate(parent);
    Some(())
}

/// A decimal number of at most 18 digits.
fn number(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    digits.iter().try_fold(0usize, |n, d| {
        d.is_ascii_digit().then(|| n * 10 + usize::from(d - b'0'))
    })
}
