//! The push's report-status (`unpack ok`, then `ok REF` or `ng REF WHY`
//! per ref), read with a limit: [`collect`] takes it off the wire (on the
//! side band or not), [`parse`] reads the verdict on one ref. An `ng`
//! reason is the remote's text: it is masked.

use std::io::Read;

use super::super::mask::mask;
use super::super::pkt::{io_error, pkt, protocol, read_pkt, strip_newline};
use super::sideband::{demux, size};

/// How long a report may be (one ref's is a few dozen bytes).
pub const REPORT_BYTES: usize = 1 << 20;

/// How the remote answered a push.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Report {
    /// The ref was updated.
    Updated,
    /// The ref was not updated, with the remote's reason (masked).
    Refused(String),
}

/// The report's pkt-lines, up to and with their flush: from the side
/// band's band 1 (band 2 to `said`) when `sideband`, else as they come.
pub(crate) fn collect<R: Read + ?Sized>(
    r: &mut R,
    sideband: bool,
    said: &mut dyn FnMut(&[u8]),
) -> Result<Vec<u8>, git2::Error> {
    let mut report = Vec::new();
    if sideband {
        demux(
            r,
            "report",
            REPORT_BYTES,
            &mut |d| {
                report.extend_from_slice(d);
                Ok(())
            },
            said,
        )?;
        return Ok(report);
    }
    while let Some(line) = read_pkt(r).map_err(io_error)? {
        report.extend_from_slice(&pkt(&line));
        if report.len() > REPORT_BYTES {
            return Err(protocol(&format!(
                "the remote's report passed {}; mlops stops reading (a broken or hostile server)",
                size(REPORT_BYTES)
            )));
        }
    }
    report.extend_from_slice(b"0000");
    Ok(report)
}

/// The verdict on `refname` in `report` ([`collect`]).
pub(crate) fn parse(mut report: &[u8], refname: &str) -> Result<Report, git2::Error> {
    let mut verdict = None;
    while let Some(line) = read_pkt(&mut report).map_err(io_error)? {
        let line = strip_newline(&line);
        if let Some(error) = super::super::pkt::err_line(line) {
            return Err(protocol(&error));
        }
        if let Some(status) = line.strip_prefix(b"unpack ") {
            if status != b"ok" {
                return Err(protocol(&format!(
                    "the remote could not store the pack: {}",
                    mask(status)
                )));
            }
        } else if line.strip_prefix(b"ok ") == Some(refname.as_bytes()) {
            verdict = Some(Report::Updated);
        } else if let Some(rest) = line.strip_prefix(b"ng ") {
            let why = rest
                .strip_prefix(refname.as_bytes())
                .and_then(|w| w.strip_prefix(b" "));
            if let Some(why) = why {
                verdict = Some(Report::Refused(mask(why)));
            }
        }
    }
    verdict.ok_or_else(|| protocol(&format!("the remote said nothing about {refname}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_report() {
        let mut report = pkt(b"unpack ok\n");
        report.extend(pkt(b"ok refs/heads/main\n"));
        report.extend(b"0000");
        assert_eq!(parse(&report, "refs/heads/main").unwrap(), Report::Updated);
        let mut report = pkt(b"unpack ok\n");
        report.extend(pkt(
            b"ng refs/heads/main failed \x1b[31mto\x1b]2;x\x07 update\n",
        ));
        report.extend(b"0000");
        assert_eq!(
            parse(&report, "refs/heads/main").unwrap(),
            Report::Refused("failed \x1b[31mto^[]2;x^G update".into())
        );
        let mut report = pkt(b"unpack index-pack abnormal exit\n");
        report.extend(b"0000");
        assert!(parse(&report, "refs/heads/main").is_err());
    }
}
