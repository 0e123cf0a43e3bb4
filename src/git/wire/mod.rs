//! What a server says after the advertisement, read with a limit on
//! everything: the side band ([`sideband`]), the push's report-status
//! ([`report`]) and the upload-pack answer's acknowledgements
//! ([`acks`]). The pkt-line framing and the advertisement are in
//! src/git/pkt.rs. [`fuzz`] runs each parser on arbitrary bytes, for
//! the fuzz targets (fuzz/) and tests/fuzz_regressions.rs.

pub mod fuzz;
pub(crate) mod report;
pub(crate) mod sideband;

use std::io::Read;

use super::mask::mask;
use super::pkt::{err_line, io_error, protocol, read_pkt};

/// How many lines may come before the pack in an upload-pack answer
/// (`shallow`, `ACK … common`: git's own answer to one want has a few).
pub const ACK_LINES: usize = 10_000;

/// Reads an upload-pack answer up to its pack: `shallow` lines, then one
/// `ACK oid` (the first common commit) or `NAK`; an `ERR` line is the
/// server's error.
pub fn acks<R: Read + ?Sized>(answer: &mut R) -> Result<(), git2::Error> {
    for _ in 0..ACK_LINES {
        let Some(line) = read_pkt(answer).map_err(io_error)? else {
            return Err(protocol("the remote ended the fetch without a pack"));
        };
        if line.starts_with(b"NAK") || line.starts_with(b"ACK ") {
            return Ok(());
        }
        if let Some(error) = err_line(&line) {
            return Err(protocol(&format!("the remote refused the fetch: {error}")));
        }
        if !line.starts_with(b"shallow ") {
            return Err(protocol(&format!(
                "the remote answered the fetch unexpectedly: \"{}\"",
                mask(&line[..line.len().min(200)]).trim_end()
            )));
        }
    }
    Err(protocol(&format!(
        "the remote sent more than {ACK_LINES} lines before the pack; mlops stops reading (a broken or hostile server)"
    )))
}
