//! pkt-lines, the git protocol's framing (v0), and the advertisement a
//! service opens with: shared by the push (src/git/push) and the fetch
//! (src/git/upload.rs).

use std::io::{self, Read};

use git2::Oid;

pub(crate) fn io_error(e: io::Error) -> git2::Error {
    git2::Error::new(
        git2::ErrorCode::GenericError,
        git2::ErrorClass::Net,
        e.to_string(),
    )
}

pub(crate) fn protocol(message: &str) -> git2::Error {
    git2::Error::new(
        git2::ErrorCode::GenericError,
        git2::ErrorClass::Net,
        message,
    )
}

/// One pkt-line: `Some(payload)`, or `None` for a flush (or delimiter).
pub(crate) fn read_pkt<R: Read + ?Sized>(r: &mut R) -> io::Result<Option<Vec<u8>>> {
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

pub(crate) fn pkt(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:04x}", data.len() + 4).into_bytes();
    out.extend_from_slice(data);
    out
}

pub(crate) fn strip_newline(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

/// The advertised refs and capabilities, up to the flush that ends them.
pub(crate) type Advertised = (Vec<(String, Oid)>, Vec<String>);

pub(crate) fn read_advertisement<R: Read + ?Sized>(r: &mut R) -> Result<Advertised, git2::Error> {
    let mut heads = Vec::new();
    let mut capabilities = Vec::new();
    while let Some(line) = read_pkt(r).map_err(io_error)? {
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
    Ok((heads, capabilities))
}
