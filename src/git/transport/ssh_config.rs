//! Whether the user's ssh could share connections itself, read from the
//! command line and the configuration files it reads, so that `ssh -G`
//! (see [`super::mux`]) is run only when one of them mentions sharing.
//!
//! Why by hand: `ssh -G` is an ssh process (5 ms alone, 8-9 ms while the
//! run loads its index, hyperfine and a traced run at 3 x 2,000 models),
//! and it must end before the connection can start: it was on the path
//! of every SSH run, which is mostly waiting for that connection. The
//! answer read here is one-sided: "no sharing" only when certain (the
//! program is `ssh`, its options are plain ones, and no file it reads,
//! following `Include`, has a `Control…` keyword anywhere); anything
//! else (a wrapper, shell quoting, `-S`, an unreadable file, an
//! `Include` with tokens or a wildcard in a folder) asks `ssh -G`.

use std::path::{Path, PathBuf};

/// Where ssh looks for what a configuration names without a folder.
pub(super) struct Places {
    /// OpenSSH's `~` (the password database's home).
    pub home: PathBuf,
    /// The system's configuration folder, `/etc/ssh`.
    pub system: PathBuf,
}

impl Places {
    /// OpenSSH's: the password database's home and `/etc/ssh`.
    pub(super) fn of_this_user() -> Option<Places> {
        Some(Places {
            home: passwd_home()?,
            system: PathBuf::from("/etc/ssh"),
        })
    }
}

/// The current user's home directory in the password database (where
/// OpenSSH looks for `~/.ssh`).
pub(super) fn passwd_home() -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: all-zero is a valid `passwd` (null pointers, zero ids).
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: `entry`, `buf` and `found` outlive the call, `buf.len()` is
    // its size; on success the strings in `entry` point into `buf`.
    let rc = unsafe {
        libc::getpwuid_r(
            libc::getuid(),
            &mut entry,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut found,
        )
    };
    if rc != 0 || found.is_null() || entry.pw_dir.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated string in `buf`, which is still alive.
    let dir = unsafe { std::ffi::CStr::from_ptr(entry.pw_dir) };
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(dir.to_bytes())))
}

/// OpenSSH's own `Include` depth limit.
const DEPTH: usize = 16;

/// False only when `line` (the ssh command, with `config` added as its
/// `-F` when mlops gives one) surely shares no connection of the user's.
pub(super) fn may_share(line: &str, config: Option<&Path>, places: &Places) -> bool {
    let Some(files) = files(line, config, places) else {
        return true;
    };
    files
        .iter()
        .any(|(file, user)| mentions_sharing(file, *user, places, 0) != Some(false))
}

/// The files ssh reads for `line` (each with whether it is a user's),
/// or `None` when the command line is not one this can read.
fn files(line: &str, config: Option<&Path>, places: &Places) -> Option<Vec<(PathBuf, bool)>> {
    if line.contains(|c: char| "'\"\\$`;|&<>(){}*?[]~#%".contains(c)) {
        return None;
    }
    let mut words = line.split_whitespace();
    if words.next()?.rsplit('/').next()? != "ssh" {
        return None;
    }
    let mut given = config.map(Path::to_path_buf);
    while let Some(word) = words.next() {
        let flags = word.strip_prefix('-')?;
        let letter = flags.chars().next()?;
        if "Fiopl".contains(letter) {
            let value = match &flags[1..] {
                "" => words.next()?,
                rest => rest,
            };
            let key = value.split(['=', ' ']).next()?.to_ascii_lowercase();
            if letter == 'o' && (key.starts_with("control") || key == "include") {
                return None;
            }
            if letter == 'F' {
                given = Some(PathBuf::from(value));
            }
        } else if !flags.chars().all(|c| "46ACTaqvxy".contains(c)) {
            return None;
        }
    }
    Some(match given {
        Some(file) if file == Path::new("none") => Vec::new(),
        // ssh fails on a missing -F file: let `ssh -G` say so.
        Some(file) if !file.is_file() => return None,
        Some(file) => vec![(file, true)],
        None => vec![
            (places.home.join(".ssh/config"), true),
            (places.system.join("ssh_config"), false),
        ],
    })
}

