//! Text from the remote, made safe for a terminal as git makes it
//! (sideband.c, `strbuf_add_sanitized`): a control character other than
//! tab and newline is shown as `^` and a letter (`^[` for escape, `^M` for
//! a carriage return, `^?` for DEL), except ANSI colour sequences
//! (`ESC [ 1;31 m`), which git lets through by default; the text ends at
//! a NUL. Bytes that are not UTF-8 are shown as U+FFFD. Every text a
//! server, an SSH client or a helper program says goes through [`mask`]
//! before it is shown: `remote:` lines, `ng` reasons, `ERR` lines, ssh's
//! stderr, an askpass program's complaints.

/// `text` as git would show it.
pub fn mask(text: &[u8]) -> String {
    let text = match text.iter().position(|b| *b == 0) {
        Some(nul) => &text[..nul],
        None => text,
    };
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if !b.is_ascii_control() || b == b'\t' || b == b'\n' {
            out.push(b);
        } else if let Some(len) = colour(&text[i..]) {
            out.extend_from_slice(&text[i..i + len]);
            i += len;
            continue;
        } else {
            out.push(b'^');
            out.push(if b == 0x7f { b'?' } else { 0x40 + b });
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The length of an ANSI colour sequence (`ESC [ digits-and-semicolons m`)
/// at the start of `text`.
fn colour(text: &[u8]) -> Option<usize> {
    if text.len() < 3 || text[0] != 0x1b || text[1] != b'[' {
        return None;
    }
    for (i, b) in text.iter().enumerate().skip(2) {
        match b {
            b'm' => return Some(i + 1),
            b'0'..=b'9' | b';' => {}
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn masks_as_git_does() {
        assert_eq!(mask(b"plain\ttext\n"), "plain\ttext\n");
        assert_eq!(mask(b"\x1b]0;owned\x07x"), "^[]0;owned^Gx");
        assert_eq!(mask(b"a\rb\x7f"), "a^Mb^?");
        assert_eq!(mask(b"\x1b[1;31mred\x1b[m"), "\x1b[1;31mred\x1b[m");
        assert_eq!(mask(b"\x1b[2J"), "^[[2J");
        assert_eq!(mask(b"cut\0here"), "cut");
        assert_eq!(mask("caf\u{e9}".as_bytes()), "caf\u{e9}");
    }
}
