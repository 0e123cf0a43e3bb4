//! Which hook runs when, mirroring `git commit -m MSG -- FILES` then
//! `git push` (and, when the remote moved, `git pull --rebase` and
//! `git push` again), as git 2.39 runs them:
//!
//! - `pre-commit` (not with `--no-verify`), no arguments, once.
//! - `prepare-commit-msg FILE message` (mlops's default message counts
//!   as one given with `-m`), then `commit-msg FILE` (not with
//!   `--no-verify`), on `$GIT_DIR/COMMIT_EDITMSG`: the message they leave
//!   there is the commit's, cleaned as `git commit -m` cleans it.
//! - The change is composed from the base commit's blobs, not from the
//!   index, so these three see a temporary index holding exactly the
//!   commit's tree, in `$GIT_DIR/next-index-<pid>.lock`, as git's own for
//!   `git commit -- FILES`, named by `GIT_INDEX_FILE` (`git diff --cached`
//!   lists the changed files when the checkout is at the base). The
//!   repository's index and work tree are not touched. A hook that
//!   changes what is staged is refused: mlops commits only its own change.
//! - `post-commit`, once the commit exists (before the push; with
//!   `--no-push`, after the branch moved). Its exit status is ignored.
//! - `pre-push REMOTE URL` (not with `--no-verify`), before every push
//!   attempt, with git's line on stdin. It runs while mlops holds the
//!   checkout's locks (taken before anything is pushed), so a pre-push
//!   hook can read the index but not write it.
//! - A rebuild on the moved remote is what `git pull --rebase` does:
//!   `prepare-commit-msg FILE message` on the kept message, then
//!   `post-commit`; no `pre-commit`, no `commit-msg` (unless the default
//!   message changed because part of the change was made meanwhile: a
//!   new message is checked as a new commit's).
//!
//! Every commit hook gets `GIT_INDEX_FILE`, `GIT_EDITOR=:` and the
//! author as `GIT_AUTHOR_NAME`/`_EMAIL`/`_DATE`, as git gives them.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use git2::{Index, Oid};

use super::{Hook, Hooks};
use crate::git::error::{self, Result};
use crate::git::{FileChange, Target, Workspace};

/// What a refused commit leaves.
const NOT_COMMITTED: &str =
    "nothing was committed or pushed: your checkout is unchanged (no commit, no file written), the remote is as it was";

impl Hooks {
    /// Runs the hooks of `git commit` before the commit exists:
    /// `pre-commit`, `prepare-commit-msg` and `commit-msg`, all with a
    /// temporary index holding the commit's tree (`written` when it was
    /// written already, else the base tree with `changes`). Returns the
    /// tree when one was written, and the message the hooks leave.
    pub(crate) fn before_commit(
        &self,
        ws: &Workspace,
        changes: &[FileChange],
        written: Option<Oid>,
        message: &str,
    ) -> Result<(Option<Oid>, String)> {
        let pre = self.find_verified("pre-commit");
        let prepare = self.find("prepare-commit-msg");
        let check = self.find_verified("commit-msg");
        if pre.is_none() && prepare.is_none() && check.is_none() {
            return Ok((written, message.to_string()));
        }
        let tree = match written {
            Some(tree) => tree,
            None => ws.write_tree_in(&ws.repo, changes)?,
        };
        let index = TempIndex::new(ws, &self.git_dir, tree)?;
        let env = self.commit_env(ws, index.path.as_os_str().to_os_string());
        if let Some(hook) = &pre {
            self.run(hook, &[], &env, None)
                .map_err(|how| self.refused(hook, "the commit", how, NOT_COMMITTED))?;
        }
        let message = self.edit_message(&env, message, prepare, check)?;
        if index.tree(ws)? != tree {
            return Err(error::hook(
                "a commit hook changed what is staged; mlops commits only the files of its own change",
            )
            .advised(NOT_COMMITTED)
            .advised("make the change with git itself if the hook must rewrite files, or pass --no-verify"));
        }
        Ok((Some(tree), message))
    }

