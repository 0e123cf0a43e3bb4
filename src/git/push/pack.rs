//! The pack a push sends: exactly the objects a commit adds ([`new_objects`]),
//! as a thin pack of deltas against the objects they replace
//! ([`thin_pack`]), or libgit2's whole-walk pack ([`pack_walk`]) when the
//! remote did not advertise the commit's parent.
//!
//! Written here because nothing builds thin packs: libgit2's packbuilder
//! writes no thin packs and walks the whole tree; gitoxide's pack writer
//! would bring a second git implementation into the build. The delta
//! encoder is the simple kind (copy runs found by matching 16-byte
//! blocks, inserts for the rest): a value changed in a file or a tree gives
//! a few dozen bytes.

use git2::{ObjectType, Oid, Repository, Tree};

use super::protocol;
use crate::git::treediff::order;

/// The objects `commit` adds to its first parent, each with the object
/// it replaces at the same path (the base a delta can be made against):
/// the commit, each tree whose id differs from the parent's at the same
/// path, and each new blob; only the differing paths are read. Without a
/// parent, everything.
pub(crate) fn new_objects(
    repo: &Repository,
    commit: Oid,
) -> Result<Vec<(Oid, Option<Oid>)>, git2::Error> {
    let commit = repo.find_commit(commit)?;
    let tree = commit.tree()?;
    let parent = match commit.parent_count() {
        0 => None,
        _ => Some(commit.parent(0)?.tree()?),
    };
    let mut out = vec![(commit.id(), None)];
    if parent.as_ref().map(Tree::id) != Some(tree.id()) {
        out.push((tree.id(), parent.as_ref().map(Tree::id)));
        walk(repo, parent.as_ref(), &tree, &mut out)?;
    }
    Ok(out)
}

fn walk(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: &Tree<'_>,
    out: &mut Vec<(Oid, Option<Oid>)>,
) -> Result<(), git2::Error> {
    let mut j = 0;
    for entry in new.iter() {
        let mut same_name = None;
        if let Some(old) = old {
            while let Some(candidate) = old.get(j) {
                match order(&candidate, &entry) {
                    std::cmp::Ordering::Less => j += 1,
                    std::cmp::Ordering::Equal => {
                        j += 1;
                        same_name = Some(candidate);
                        break;
                    }
                    std::cmp::Ordering::Greater => break,
                }
            }
        }
        if same_name.as_ref().is_some_and(|o| o.id() == entry.id()) {
            continue;
        }
        let base = same_name
            .as_ref()
            .filter(|o| o.kind() == entry.kind())
            .map(|o| o.id());
        match entry.kind() {
            Some(ObjectType::Tree) => {
                out.push((entry.id(), base));
                let below = repo.find_tree(entry.id())?;
                let before = match base {
                    Some(id) => Some(repo.find_tree(id)?),
                    None => None,
                };
                walk(repo, before.as_ref(), &below, out)?;
            }
            Some(ObjectType::Blob) => out.push((entry.id(), base)),
            // A submodule's commit lives in another repository.
            _ => {}
        }
    }
    Ok(())
}

/// libgit2's pack for `commit` minus what `hidden` reaches (the whole
/// tree walk): for a commit whose parent the remote did not advertise.
pub(crate) fn pack_walk(
    repo: &Repository,
    commit: Oid,
    hidden: &[Oid],
) -> Result<Vec<u8>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.push(commit)?;
    for oid in hidden {
        if repo.find_commit(*oid).is_ok() {
            walk.hide(*oid)?;
        }
    }
    let mut builder = repo.packbuilder()?;
    builder.insert_walk(&mut walk)?;
    let mut buf = git2::Buf::new();
    builder.write_buf(&mut buf)?;
    Ok(buf.to_vec())
}

/// A thin pack of exactly `objects`: each one that replaces an object at
/// the same path is sent as a delta against it (`REF_DELTA`; the remote
/// has the base, it is in the tip it advertised), the others whole. A
/// one-line change in a folder of 20,000 models then sends a few dozen
/// bytes for that folder's tree instead of all of it (about 470 KB), as
/// `git send-pack --thin` does; libgit2 writes no thin packs. The remote
/// resolves and checks every object (`unpack-objects`, `index-pack
/// --fix-thin`) before it moves the ref.
pub(crate) fn thin_pack(
    repo: &Repository,
    objects: &[(Oid, Option<Oid>)],
) -> Result<Vec<u8>, git2::Error> {
    let odb = repo.odb()?;
    let mut out = b"PACK".to_vec();
    out.extend_from_slice(&2u32.to_be_bytes());
    let count = u32::try_from(objects.len()).map_err(|_| protocol("too many objects"))?;
    out.extend_from_slice(&count.to_be_bytes());
    for (oid, base) in objects {
        let object = odb.read(*oid)?;
        let data = object.data();
        let whole = match object.kind() {
            ObjectType::Commit => 1,
            ObjectType::Tree => 2,
            ObjectType::Blob => 3,
            ObjectType::Tag => 4,
            _ => return Err(protocol("an object of unknown type")),
        };
        let delta = base
            .and_then(|b| odb.read(b).ok())
            .map(|b| delta(b.data(), data))
            .filter(|d| d.len() < data.len() / 2);
        match (delta, base) {
            (Some(delta), Some(base)) => {
                entry_header(&mut out, 7, delta.len());
                out.extend_from_slice(base.as_bytes());
                out.extend_from_slice(&deflate(&delta)?);
            }
            _ => {
                entry_header(&mut out, whole, data.len());
                out.extend_from_slice(&deflate(data)?);
            }
        }
    }
    let sum = sha1(&out);
    out.extend_from_slice(&sum);
    Ok(out)
}

