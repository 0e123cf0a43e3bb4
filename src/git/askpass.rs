//! Asking an askpass program for a username and password, as git's
//! prompt.c does: the program is `GIT_ASKPASS`, else `core.askPass`,
//! else `SSH_ASKPASS` (a variable that is set but empty decides too: no
//! program); it runs with the prompt as its one argument, and the first
//! line of its stdout is the answer. The prompts are git's words
//! (credential.c): `Username for 'https://host': `, then `Password for
//! 'https://user@host': `. What the program says on stderr is shown
//! masked; its answer never is.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use super::mask::mask;
use super::progress::{Event, Progress};

/// The askpass program git would run from `git_dir`, and where it came
/// from (for the error message).
pub(crate) fn program(git_dir: &Path) -> Option<(String, &'static str)> {
    if let Some(set) = std::env::var_os("GIT_ASKPASS") {
        let set = set.to_string_lossy().into_owned();
        return (!set.is_empty()).then_some((set, "GIT_ASKPASS"));
    }
    let configured = Command::new("git")
        .args(["config", "--get", "core.askPass"])
        .current_dir(git_dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim_end_matches('\n')
                .to_string()
        });
    if let Some(set) = configured {
        return (!set.is_empty()).then_some((set, "core.askPass"));
    }
    let set = std::env::var("SSH_ASKPASS").ok()?;
    (!set.is_empty()).then_some((set, "SSH_ASKPASS"))
}

/// `scheme://[user@]host[:port]` of `url`, as git describes a credential.
pub(crate) fn describe(url: &str, user: Option<&str>) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let authority = rest.split('/').next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match user.filter(|u| !u.is_empty()) {
        Some(user) => format!("{scheme}://{user}@{host}"),
        None => format!("{scheme}://{host}"),
    }
}

/// The username (unless `username` is known) and the password for `url`
/// from `program`; `None` when it failed.
pub(crate) fn ask(
    program: &str,
    url: &str,
    username: Option<&str>,
    shown: &mut dyn Progress,
) -> Option<(String, String)> {
    let user = match username {
        Some(user) => user.to_string(),
        None => run(
            program,
            &format!("Username for '{}': ", describe(url, None)),
            shown,
        )?,
    };
    let prompt = format!("Password for '{}': ", describe(url, Some(&user)));
    let pass = run(program, &prompt, shown)?;
    Some((user, pass))
}

/// The first line `program PROMPT` writes, when it succeeds.
fn run(program: &str, prompt: &str, shown: &mut dyn Progress) -> Option<String> {
    let mut child = Command::new(program)
        .arg(prompt)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let mut err = child.stderr.take()?;
    let said = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = err.by_ref().take(64 << 10).read_to_end(&mut text);
        let _ = std::io::copy(&mut err, &mut std::io::sink());
        text
    });
    let mut out = Vec::new();
    let read = child
        .stdout
        .take()?
        .take(64 << 10)
        .read_to_end(&mut out)
        .is_ok();
    let status = child.wait().ok()?;
    let said = said.join().unwrap_or_default();
    for line in mask(&said).lines().filter(|l| !l.trim().is_empty()) {
        shown.event(Event::Said(line));
    }
    if !(read && status.success()) {
        return None;
    }
    let end = out
        .iter()
        .position(|b| *b == b'\n' || *b == b'\r')
        .unwrap_or(out.len());
    String::from_utf8(out[..end].to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn describes_as_git_does() {
        assert_eq!(describe("https://h:8443/a/b.git", None), "https://h:8443");
        assert_eq!(
            describe("https://x:y@h/a.git", Some("bot")),
            "https://bot@h"
        );
    }
}