/// Whether `file` (or a file it includes) has a `Control…` keyword;
/// `Some(false)` for a file that does not exist; `None` when it can't
/// be told.
fn mentions_sharing(file: &Path, user: bool, places: &Places, depth: usize) -> Option<bool> {
    if depth > DEPTH {
        return None;
    }
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(false),
        Err(_) => return None,
    };
    for line in text.lines().map(str::trim) {
        let keyword = line
            .split(|c: char| c == '=' || c.is_whitespace())
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if keyword.starts_with("control") {
            return Some(true);
        }
        if keyword == "include" {
            let arguments =
                line[keyword.len()..].trim_start_matches(|c: char| c == '=' || c.is_whitespace());
            for pattern in arguments.split_whitespace() {
                // A quoted name with a space in it was split here.
                if pattern.len() < 2 && pattern.contains('"')
                    || pattern.starts_with('"') != pattern.ends_with('"')
                {
                    return None;
                }
                for included in expand(pattern.trim_matches('"'), user, places)? {
                    match mentions_sharing(&included, user, places, depth + 1) {
                        Some(false) => {}
                        other => return other,
                    }
                }
            }
        }
    }
    Some(false)
}

/// The files an `Include` pattern names, as ssh finds them: `~/` is
/// OpenSSH's home, a relative path is under `~/.ssh` (a user's file) or
/// `/etc/ssh`; wildcards only in the last part. `None` for what this
/// does not expand (tokens, variables, a wildcard in a folder).
fn expand(pattern: &str, user: bool, places: &Places) -> Option<Vec<PathBuf>> {
    if pattern.contains(['%', '$', '[', '"', '\'']) {
        return None;
    }
    let path = match pattern.strip_prefix("~/") {
        Some(rest) => places.home.join(rest),
        None if pattern.starts_with('~') => return None,
        None if pattern.starts_with('/') => PathBuf::from(pattern),
        None if user => places.home.join(".ssh").join(pattern),
        None => places.system.join(pattern),
    };
    let folder = path.parent()?;
    let name = path.file_name()?.to_str()?;
    if folder.to_str()?.contains(['*', '?']) {
        return None;
    }
    if !name.contains(['*', '?']) {
        return Some(vec![path]);
    }
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Some(Vec::new());
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_str().is_some_and(|n| matches(name, n)))
        .map(|e| e.path())
        .collect();
    found.sort();
    Some(found)
}

