//! Writing the commit object, signed when the user's git config asks for it
//! (`commit.gpgsign=true`), so branches that require signed commits accept
//! the push. The signature is made by the same external programs git uses
//! (`gpg`/`gpgsm` for openpgp/x509, `ssh-keygen -Y sign` for ssh), with the
//! same config keys (`gpg.format`, `user.signingkey`, `gpg.program`,
//! `gpg.ssh.program`), so a key that works for `git commit -S` works here.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use git2::{Commit, Oid, Signature, Tree};

use super::config::Snapshot;

use super::local::gerr;
use super::Workspace;
use crate::git::error::{self, Error, Result};

/// Creates the commit object (not moving any ref), signed when configured.
pub(crate) fn create_commit(
    ws: &Workspace,
    author: &Signature<'_>,
    committer: &Signature<'_>,
    message: &str,
    tree: &Tree<'_>,
    parent: &Commit<'_>,
) -> Result<Oid> {
    let config = super::config::of(&ws.repo);
    if !config.bool("commit.gpgsign").unwrap_or(false) {
        return ws
            .repo
            .commit(None, author, committer, message, tree, &[parent])
            .map_err(gerr("could not write the commit"));
    }
    let buffer = ws
        .repo
        .commit_create_buffer(author, committer, message, tree, &[parent])
        .map_err(gerr("could not build the commit"))?;
    let payload = buffer
        .as_str()
        .map_err(|_| error::repository("the commit is not valid UTF-8 and cannot be signed"))?;
    let format = config
        .string("gpg.format")
        .unwrap_or_else(|| "openpgp".into());
    let signature = match format.as_str() {
        "ssh" => ssh_sign(&config, payload)?,
        "openpgp" | "x509" => gpg_sign(&config, &format, payload, committer)?,
        other => {
            return Err(error::repository(format!(
                "commit.gpgsign is true but gpg.format is {other:?}, which mlops does not know"
            ))
            .advised("use gpg.format openpgp, x509 or ssh; nothing was committed"))
        }
    };
    ws.repo
        .commit_signed(payload, &signature, None)
        .map_err(gerr("could not write the signed commit"))
}

/// `ssh-keygen -Y sign -n git -f KEY FILE`, as git runs it.
fn ssh_sign(config: &Snapshot, payload: &str) -> Result<String> {
    let program = config
        .string("gpg.ssh.program")
        .unwrap_or_else(|| "ssh-keygen".into());
    let key = config.string("user.signingkey").ok_or_else(|| {
        sign_error("gpg.format is ssh but user.signingkey is not set", "")
            .advised("set it to your key file: git config user.signingkey ~/.ssh/id_ed25519.pub")
    })?;
    let literal = key.strip_prefix("key::").map(str::to_string).or_else(|| {
        ["ssh-", "ecdsa-", "sk-"]
            .iter()
            .any(|p| key.starts_with(p))
            .then(|| key.clone())
    });
    // A literal public key: the private half is in ssh-agent (-U).
    let mut key_file = None;
    let key_path = match &literal {
        Some(text) => {
            let mut file = tempfile::NamedTempFile::new()?;
            writeln!(file, "{text}")?;
            let path = file.path().to_path_buf();
            key_file = Some(file);
            path
        }
        None => super::config::expand_home(&key),
    };
    let mut data = tempfile::Builder::new().prefix(".mlops-sign-").tempfile()?;
    data.write_all(payload.as_bytes())?;
    data.flush()?;
    let sig_path = PathBuf::from(format!("{}.sig", data.path().display()));
    let mut cmd = Command::new(&program);
    cmd.args(["-Y", "sign", "-n", "git", "-f"])
        .arg(&key_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if literal.is_some() {
        cmd.arg("-U");
    }
    cmd.arg(data.path());
    let out = cmd
        .output()
        .map_err(|e| sign_error(&format!("could not run {program}"), &e.to_string()))?;
    let signature = std::fs::read_to_string(&sig_path);
    let _ = std::fs::remove_file(&sig_path);
    drop(key_file);
    if !out.status.success() {
        return Err(sign_error(
            &format!("{program} -Y sign failed"),
            &String::from_utf8_lossy(&out.stderr),
        ));
    }
    signature.map_err(|e| sign_error(&format!("{program} wrote no signature"), &e.to_string()))
}

/// `gpg --status-fd=2 -bsau KEY`, payload on stdin, signature on stdout.
fn gpg_sign(
    config: &Snapshot,
    format: &str,
    payload: &str,
    committer: &Signature<'_>,
) -> Result<String> {
    let default = if format == "x509" { "gpgsm" } else { "gpg" };
    let program = config
        .string(&format!("gpg.{format}.program"))
        .or_else(|| config.string("gpg.program"))
        .unwrap_or_else(|| default.into());
    let key = config.string("user.signingkey").unwrap_or_else(|| {
        format!(
            "{} <{}>",
            committer.name().unwrap_or(""),
            committer.email().unwrap_or("")
        )
    });
    let mut child = Command::new(&program)
        .args(["--status-fd=2", "-bsau", &key])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| sign_error(&format!("could not run {program}"), &e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(payload.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    let status = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || !status.contains("[GNUPG:] SIG_CREATED ") {
        return Err(sign_error(&format!("{program} could not sign"), &status));
    }
    String::from_utf8(out.stdout)
        .map_err(|e| sign_error("the signature is not text", &e.to_string()))
}

fn sign_error(what: &str, detail: &str) -> Error {
    let detail = detail.trim();
    let message = if detail.is_empty() {
        format!("could not sign the commit: {what}")
    } else {
        format!("could not sign the commit: {what}: {detail}")
    };
    error::repository(message)
        .advised("git config asks for signed commits (commit.gpgsign=true); nothing was committed or pushed")
        .advised("check user.signingkey and gpg.format, e.g. by running git commit -S once")
}
