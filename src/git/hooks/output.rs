//! What a hook prints, shown as git shows it (stdout and stderr together,
//! on stderr, in the order written) but with control characters masked,
//! so the hook goes through a pipe of mlops's own.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::raw::c_int;
use std::process::{Child, ExitStatus};

use crate::git::progress::{Event, Progress};

/// A pipe for the hook's stdout and stderr together, in the order it
/// writes them (both ends closed on exec; the child gets its own copies).
/// The reading end does not block.
pub(super) fn pipe() -> std::io::Result<(File, OwnedFd)> {
    let mut fds: [c_int; 2] = [0; 2];
    // SAFETY: `fds` holds the two descriptors pipe2(2) fills in.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just made and are owned only here.
    let (reader, writer) = unsafe { (File::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // The hook's end blocks, as a terminal or file would for it.
    // SAFETY: fcntl(2) on a descriptor owned here.
    unsafe {
        let flags = libc::fcntl(writer.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(writer.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK);
    }
    Ok((reader, writer))
}

/// Shows each line `child` writes into `reader` until the pipe ends, or
/// until the hook has exited and the pipe is empty (a program the hook
/// left running in the background may keep it open: git does not wait
/// for it either). Returns how the hook ended.
pub(super) fn show(
    mut reader: File,
    child: &mut Child,
    shown: &mut dyn Progress,
) -> std::io::Result<ExitStatus> {
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = [0u8; 8192];
    let mut exited = None;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                pending.extend_from_slice(&buf[..n]);
                while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=end).collect();
                    print(shown, &line[..end]);
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if exited.is_some() {
                    break;
                }
                // Wait for output, or a second, then see whether the
                // hook is still there.
                let mut fd = libc::pollfd {
                    fd: reader.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd.
                unsafe { libc::poll(&mut fd, 1, 1000) };
                if fd.revents == 0 {
                    exited = child.try_wait()?;
                }
            }
            Err(e) => return Err(e),
        }
    }
    if !pending.is_empty() {
        print(shown, &pending);
    }
    match exited {
        Some(status) => Ok(status),
        None => child.wait(),
    }
}

fn print(shown: &mut dyn Progress, line: &[u8]) {
    shown.event(Event::Said(&mask(&String::from_utf8_lossy(line))));
}

/// `text` with control characters shown as `^X` (tabs kept), so a hook
/// cannot move the cursor or recolour the terminal; secrets scrubbed.
pub(crate) fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim_end_matches('\r').chars() {
        match c {
            '\t' => out.push(c),
            '\u{0}'..='\u{1f}' => {
                out.push('^');
                out.push(char::from(c as u8 + 0x40));
            }
            '\u{7f}' => out.push_str("^?"),
            '\u{80}'..='\u{9f}' => out.push('?'),
            _ => out.push(c),
        }
    }
    crate::git::url::scrub(&out)
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn control_characters_are_masked() {
        assert_eq!(mask("a\u{1b}[31mred\tb\r"), "a^[[31mred\tb");
        assert_eq!(mask("bell\u{7}\u{7f}\u{9b}"), "bell^G^??");
    }
}
