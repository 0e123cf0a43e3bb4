//! A fetch of one branch's tip in mlops's own words of the upload-pack
//! protocol (v0), on a connection the run already has.
//!
//! Why: a checkout behind its remote learns the remote's tip from the
//! push service's listing, then needs that commit. libgit2's fetch over
//! HTTP(S) opens a connection of its own (a TCP handshake, for HTTPS a TLS
//! one), GETs the upload-pack listing and negotiates in two POSTs (haves,
//! then done): four round trips and a handshake before the pack. mlops
//! knows what it wants (the advertised tip of one branch) and what the
//! remote knows it has (the remote-tracking commit, which came from that
//! remote, and HEAD), so it asks once: `want TIP`, `have ...`, `done`, and
//! the answer is the pack, on the push's kept-alive connection. The pack
//! goes through libgit2's indexer into the object database (a thin pack's
//! bases are taken from there, as `git index-pack --fix-thin` does).
//!
//! What it does not do, and leaves to libgit2's fetch: a shallow
//! repository (the remote would have to be told its boundary), and
//! anything the remote answers unexpectedly.

use std::io::{self, Read};

use git2::{Oid, Repository};

use super::pkt::{pkt, protocol};
use super::wire::acks;
use super::wire::sideband::demux;

/// The capabilities this fetch asks for, of those `offered`: a pack with
/// offset deltas, thin (its bases are here), on the side band, without
/// the remote's progress chatter. `None` when the remote can't send one
/// the way this reads it (no side band).
pub(crate) fn capabilities(offered: &[String]) -> Option<Vec<String>> {
    let has = |c: &str| offered.iter().any(|o| o == c);
    let band = ["side-band-64k", "side-band"]
        .into_iter()
        .find(|b| has(b))?;
    let mut asked = vec![band.to_string()];
    for optional in ["ofs-delta", "thin-pack", "no-progress"] {
        if has(optional) {
            asked.push(optional.to_string());
        }
    }
    asked.push(format!("agent=mlops/{}", env!("CARGO_PKG_VERSION")));
    Some(asked)
}

/// The whole request: `want TIP` with the capabilities, a flush, a `have`
/// for each of `haves`, `done`.
pub(crate) fn request(tip: Oid, haves: &[Oid], capabilities: &[String]) -> Vec<u8> {
    let mut out = pkt(format!("want {tip} {}\n", capabilities.join(" ")).as_bytes());
    out.extend_from_slice(b"0000");
    for have in haves {
        out.extend(pkt(format!("have {have}\n").as_bytes()));
    }
    out.extend(pkt(b"done\n"));
    out
}

/// What the fetch may say it has: commits of `repo` the remote gave it
/// (`known`, e.g. the remote-tracking tip) and HEAD, each once.
pub(crate) fn haves(repo: &Repository, known: &[Oid]) -> Vec<Oid> {
    let head = repo.head().ok().and_then(|h| h.target());
    let mut out: Vec<Oid> = Vec::new();
    for oid in known.iter().copied().chain(head) {
        if !oid.is_zero() && !out.contains(&oid) && repo.find_commit(oid).is_ok() {
            out.push(oid);
        }
    }
    out
}

/// How large a fetched pack may be (it goes to disk, through libgit2's
/// indexer, which checks it as it comes).
pub const PACK_BYTES: usize = 2 << 30;

/// Reads the answer to [`request`]: `ACK oid` or `NAK`, then the pack on
/// band 1 (band 2 is the remote's words, band 3 its error), written into
/// `repo`'s object database and indexed. Returns the bytes received.
/// Everything is read with a limit ([`super::wire`]).
pub(crate) fn receive(
    repo: &Repository,
    answer: &mut dyn Read,
    remote: &mut dyn FnMut(&[u8]),
) -> Result<usize, git2::Error> {
    acks(answer)?;
    let odb = repo.odb()?;
    let mut writer = odb.packwriter()?;
    let received = demux(
        answer,
        "pack",
        PACK_BYTES,
        &mut |data| {
            io::Write::write_all(&mut writer, data)
                .map_err(|e| protocol(&format!("could not store the fetched pack: {e}")))
        },
        remote,
    )?;
    writer.commit()?;
    Ok(received)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_for_one_tip_in_one_request() {
        let tip = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let have = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
        let caps = vec!["side-band-64k".to_string(), "ofs-delta".to_string()];
        let text = String::from_utf8(request(tip, &[have], &caps)).unwrap();
        assert_eq!(
            text,
            "004awant 1111111111111111111111111111111111111111 side-band-64k ofs-delta\n\
             0000\
             0032have 2222222222222222222222222222222222222222\n\
             0009done\n"
        );
    }

    #[test]
    fn takes_only_capabilities_it_reads() {
        let offered: Vec<String> = ["multi_ack", "side-band-64k", "thin-pack", "ofs-delta"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let asked = capabilities(&offered).unwrap();
        assert_eq!(asked[..3], ["side-band-64k", "ofs-delta", "thin-pack"]);
        assert!(capabilities(&["ofs-delta".to_string()]).is_none());
    }
}
