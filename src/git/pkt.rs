//! pkt-lines, the git protocol's framing (v0), and the advertisement a
//! service opens with: shared by the push (src/git/push) and the fetch
//! (src/git/upload.rs).
//!
//! Nothing a server sends is trusted: a length is exactly four hex digits
//! (`+fff` and ` 1a0` are refused, where `from_str_radix` would take
//! them), between 4 and git's `LARGE_PACKET_MAX` (65520) or one of the
//! special lines (`0000` flush; `0001` and `0002` are protocol v2's
//! delimiter and response end, which a v0 conversation never has, and
//! `0003` is no line at all: git's pkt-line.c dies on all of those here
//! too). An advertisement is read up to [`ADVERTISEMENT_BYTES`] and
//! [`ADVERTISEMENT_REFS`], so memory stays bounded whatever comes.

use std::io::{self, Read};

use git2::Oid;

use super::mask::mask;

/// git's `LARGE_PACKET_MAX`: the longest pkt-line, its four length bytes
/// included.
pub const MAX_PKT: usize = 65520;

/// How much of an advertisement is read (git keeps every ref in memory;
/// a gitops repository has a handful of branches).
pub const ADVERTISEMENT_BYTES: usize = 16 << 20;

/// How many refs an advertisement may list.
pub const ADVERTISEMENT_REFS: usize = 200_000;

pub(crate) fn io_error(e: io::Error) -> git2::Error {
    protocol(&e.to_string())
}

pub(crate) fn protocol(message: &str) -> git2::Error {
    git2::Error::new(
        git2::ErrorCode::GenericError,
        git2::ErrorClass::Net,
        message,
    )
}

fn bad(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// The length a pkt-line's four bytes give, refusing anything but four
/// hex digits and the lengths no v0 line has.
pub fn pkt_length(head: [u8; 4]) -> io::Result<usize> {
    let shown = || mask(&head);
    if !head.iter().all(u8::is_ascii_hexdigit) {
        return Err(bad(format!(
            "the remote sent a pkt-line whose length \"{}\" is not four hex digits",
            shown()
        )));
    }
    let len = head.iter().fold(0usize, |n, b| {
        n * 16 + (*b as char).to_digit(16).unwrap_or(0) as usize
    });
    match len {
        0 => Ok(0),
        1..=3 => Err(bad(format!(
            "the remote sent a pkt-line of invalid length {}",
            shown()
        ))),
        _ if len > MAX_PKT => Err(bad(format!(
            "the remote sent a pkt-line of length {len}, past git's maximum of {MAX_PKT}"
        ))),
        _ => Ok(len),
    }
}

/// One pkt-line: `Some(payload)` (an empty one for `0004`), or `None`
/// for a flush.
pub fn read_pkt<R: Read + ?Sized>(r: &mut R) -> io::Result<Option<Vec<u8>>> {
    let mut head = [0u8; 4];
    r.read_exact(&mut head).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => {
            bad("the remote hung up in the middle of the conversation".into())
        }
        _ => e,
    })?;
    let len = pkt_length(head)?;
    if len == 0 {
        return Ok(None);
    }
    let mut payload = vec![0u8; len - 4];
    r.read_exact(&mut payload).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => {
            bad("the remote hung up in the middle of a pkt-line".into())
        }
        _ => e,
    })?;
    Ok(Some(payload))
}

pub(crate) fn pkt(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:04x}", data.len() + 4).into_bytes();
    out.extend_from_slice(data);
    out
}

pub(crate) fn strip_newline(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

/// An `ERR <message>` line, as git reads it anywhere in a conversation:
/// the server's own error, masked for the terminal.
pub(crate) fn err_line(line: &[u8]) -> Option<String> {
    strip_newline(line)
        .strip_prefix(b"ERR ")
        .map(|why| format!("remote error: {}", mask(why)))
}

/// The advertised refs and capabilities, up to the flush that ends them.
pub(crate) type Advertised = (Vec<(String, Oid)>, Vec<String>);

pub fn read_advertisement<R: Read + ?Sized>(r: &mut R) -> Result<Advertised, git2::Error> {
    let mut heads = Vec::new();
    let mut capabilities = Vec::new();
    let mut read = 0usize;
    while let Some(line) = read_pkt(r).map_err(io_error)? {
        read += line.len() + 4;
        if read > ADVERTISEMENT_BYTES {
            return Err(protocol(&format!(
                "the remote's ref advertisement passed {} MiB ({} refs so far); mlops stops reading it (a broken or hostile server)",
                ADVERTISEMENT_BYTES >> 20,
                heads.len()
            )));
        }
        if let Some(error) = err_line(&line) {
            return Err(protocol(&error));
        }
        let line = strip_newline(&line);
        let (refline, caps) = match line.iter().position(|b| *b == 0) {
            Some(nul) => (&line[..nul], Some(&line[nul + 1..])),
            None => (line, None),
        };
        if let Some(caps) = caps {
            capabilities = String::from_utf8_lossy(caps)
                .split(' ')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect();
        }
        let malformed = || {
            protocol(&format!(
                "the remote sent a malformed ref advertisement line \"{}\"",
                mask(&refline[..refline.len().min(200)])
            ))
        };
        let Some(space) = refline.iter().position(|b| *b == b' ') else {
            return Err(malformed());
        };
        let (oid, name) = (&refline[..space], &refline[space + 1..]);
        if name == b"capabilities^{}" || name == b".have" {
            continue;
        }
        let oid = std::str::from_utf8(oid)
            .ok()
            .filter(|o| o.len() == 40)
            .and_then(|o| Oid::from_str(o).ok())
            .ok_or_else(malformed)?;
        let Ok(name) = std::str::from_utf8(name) else {
            return Err(malformed());
        };
        if name.is_empty() {
            return Err(malformed());
        }
        if heads.len() == ADVERTISEMENT_REFS {
            return Err(protocol(&format!(
                "the remote's ref advertisement passed {ADVERTISEMENT_REFS} refs; mlops stops reading it (a broken or hostile server)"
            )));
        }
        heads.push((name.to_string(), oid));
    }
    Ok((heads, capabilities))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(bytes: &[u8]) -> io::Result<Option<Vec<u8>>> {
        read_pkt(&mut &bytes[..])
    }

    #[test]
    fn lengths_are_four_hex_digits_in_range() {
        assert_eq!(first(b"0000").unwrap(), None);
        assert_eq!(first(b"0004").unwrap(), Some(vec![]));
        assert_eq!(first(b"0006hi").unwrap(), Some(b"hi".to_vec()));
        for head in [
            &b"0001"[..],
            b"0002",
            b"0003",
            b"+fff",
            b" 1a0",
            b"-001",
            b"fff1",
            b"ffff",
            b"zzzz",
        ] {
            assert!(first(head).is_err(), "{head:?}");
        }
        assert!(first(b"0009hi").is_err(), "a short line");
    }

    #[test]
    fn an_err_line_is_the_servers_error() {
        let mut bytes = pkt(b"ERR access denied\x1b[2J\n");
        bytes.extend(b"0000");
        let err = read_advertisement(&mut &bytes[..]).unwrap_err();
        assert_eq!(err.message(), "remote error: access denied^[[2J");
    }
}
