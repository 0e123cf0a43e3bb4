//! The side band (`side-band-64k`) as git's sideband.c demultiplexes it:
//! band 1 is the data (a pack, a report), band 2 the remote's messages,
//! band 3 its fatal error; an empty packet or another band number is a
//! protocol error. Every band has a limit: data up to the caller's, the
//! messages up to [`MESSAGE_BYTES`] in all.

use std::io::Read;

use super::super::mask::mask;
use super::super::pkt::{io_error, protocol, read_pkt, strip_newline};

/// How much the remote may say on band 2 in one conversation (git's own
/// progress for a large push is a few KiB).
pub const MESSAGE_BYTES: usize = 16 << 20;

/// Reads the side band to its flush: band 1 to `data` (at most `limit`
/// bytes, `what` naming it in the error), band 2 to `said`. Returns the
/// band 1 bytes received.
pub(crate) fn demux<R: Read + ?Sized>(
    r: &mut R,
    what: &str,
    limit: usize,
    data: &mut dyn FnMut(&[u8]) -> Result<(), git2::Error>,
    said: &mut dyn FnMut(&[u8]),
) -> Result<usize, git2::Error> {
    let mut received = 0usize;
    let mut messages = 0usize;
    while let Some(packet) = read_pkt(r).map_err(io_error)? {
        match packet.split_first() {
            Some((1, chunk)) => {
                received += chunk.len();
                if received > limit {
                    return Err(protocol(&format!(
                        "the remote's {what} passed {}; mlops stops reading (a broken or hostile server)",
                        size(limit)
                    )));
                }
                data(chunk)?;
            }
            Some((2, text)) => {
                messages += text.len();
                if messages > MESSAGE_BYTES {
                    return Err(protocol(&format!(
                        "the remote's messages passed {}; mlops stops reading (a broken or hostile server)",
                        size(MESSAGE_BYTES)
                    )));
                }
                said(text);
            }
            Some((3, text)) => {
                return Err(protocol(&format!(
                    "remote error: {}",
                    mask(strip_newline(text))
                )))
            }
            Some((band, _)) => {
                return Err(protocol(&format!(
                    "protocol error: the remote sent bad band #{band}"
                )))
            }
            None => {
                return Err(protocol(
                    "protocol error: the remote sent a packet without its sideband designator",
                ))
            }
        }
    }
    Ok(received)
}

/// `n` bytes in words.
pub(crate) fn size(n: usize) -> String {
    match n {
        n if n >= 1 << 30 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::pkt::pkt;

    #[test]
    fn bands_and_their_limits() {
        let mut stream = pkt(b"\x01abc");
        stream.extend(pkt(b"\x02hello\n"));
        stream.extend(b"0000");
        let (mut data, mut said) = (Vec::new(), Vec::new());
        let n = demux(
            &mut &stream[..],
            "report",
            10,
            &mut |d| {
                data.extend_from_slice(d);
                Ok(())
            },
            &mut |t| said.extend_from_slice(t),
        )
        .unwrap();
        assert_eq!((n, &data[..], &said[..]), (3, &b"abc"[..], &b"hello\n"[..]));
        let err = demux(&mut &stream[..], "report", 2, &mut |_| Ok(()), &mut |_| {}).unwrap_err();
        assert!(
            err.message().contains("report passed 2 bytes"),
            "{}",
            err.message()
        );
        let stream = [pkt(b"\x03bad\x1b[Hthing\n"), b"0000".to_vec()].concat();
        let err = demux(&mut &stream[..], "report", 9, &mut |_| Ok(()), &mut |_| {}).unwrap_err();
        assert_eq!(err.message(), "remote error: bad^[[Hthing");
        let stream = [pkt(b"\x05x"), b"0000".to_vec()].concat();
        assert!(demux(&mut &stream[..], "report", 9, &mut |_| Ok(()), &mut |_| {}).is_err());
    }
}