    /// The message of a commit rebuilt on the moved remote, as `git pull
    /// --rebase` makes it: `prepare-commit-msg` runs on the kept message
    /// (`commit-msg` too when the message is a new one, `fresh`).
    pub(crate) fn rebuilt_message(
        &self,
        ws: &Workspace,
        message: &str,
        fresh: bool,
    ) -> Result<String> {
        let check = fresh.then(|| self.find_verified("commit-msg")).flatten();
        let env = self.commit_env(ws, self.index_file());
        self.edit_message(&env, message, self.find("prepare-commit-msg"), check)
    }

    /// Runs `prepare` (`FILE message`) and `check` (`FILE`) on `message`
    /// in `$GIT_DIR/COMMIT_EDITMSG` and returns the message they leave,
    /// cleaned as git cleans it; `message` itself when neither is there.
    fn edit_message(
        &self,
        env: &[(&str, OsString)],
        message: &str,
        prepare: Option<Hook>,
        check: Option<Hook>,
    ) -> Result<String> {
        if prepare.is_none() && check.is_none() {
            return Ok(message.to_string());
        }
        let file = self.git_dir.join("COMMIT_EDITMSG");
        let shown = self.in_git_dir("COMMIT_EDITMSG");
        let shown = shown.to_string_lossy();
        let mut text = message.to_string();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        let io = |what: &str, e: std::io::Error| {
            error::other(format!("could not {what} {}", file.display())).caused_by(e)
        };
        fs::write(&file, text).map_err(|e| io("write", e))?;
        if let Some(hook) = &prepare {
            self.run(hook, &[&shown, "message"], env, None)
                .map_err(|how| self.refused(hook, "the commit", how, NOT_COMMITTED))?;
        }
        if let Some(hook) = &check {
            self.run(hook, &[&shown], env, None)
                .map_err(|how| self.refused(hook, "the commit message", how, NOT_COMMITTED))?;
        }
        let edited = fs::read(&file).map_err(|e| io("read", e))?;
        let cleaned = stripspace(&String::from_utf8_lossy(&edited));
        if cleaned.is_empty() {
            return Err(
                error::hook("Aborting commit due to empty commit message.").advised(NOT_COMMITTED)
            );
        }
        Ok(cleaned)
    }

    /// Runs `post-commit`; as with git, how it ends changes nothing.
    pub(crate) fn post_commit(&self, ws: &Workspace) {
        if let Some(hook) = self.find("post-commit") {
            let env = self.commit_env(ws, self.index_file());
            let _ = self.run(&hook, &[], &env, None);
        }
    }

    /// Runs `pre-push REMOTE URL` with git's stdin line for pushing
    /// `commit` (from `local`, a ref or the commit's id) onto `branch`,
    /// now at `old` (`None`: created).
    fn pre_push(
        &self,
        (remote, url): (&str, &str),
        local: &str,
        commit: Oid,
        branch: &str,
        old: Option<Oid>,
    ) -> Result<()> {
        let Some(hook) = self.find_verified("pre-push") else {
            return Ok(());
        };
        let line = format!(
            "{local} {commit} refs/heads/{branch} {}\n",
            old.unwrap_or(Oid::ZERO_SHA1)
        );
        self.run(&hook, &[remote, url], &[], Some(line.as_bytes()))
            .map_err(|how| {
                self.refused(
                    &hook,
                    &format!("the push to {remote}/{branch}"),
                    how,
                    "nothing was pushed: the remote is as it was, and your checkout is unchanged",
                )
            })
    }

    /// Runs `pre-push` for pushing `commit` to `target` from `ws`: the
    /// remote's name and push URL as arguments; the local ref is the
    /// checked-out branch, or the commit's id for a review branch (as
    /// `git push origin <commit>:refs/heads/<branch>` names it).
    pub(crate) fn before_push(&self, ws: &Workspace, target: &Target, commit: Oid) -> Result<()> {
        if !self.verify || self.dir.is_none() {
            return Ok(());
        }
        let url = ws
            .repo
            .find_remote(&target.remote)
            .ok()
            .and_then(|r| {
                let push = r.pushurl().ok().flatten().map(str::to_string);
                push.or_else(|| r.url().ok().map(str::to_string))
            })
            .unwrap_or_else(|| target.url.clone());
        let local = match ws.head {
            Some(_) => format!("refs/heads/{}", ws.branch),
            None => commit.to_string(),
        };
        self.pre_push(
            (&target.remote, &url),
            &local,
            commit,
            &target.branch,
            target.tip,
        )
    }

