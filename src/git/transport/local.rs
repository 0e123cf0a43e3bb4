//! A repository on this machine (a path or `file://` URL), reached as git
//! reaches it: through `git upload-pack` and `git receive-pack`.
//!
//! libgit2 serves a plain path with its own local transport before it looks
//! at registered ones, so such a remote is handed to libgit2 as an
//! anonymous remote with a `file://` URL ([`anonymous`]); the
//! remote-tracking ref a named remote would have moved after a push is
//! then moved here ([`track`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{Oid, Remote, Repository};

use super::Program;

/// The repository path of a local URL: `file://PATH` (percent-decoded, as
/// git reads it), or a path, by git's rule (`url_is_local_not_ssh`): no
/// `:` at all, or a `/` before the first `:`. `None` for anything else.
pub(crate) fn path(url: &str) -> Option<PathBuf> {
    if let Some(rest) = url.strip_prefix("file://") {
        return Some(PathBuf::from(decode(rest)));
    }
    if url.is_empty() {
        return None;
    }
    let local = match (url.find(':'), url.find('/')) {
        (None, _) => true,
        (Some(colon), Some(slash)) => slash < colon,
        (Some(_), None) => false,
    };
    local.then(|| PathBuf::from(url))
}

/// `%XX` sequences decoded (what git does to a URL before using it).
pub(crate) fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `git upload-pack PATH` (or receive-pack) for `service`
/// (`git-upload-pack`), with the repository-local variables of the
/// environment removed, as git does for its local transport, so a
/// `GIT_DIR` set for mlops cannot point the remote side elsewhere.
pub(crate) fn program(path: &Path, service: &str) -> Program {
    let mut command = Command::new("git");
    command
        .arg(service.trim_start_matches("git-"))
        .arg(path)
        .env_remove("GIT_PROTOCOL");
    clean_env(&mut command);
    Program {
        command,
        name: "git",
        keep: None,
        missing: "mlops runs git upload-pack and git receive-pack, as git does, to reach a repository on this machine (a path or file:// remote): install git",
    }
}

/// Removes git's `local_repo_env` variables from a child's environment.
pub(crate) fn clean_env(command: &mut Command) {
    for var in [
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_CONFIG",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
        "GIT_OBJECT_DIRECTORY",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_GRAFT_FILE",
        "GIT_INDEX_FILE",
        "GIT_NO_REPLACE_OBJECTS",
        "GIT_REPLACE_REF_BASE",
        "GIT_PREFIX",
        "GIT_SHALLOW_FILE",
        "GIT_COMMON_DIR",
    ] {
        command.env_remove(var);
    }
}

/// For a local `url`, an anonymous remote with its `file://` URL, so the
/// registered transport serves it; `None` otherwise. A relative path is
/// taken from the top of `workdir`, as git takes it (else from the current
/// directory: `--clone ../r.git`).
pub(crate) fn anonymous<'r>(
    repo: &'r Repository,
    url: &str,
    workdir: Option<&Path>,
) -> Result<Option<Remote<'r>>, git2::Error> {
    if url.starts_with("file://") {
        return repo.remote_anonymous(url).map(Some);
    }
    let Some(path) = path(url) else {
        return Ok(None);
    };
    let base = match workdir {
        Some(dir) => dir.to_path_buf(),
        None => std::env::current_dir().unwrap_or_default(),
    };
    let path = base.join(path);
    // Only `%` needs escaping for [`decode`] to give the path back.
    let url = format!("file://{}", path.display().to_string().replace('%', "%25"));
    repo.remote_anonymous(&url).map(Some)
}

/// After a push through an anonymous remote: moves what the named remote
/// tracks `refname` as (`refs/remotes/origin/main`), as a push through the
/// named remote does, by its fetch refspecs.
pub(crate) fn track(repo: &Repository, remote: &str, refname: &str, commit: Oid) {
    let Ok(named) = repo.find_remote(remote) else {
        return;
    };
    for spec in named.refspecs() {
        if spec.direction() != git2::Direction::Fetch || !spec.src_matches(refname) {
            continue;
        }
        if let Ok(buf) = spec.transform(refname) {
            if let Ok(tracking) = buf.as_str() {
                let _ = repo.reference(tracking, commit, true, "mlops: push");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_paths_from_scp_like_addresses() {
        assert_eq!(path("/srv/git/r.git"), Some("/srv/git/r.git".into()));
        assert_eq!(path("../r.git"), Some("../r.git".into()));
        assert_eq!(path("r.git"), Some("r.git".into()));
        assert_eq!(path("./a:b"), Some("./a:b".into()));
        assert_eq!(path("file:///a%20b/r.git"), Some("/a b/r.git".into()));
        assert_eq!(path("host:r.git"), None);
        assert_eq!(path("git@host:org/r.git"), None);
        assert_eq!(path("ssh://host/r.git"), None);
        assert_eq!(path("https://host/r.git"), None);
    }
}
