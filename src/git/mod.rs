//! The git layer: plain functions and one [`Workspace`] type, in git terms.
//!
//! A workspace is a repository opened for one edit: either the user's
//! checkout or a temporary bare clone (`--clone`). Edits are composed in the
//! object database on top of [`Workspace::base`] (the commit the change
//! builds on), never from whatever happens to be in the work tree, and the
//! work tree is only brought along afterwards, file by file.

mod askpass;
pub(crate) mod basic;
pub mod clean;
pub mod clone;
pub(crate) mod config;
pub(crate) mod config_libgit2;
pub(crate) mod config_push;
pub mod credentials;
pub mod divergence;
pub(crate) mod error;
pub mod fail;
mod fetch;
mod helper;
pub(crate) mod hooks;
pub(crate) mod http;
pub mod identity;
pub(crate) mod link;
pub mod local;
pub mod mask;
pub mod modified;
pub mod pkt;
pub mod progress;
mod publish;
pub(crate) mod push;
pub(crate) mod quarantine;
pub mod remote;
mod run;
pub mod session;
pub mod sign;
pub mod staged;
pub(crate) mod transport;
pub mod treediff;
pub mod treepath;
pub(crate) mod upload;
pub mod url;
pub mod wire;
pub mod worktree;

use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

/// One file's content before and after the edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Repository-relative path with `/`.
    pub path: String,
    pub old: Vec<u8>,
    pub new: Vec<u8>,
}

/// The git-related options of a command (see CONTRACT.md, "Options").
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub remote: Option<String>,
    pub branch: Option<String>,
    pub base: Option<String>,
    pub retries: u32,
    /// `--quiet`: no progress lines (errors and warnings still print).
    pub quiet: bool,
    /// `--verbose`: explain each git step on stderr.
    pub verbose: bool,
    /// `--clone` for reading history (`mlops log`): the whole branch, not
    /// only its tip.
    pub history: bool,
    /// `--no-verify`: the pre-commit, commit-msg and pre-push hooks do
    /// not run, as with git.
    pub no_verify: bool,
    /// Shows what the git layer has to say ([`progress::Event`]s).
    pub renderer: progress::Renderer,
}

/// The remote branch a workspace publishes to, once fetched.
#[derive(Debug, Clone)]
pub struct Target {
    /// Remote name (`origin`).
    pub remote: String,
    /// Branch on the remote, without `refs/heads/`.
    pub branch: String,
    /// Its tip when fetched; `None` when the branch does not exist yet
    /// (it is then created from [`Target::from`]).
    pub tip: Option<Oid>,
    /// The branch the new one starts from (`--base`, else the remote's
    /// default branch), when [`Target::tip`] is `None`.
    pub from: Option<String>,
    /// The remote's URL with any userinfo redacted, for messages.
    pub url: String,
}

/// A repository opened for one edit.
pub struct Workspace {
    /// The push connection kept from the listing to the push
    /// ([`link::Link`]); declared first so it is dropped before `repo`.
    pub(crate) link: Option<link::Link>,
    repo: Repository,
    /// The work tree, or `None` for a temporary bare clone.
    workdir: Option<PathBuf>,
    /// The local branch that HEAD is on (checkout) or the branch to update
    /// on the remote (clone), without `refs/heads/`.
    branch: String,
    /// The commit the edit is composed on: HEAD, or the remote tip after
    /// [`Workspace::sync`].
    base: Oid,
    /// HEAD when the workspace was opened (checkout only): what the work
    /// tree and index currently reflect.
    head: Option<Oid>,
    options: Options,
    /// Where [`Workspace::publish`] pushes; set by [`Workspace::sync`] or
    /// by the clone.
    target: Option<Target>,
    /// Keeps the temporary clone alive; removed on drop.
    pub(crate) temp: Option<tempfile::TempDir>,
    /// The private copy the repository's index object is, once a change
    /// is on its way (see [`Workspace::use_index_copy`]).
    pub(crate) index_copy: std::cell::RefCell<Option<worktree::IndexCopy>>,
    /// The last [`Workspace::changed_paths`] answer: asked before the push
    /// and again for the checkout update (0.65 ms each at 3 x 2,000).
    pub(crate) changed: std::cell::RefCell<Option<(Oid, Oid, Vec<String>)>>,
}

impl Workspace {
    /// Explains one git step on stderr with `--verbose` (and says nothing
    /// otherwise). The message is built only when it will be shown.
    pub fn step(&self, what: impl FnOnce() -> String) {
        if self.options.verbose && !self.options.quiet {
            let what = what();
            let mut shown = self.options.renderer.start(false);
            shown.event(progress::Event::Step(&what));
        }
    }

    /// The options it was opened with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The repository.
    pub fn repo(&self) -> &Repository {
        &self.repo
    }

    /// The work tree, or `None` for a temporary bare clone.
    pub fn workdir(&self) -> Option<&Path> {
        self.workdir.as_deref()
    }

    /// The local branch HEAD is on (checkout), or the branch to update on
    /// the remote (clone), without `refs/heads/`.
    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// The commit the edit is composed on.
    pub fn base(&self) -> Oid {
        self.base
    }

    /// HEAD when the workspace was opened (checkout only).
    pub fn head(&self) -> Option<Oid> {
        self.head
    }

    /// Where [`Workspace::publish`] pushes, once known.
    pub fn target(&self) -> Option<&Target> {
        self.target.as_ref()
    }

    /// The folder people think of as the repository root.
    pub fn root(&self) -> &Path {
        self.workdir.as_deref().unwrap_or_else(|| self.repo.path())
    }
}