    /// The repository's index file, as git names it to hooks.
    fn index_file(&self) -> OsString {
        match std::env::var_os("GIT_INDEX_FILE") {
            Some(file) => file,
            None => self.in_git_dir("index").into_os_string(),
        }
    }

    /// What git adds for the commit hooks.
    fn commit_env(&self, ws: &Workspace, index: OsString) -> Vec<(&'static str, OsString)> {
        let mut env = vec![("GIT_INDEX_FILE", index), ("GIT_EDITOR", ":".into())];
        if let Ok((author, _)) = crate::git::identity::signatures(&ws.repo, &mut |_: &str| {}) {
            let when = author.when();
            let offset = when.offset_minutes();
            let sign = if offset < 0 { '-' } else { '+' };
            let date = format!(
                "@{} {sign}{:02}{:02}",
                when.seconds(),
                offset.abs() / 60,
                offset.abs() % 60
            );
            env.push(("GIT_AUTHOR_NAME", author.name_bytes().to_vec().into_os()));
            env.push(("GIT_AUTHOR_EMAIL", author.email_bytes().to_vec().into_os()));
            env.push(("GIT_AUTHOR_DATE", date.into()));
        }
        env
    }
}

/// Bytes as an `OsString` (names need not be UTF-8).
trait IntoOs {
    fn into_os(self) -> OsString;
}

impl IntoOs for Vec<u8> {
    fn into_os(self) -> OsString {
        use std::os::unix::ffi::OsStringExt;
        OsString::from_vec(self)
    }
}

/// The index the pre-commit hook sees: `$GIT_DIR/next-index-<pid>.lock`
/// (git's name for the index of `git commit -- FILES`) holding the
/// commit's tree, with the repository's index's file stamps for the
/// entries that did not change; removed when dropped.
struct TempIndex {
    path: PathBuf,
}

impl TempIndex {
    fn new(ws: &Workspace, git_dir: &Path, tree: Oid) -> Result<TempIndex> {
        let path = git_dir.join(format!("next-index-{}.lock", std::process::id()));
        let shown = path.display().to_string();
        let fail = |e: &dyn std::fmt::Display| {
            error::other(format!("could not write {shown}"))
                .caused_by(anyhow::anyhow!(e.to_string()))
        };
        crate::interrupt::watch();
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| fail(&e))?;
        crate::interrupt::hold_lock(path.clone());
        let index = TempIndex { path };
        if let Ok(bytes) = fs::read(git_dir.join("index")) {
            fs::write(&index.path, bytes).map_err(|e| fail(&e))?;
        }
        let tree = ws.repo.find_tree(tree).map_err(|e| fail(&e))?;
        // An index libgit2 cannot read (a split index) gives no stamps.
        let opened = Index::open(&index.path).or_else(|_| {
            let _ = fs::remove_file(&index.path);
            Index::open(&index.path)
        });
        let mut opened = opened.map_err(|e| fail(&e))?;
        opened.read_tree(&tree).map_err(|e| fail(&e))?;
        opened.write().map_err(|e| fail(&e))?;
        Ok(index)
    }

    /// The tree the index holds now (after the hook).
    fn tree(&self, ws: &Workspace) -> Result<Oid> {
        Index::open(&self.path)
            .and_then(|mut index| index.write_tree_to(&ws.repo))
            .map_err(|e| {
                error::other("could not read the index the pre-commit hook saw").caused_by(e)
            })
    }
}

impl Drop for TempIndex {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        crate::interrupt::release_lock(&self.path);
    }
}

/// The message as `git commit -m` leaves it (cleanup "whitespace"):
/// trailing spaces cut, runs of blank lines made one, no blank lines at
/// the start or end, each line ending in a newline.
fn stripspace(text: &str) -> String {
    let mut out = String::new();
    let mut blank = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::stripspace;

    #[test]
    fn messages_are_cleaned_as_git_commit_m_cleans_them() {
        assert_eq!(
            stripspace("\n\nsubject  \n\n\n\nbody\t\n\n"),
            "subject\n\nbody\n"
        );
        assert_eq!(stripspace("# kept\n"), "# kept\n");
        assert_eq!(stripspace(" \n\n"), "");
    }
}
