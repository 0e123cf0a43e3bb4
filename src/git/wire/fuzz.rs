//! Each wire parser on arbitrary bytes, for the fuzz targets (fuzz/) and
//! their stable-toolchain runs (tests/fuzz_regressions.rs). None may
//! panic, loop or grow past its limit, whatever the bytes.

use std::io::Read;

/// pkt-lines to the end of `data`.
pub fn pkt_lines(mut data: &[u8]) {
    while let Ok(line) = super::super::pkt::read_pkt(&mut data) {
        if let Some(line) = line {
            assert!(line.len() + 4 <= super::super::pkt::MAX_PKT);
        }
        if data.is_empty() {
            break;
        }
    }
}

/// A ref advertisement.
pub fn advertisement(data: &[u8]) {
    if let Ok((heads, _)) = super::super::pkt::read_advertisement(&mut &data[..]) {
        assert!(heads.len() <= super::super::pkt::ADVERTISEMENT_REFS);
    }
}

/// A report-status, on the side band and not.
pub fn report(data: &[u8]) {
    for sideband in [false, true] {
        let mut said = |_: &[u8]| {};
        if let Ok(report) = super::report::collect(&mut &data[..], sideband, &mut said) {
            let _ = super::report::parse(&report, "refs/heads/main");
        }
    }
    let _ = super::report::parse(data, "refs/heads/main");
}

/// A side-band stream with a small data limit.
pub fn sideband(data: &[u8]) {
    let mut received = 0;
    let mut said = 0;
    let _ = super::sideband::demux(
        &mut &data[..],
        "pack",
        4096,
        &mut |d| {
            received += d.len();
            Ok(())
        },
        &mut |t| said += super::super::mask::mask(t).len(),
    );
    assert!(received <= 4096);
}

/// An upload-pack answer: acknowledgements, then the pack on the side band.
pub fn upload_response(data: &[u8]) {
    let mut reader: &[u8] = data;
    if super::acks(&mut reader).is_ok() {
        sideband(reader);
    }
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
}

/// Remote text masked for a terminal: no control character but tab,
/// newline and a colour sequence's escape survives.
pub fn mask(data: &[u8]) {
    let shown = super::super::mask::mask(data);
    assert!(shown
        .bytes()
        .all(|b| !b.is_ascii_control() || b == b'\t' || b == b'\n' || b == 0x1b));
}

/// An index file (src/git/worktree/rawindex.rs): what is staged at a
/// path, whether paths are tracked. `None` (libgit2 asked instead) is
/// fine; a panic or a read past the end is not.
pub fn index(data: &[u8]) {
    use super::super::worktree::rawindex::{staged, tracks_any};
    let _ = staged(data, b"model-deployments/test/jukebox/config.yaml");
    let _ = staged(data, b"");
    let _ = tracks_any(data, &[b".gitattributes".to_vec(), b"a".to_vec()]);
}

/// A remote URL (src/git/url.rs): no panic, and a password in it never
/// survives into what is shown.
pub fn url(data: &[u8]) {
    use super::super::url::{has_password, origin, redact, scrub, strip_userinfo, url_user};
    let Ok(url) = std::str::from_utf8(data) else {
        return;
    };
    let _ = origin(url);
    let _ = url_user(url);
    let stripped = strip_userinfo(url);
    let shown = redact(url);
    let _ = scrub(url);
    // The URL's own userinfo (its authority ends at the first `/`) is
    // gone from both, whatever the rest of the URL holds.
    let clean = !url.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"');
    if let (true, Some((scheme, rest))) = (clean, url.split_once("://")) {
        let end = rest.find('/').unwrap_or(rest.len());
        if let Some((_, host)) = rest[..end].rsplit_once('@') {
            let path = &rest[end..];
            assert_eq!(stripped, format!("{scheme}://{host}{path}"), "{url:?}");
            assert!(
                shown.starts_with(&format!("{scheme}://***@{host}")),
                "redact({url:?}) = {shown:?}"
            );
        }
    }
    let _ = has_password(url);
}