/// Shell-style `*` and `?` matching of a whole name.
fn matches(pattern: &str, name: &str) -> bool {
    match (pattern.chars().next(), name.chars().next()) {
        (None, None) => true,
        (Some('*'), _) => {
            matches(&pattern[1..], name)
                || name
                    .chars()
                    .next()
                    .is_some_and(|c| matches(pattern, &name[c.len_utf8()..]))
        }
        (Some('?'), Some(c)) => matches(&pattern[1..], &name[c.len_utf8()..]),
        (Some(p), Some(c)) if p == c => matches(&pattern[p.len_utf8()..], &name[c.len_utf8()..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn places(dir: &Path) -> Places {
        fs::create_dir_all(dir.join("home/.ssh")).unwrap();
        fs::create_dir_all(dir.join("etc")).unwrap();
        Places {
            home: dir.join("home"),
            system: dir.join("etc"),
        }
    }

    #[test]
    fn plain_configurations_need_no_probe() {
        let dir = tempfile::tempdir().unwrap();
        let p = places(dir.path());
        assert!(!may_share("ssh", None, &p), "no files at all");
        fs::write(
            p.home.join(".ssh/config"),
            "Host forge\n  HostName 10.0.0.1\n  # ControlMaster auto\n",
        )
        .unwrap();
        fs::write(
            p.system.join("ssh_config"),
            "Include /nonexistent/*.conf\nHost *\n  SendEnv LANG\n",
        )
        .unwrap();
        assert!(!may_share("ssh", None, &p));
        assert!(!may_share(
            "/usr/bin/ssh -i key -o IdentitiesOnly=yes -p 22 -vv",
            None,
            &p
        ));
        let own = dir.path().join("own");
        fs::write(&own, "Host *\n  IdentityFile x\n").unwrap();
        assert!(!may_share(&format!("ssh -F {}", own.display()), None, &p));
        assert!(!may_share("ssh -F none", None, &p));
    }

    #[test]
    fn sharing_anywhere_asks_ssh() {
        let dir = tempfile::tempdir().unwrap();
        let p = places(dir.path());
        fs::create_dir_all(p.home.join(".ssh/conf.d")).unwrap();
        fs::write(
            p.home.join(".ssh/conf.d/work.conf"),
            "Host *\n\tcontrolpath=~/.ssh/cm-%C\n",
        )
        .unwrap();
        fs::write(p.home.join(".ssh/config"), "Include conf.d/*.conf\n").unwrap();
        assert!(may_share("ssh", None, &p), "relative Include under ~/.ssh");
        fs::write(p.home.join(".ssh/config"), "Include conf.d/other-*.conf\n").unwrap();
        assert!(!may_share("ssh", None, &p), "the pattern matches nothing");
        let given = dir.path().join("given");
        fs::write(
            &given,
            format!(
                "Include \"{}\"\n",
                p.home.join(".ssh/conf.d/work.conf").display()
            ),
        )
        .unwrap();
        assert!(
            may_share("ssh", Some(&given), &p),
            "mlops's own -F file includes it"
        );
        fs::write(
            p.system.join("ssh_config"),
            "Host *\n  ControlMaster auto\n",
        )
        .unwrap();
        fs::write(p.home.join(".ssh/config"), "").unwrap();
        assert!(may_share("ssh", None, &p), "the system's file");
        let own = dir.path().join("own");
        fs::write(&own, "").unwrap();
        assert!(
            !may_share(&format!("ssh -F {}", own.display()), None, &p),
            "-F leaves out the system's file"
        );
    }

    #[test]
    fn what_cannot_be_read_asks_ssh() {
        let dir = tempfile::tempdir().unwrap();
        let p = places(dir.path());
        for line in [
            "ssh -o ControlMaster=no",
            "ssh -oControlPath=/tmp/x",
            "ssh -S /tmp/socket",
            "ssh -M",
            "sshpass -p secret ssh",
            "ssh -i 'my key'",
            "ssh -F /nonexistent/config",
            "ssh -o Include=/tmp/x",
        ] {
            assert!(may_share(line, None, &p), "{line}");
        }
        fs::write(p.home.join(".ssh/config"), "Include ~/.ssh/%h.conf\n").unwrap();
        assert!(may_share("ssh", None, &p), "tokens");
        fs::write(p.home.join(".ssh/config"), "Include /etc/*/x.conf\n").unwrap();
        assert!(may_share("ssh", None, &p), "a wildcard in a folder");
        fs::write(p.home.join(".ssh/config"), "Include config\n").unwrap();
        assert!(may_share("ssh", None, &p), "includes itself without end");
        fs::write(p.home.join(".ssh/config"), "Include \"my conf.d/x\"\n").unwrap();
        assert!(may_share("ssh", None, &p), "a quoted name with a space");
    }

    #[test]
    fn wildcards_match_whole_names() {
        assert!(matches("*.conf", "a.conf"));
        assert!(matches("a?c*", "abcdef"));
        assert!(!matches("*.conf", "a.conf.bak"));
        assert!(!matches("?", ""));
    }
}
