//! A push that sends only what the commit adds, in mlops's own words of
//! the receive-pack protocol, for the remotes reached through a program
//! (a path, `file://`, SSH: src/git/transport).
//!
//! Why: libgit2 builds a push's pack by marking every object of the
//! remote tip's tree as already present (`insert_walk`, libgit2 issue
//! 3364), a walk over the whole repository on every push (tens of
//! thousands of trees and blobs for 3 × 20,000 models), where git's
//! pack-objects walks only the changed paths. mlops knows what its commit
//! adds: the commit, the trees on the way to each changed file and the
//! new blobs. [`new_objects`] finds them by comparing the commit's tree
//! with its parent's, descending only where the ids differ; the pack is
//! built from exactly those (`PackBuilder::insert_object`) and sent with
//! the command `old new ref`, asking for `report-status` and
//! `side-band-64k` as git does. The remote still checks everything: it
//! moves the ref only from `old` (the tip it advertised), and its
//! `fsck`/connectivity check refuses a pack that lacks an object.
//!
//! Over HTTP(S) the pack is libgit2's: its HTTP client can't be handed a
//! pack.

use std::io::{self, Read, Write};

use git2::{ObjectType, Oid, Repository, Tree};

use super::transport::{self, Conversation};
use super::treediff::order;

/// A receive-pack conversation: the advertisement read, the push to come.
pub(crate) struct ReceivePack {
    conversation: Conversation,
    /// The branches (and other refs) as advertised.
    pub heads: Vec<(String, Oid)>,
    capabilities: Vec<String>,
    /// Whether commands were sent (else a flush ends the conversation).
    spoken: bool,
}

impl Drop for ReceivePack {
    /// Leaves as git does when it has nothing to push: a flush, then the
    /// program's end (its stdin closed, src/git/transport).
    fn drop(&mut self) {
        if !self.spoken {
            let _ = self.conversation.write_all(b"0000");
            let _ = self.conversation.flush();
        }
    }
}

/// How the remote answered a push.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Report {
    /// The ref was updated.
    Updated,
    /// The ref was not updated, with the remote's reason.
    Refused(String),
}

fn io_error(e: io::Error) -> git2::Error {
    git2::Error::new(
        git2::ErrorCode::GenericError,
        git2::ErrorClass::Net,
        e.to_string(),
    )
}

fn protocol(message: &str) -> git2::Error {
    git2::Error::new(
        git2::ErrorCode::GenericError,
        git2::ErrorClass::Net,
        message,
    )
}

/// One pkt-line: `Some(payload)`, or `None` for a flush (or delimiter).
fn read_pkt(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut head = [0u8; 4];
    r.read_exact(&mut head)?;
    let len = std::str::from_utf8(&head)
        .ok()
        .and_then(|h| usize::from_str_radix(h, 16).ok())
        .ok_or_else(|| io::Error::other("the remote sent a malformed pkt-line"))?;
    if len < 4 {
        return Ok(None);
    }
    let mut payload = vec![0u8; len - 4];
    r.read_exact(&mut payload)?;
    Ok(Some(payload))
}

fn pkt(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:04x}", data.len() + 4).into_bytes();
    out.extend_from_slice(data);
    out
}