/// A pack entry's type and size: 3 bits of type, then the size in 4 + 7n
/// bits, little end first.
fn entry_header(out: &mut Vec<u8>, kind: u8, size: usize) {
    let mut byte = (kind << 4) | (size & 0x0f) as u8;
    let mut rest = size >> 4;
    while rest > 0 {
        out.push(byte | 0x80);
        byte = (rest & 0x7f) as u8;
        rest >>= 7;
    }
    out.push(byte);
}

fn varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A git delta turning `base` into `target`: copy their common prefix,
/// insert the middle, copy their common suffix (an edit changes one
/// stretch of a tree or a values file).
fn delta(base: &[u8], target: &[u8]) -> Vec<u8> {
    let prefix = base.iter().zip(target).take_while(|(a, b)| a == b).count();
    let room = base.len().min(target.len()) - prefix;
    let suffix = base
        .iter()
        .rev()
        .zip(target.iter().rev())
        .take(room)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = Vec::new();
    varint(&mut out, base.len());
    varint(&mut out, target.len());
    copy(&mut out, 0, prefix);
    for chunk in target[prefix..target.len() - suffix].chunks(0x7f) {
        out.push(chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
    copy(&mut out, base.len() - suffix, suffix);
    out
}

/// Copy instructions for `len` bytes of the base from `offset`, in
/// pieces of at most 64 KiB.
fn copy(out: &mut Vec<u8>, mut offset: usize, mut len: usize) {
    while len > 0 {
        let n = len.min(0xffff);
        let mut op = 0x80u8;
        let at = out.len();
        out.push(0);
        for i in 0..4 {
            let b = ((offset >> (8 * i)) & 0xff) as u8;
            if b != 0 {
                op |= 1 << i;
                out.push(b);
            }
        }
        for i in 0..2 {
            let b = ((n >> (8 * i)) & 0xff) as u8;
            if b != 0 {
                op |= 0x10 << i;
                out.push(b);
            }
        }
        out[at] = op;
        offset += n;
        len -= n;
    }
}

/// zlib, fastest level (the deltas are tiny; whole objects are small).
fn deflate(data: &[u8]) -> Result<Vec<u8>, git2::Error> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(data)
        .and_then(|()| z.finish())
        .map_err(|_| protocol("could not compress an object"))
}

/// SHA-1 of the pack, its trailer.
fn sha1(data: &[u8]) -> [u8; 20] {
    sha1_smol::Sha1::from(data).digest().bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies a delta the way git does.
    fn apply(base: &[u8], delta: &[u8]) -> Vec<u8> {
        let mut i = 0;
        let read_varint = |i: &mut usize| {
            let (mut n, mut shift) = (0usize, 0);
            loop {
                let b = delta[*i];
                *i += 1;
                n |= usize::from(b & 0x7f) << shift;
                shift += 7;
                if b & 0x80 == 0 {
                    return n;
                }
            }
        };
        assert_eq!(read_varint(&mut i), base.len());
        let size = read_varint(&mut i);
        let mut out = Vec::new();
        while i < delta.len() {
            let op = delta[i];
            i += 1;
            if op & 0x80 != 0 {
                let (mut offset, mut len) = (0usize, 0usize);
                for k in 0..4 {
                    if op & (1 << k) != 0 {
                        offset |= usize::from(delta[i]) << (8 * k);
                        i += 1;
                    }
                }
                for k in 0..3 {
                    if op & (0x10 << k) != 0 {
                        len |= usize::from(delta[i]) << (8 * k);
                        i += 1;
                    }
                }
                if len == 0 {
                    len = 0x10000;
                }
                out.extend_from_slice(&base[offset..offset + len]);
            } else {
                let n = usize::from(op);
                out.extend_from_slice(&delta[i..i + n]);
                i += n;
            }
        }
        assert_eq!(out.len(), size);
        out
    }

    #[test]
    fn deltas_rebuild_the_target() {
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut changed = big.clone();
        changed[70_000..70_020].copy_from_slice(&[7u8; 20]);
        let mut longer = big.clone();
        longer.splice(100..100, vec![1u8; 300]);
        for (base, target) in [
            (&big[..], &changed[..]),
            (&big[..], &longer[..]),
            (&longer[..], &big[..]),
            (&b"abc"[..], &b"abc"[..]),
            (&b""[..], &b"xyz"[..]),
            (&b"aaaa"[..], &b"aa"[..]),
        ] {
            assert_eq!(apply(base, &delta(base, target)), target);
        }
    }
}