fn strip_newline(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

impl ReceivePack {
    /// Starts `git receive-pack` for `url` and reads its advertisement.
    pub(crate) fn open(url: &str) -> Result<ReceivePack, git2::Error> {
        let mut conversation = transport::receive_pack(url)?;
        let mut heads = Vec::new();
        let mut capabilities = Vec::new();
        while let Some(line) = read_pkt(&mut conversation).map_err(io_error)? {
            let line = strip_newline(&line);
            let (refline, caps) = match line.iter().position(|b| *b == 0) {
                Some(nul) => (&line[..nul], Some(&line[nul + 1..])),
                None => (line, None),
            };
            if let Some(caps) = caps {
                capabilities = String::from_utf8_lossy(caps)
                    .split(' ')
                    .map(str::to_string)
                    .collect();
            }
            let text = String::from_utf8_lossy(refline);
            let Some((oid, name)) = text.split_once(' ') else {
                return Err(protocol("the remote sent a malformed advertisement"));
            };
            if name == "capabilities^{}" || name == ".have" {
                continue;
            }
            let oid = Oid::from_str(oid).map_err(|_| protocol("a malformed object id"))?;
            heads.push((name.to_string(), oid));
        }
        Ok(ReceivePack {
            conversation,
            heads,
            capabilities,
            spoken: false,
        })
    }

    fn can(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }

    /// Sends `old new refname` and `pack`, shows the remote's progress
    /// band through `remote` (`remote:` lines), and returns its verdict on
    /// `refname`.
    pub(crate) fn push(
        &mut self,
        old: Oid,
        new: Oid,
        refname: &str,
        pack: &[u8],
        remote: &mut dyn FnMut(&[u8]),
    ) -> Result<Report, git2::Error> {
        let sideband = self.can("side-band-64k");
        if !self.can("report-status") {
            return Err(protocol("the remote does not report the push's status"));
        }
        let mut caps = vec!["report-status"];
        if sideband {
            caps.push("side-band-64k");
        }
        let agent = format!("agent=mlops/{}", env!("CARGO_PKG_VERSION"));
        caps.push(&agent);
        let command = format!("{old} {new} {refname}\0{}\n", caps.join(" "));
        let mut request = pkt(command.as_bytes());
        request.extend_from_slice(b"0000");
        request.extend_from_slice(pack);
        self.spoken = true;
        let c = &mut self.conversation;
        c.write_all(&request)
            .and_then(|()| c.flush())
            .map_err(io_error)?;
        let mut report = Vec::new();
        if sideband {
            while let Some(packet) = read_pkt(c).map_err(io_error)? {
                match packet.split_first() {
                    Some((1, data)) => report.extend_from_slice(data),
                    Some((2, data)) => remote(data),
                    Some((3, data)) => {
                        return Err(protocol(&format!(
                            "the remote failed: {}",
                            String::from_utf8_lossy(strip_newline(data))
                        )))
                    }
                    _ => {}
                }
            }
        } else {
            while let Some(line) = read_pkt(c).map_err(io_error)? {
                report.extend_from_slice(&pkt(&line));
            }
            report.extend_from_slice(b"0000");
        }
        parse_report(&report, refname)
    }
}

/// The report-status lines: `unpack ok`, then `ok REF` or `ng REF WHY`.
fn parse_report(mut report: &[u8], refname: &str) -> Result<Report, git2::Error> {
    let mut verdict = None;
    while let Some(line) = read_pkt(&mut report).map_err(io_error)? {
        let line = String::from_utf8_lossy(strip_newline(&line)).into_owned();
        if let Some(status) = line.strip_prefix("unpack ") {
            if status != "ok" {
                return Err(protocol(&format!(
                    "the remote could not store the pack: {status}"
                )));
            }
        } else if line.strip_prefix("ok ") == Some(refname) {
            verdict = Some(Report::Updated);
        } else if let Some(rest) = line.strip_prefix("ng ") {
            if let Some(why) = rest.strip_prefix(refname).and_then(|w| w.strip_prefix(' ')) {
                verdict = Some(Report::Refused(why.to_string()));
            }
        }
    }
    verdict.ok_or_else(|| protocol(&format!("the remote said nothing about {refname}")))
}

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
    let fail = || protocol("could not compress an object");
    let src = libz_sys::uLong::try_from(data.len()).map_err(|_| fail())?;
    // SAFETY: `out` has compressBound(len) bytes, the most compress2 writes.
    unsafe {
        let mut len = libz_sys::compressBound(src);
        let mut out = vec![0u8; usize::try_from(len).map_err(|_| fail())?];
        let rc = libz_sys::compress2(out.as_mut_ptr(), &mut len, data.as_ptr(), src, 1);
        if rc != libz_sys::Z_OK {
            return Err(fail());
        }
        out.truncate(usize::try_from(len).map_err(|_| fail())?);
        Ok(out)
    }
}

/// SHA-1 (FIPS 180-4), for the pack's trailer.
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut message = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bits.to_be_bytes());
    for block in message.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6u32),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, word) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_as_fips() {
        let hex = |d: [u8; 20]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(hex(sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        let long = vec![b'a'; 1000];
        assert_eq!(hex(sha1(&long)), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
    }

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

    #[test]
    fn reads_a_report() {
        let mut report = pkt(b"unpack ok\n");
        report.extend(pkt(b"ok refs/heads/main\n"));
        report.extend(b"0000");
        assert_eq!(
            parse_report(&report, "refs/heads/main").unwrap(),
            Report::Updated
        );
        let mut report = pkt(b"unpack ok\n");
        report.extend(pkt(b"ng refs/heads/main failed to update ref\n"));
        report.extend(b"0000");
        assert_eq!(
            parse_report(&report, "refs/heads/main").unwrap(),
            Report::Refused("failed to update ref".into())
        );
        let mut report = pkt(b"unpack index-pack abnormal exit\n");
        report.extend(b"0000");
        assert!(parse_report(&report, "refs/heads/main").is_err());
    }
}
