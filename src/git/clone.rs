//! `--clone URL`: a temporary bare repository for CI.
//!
//! One shallow (depth 1), single-branch fetch: a CI job only needs the tip
//! it builds on. No work tree is written; the edit is composed in the
//! object database and pushed from there. The temporary directory is
//! removed on every way out: on return and on errors by [`tempfile::TempDir`]'s
//! drop, and on SIGINT/SIGTERM by `crate::interrupt`.

use std::path::Path;

use git2::Repository;

use super::session::{Listing, Session};
use super::transport::local;
use super::url::redact;
use super::{Options, Target, Workspace};
use crate::git::error::{self, Result};

/// For a repository on this machine, the temporary clone reads the
/// remote's objects in place (`objects/info/alternates`, what
/// `git clone --shared` does) instead of copying its whole history: the
/// fetch then finds every object present and transfers none. New objects
/// are still written to the temporary repository and pushed as usual
/// (through git receive-pack); the remote's files are only read.
fn borrow_objects(repo: Repository, path: &Path) -> Result<Repository> {
    let Ok(remote) = Repository::open(path) else {
        return Ok(repo);
    };
    let objects = remote.path().join("objects");
    let Ok(objects) = objects.canonicalize() else {
        return Ok(repo);
    };
    let alternates = repo.path().join("objects/info/alternates");
    let written = std::fs::create_dir_all(repo.path().join("objects/info"))
        .and_then(|()| std::fs::write(&alternates, format!("{}\n", objects.display())));
    if written.is_err() {
        return Ok(repo);
    }
    // Reopen so the object database sees the alternate.
    Repository::open_bare(repo.path())
        .map_err(|e| error::repository("could not reopen the temporary repository").caused_by(e))
}

impl Workspace {
    /// Clones `url` into a temporary bare repository: the branch to update
    /// (`--branch`, else the remote's default branch), or, when that branch
    /// does not exist on the remote yet, `--base` (else the default branch)
    /// to create it from.
    pub fn clone_temp(url: &str, options: Options) -> Result<Workspace> {
        super::config_push::check_names(&options)?;
        let local = local::path(url);
        if let Some(path) = &local {
            if !path.exists() {
                return Err(
                    error::remote(format!("there is no repository at {}", path.display()))
                        .advised("check the --clone URL; nothing was changed"),
                );
            }
        }
        // 0700: other users of the machine don't read a private repository.
        let temp = tempfile::Builder::new()
            .prefix("mlops-clone-")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .map_err(|e| error::other("could not create a temporary folder").caused_by(e))?;
        crate::interrupt::remove_on_signal(temp.path().to_path_buf());
        crate::interrupt::state("before mlops pushed anything: the remote is as it was");
        let repo = Repository::init_bare(temp.path()).map_err(|e| {
            error::repository("could not create the temporary repository").caused_by(e)
        })?;
        let repo = match &local {
            Some(path) => borrow_objects(repo, path)?,
            None => repo,
        };
        let remote = options.remote.clone().unwrap_or_else(|| "origin".into());
        // A named remote, so `url.<base>.insteadOf` from the user's git
        // config applies as it would for `git clone`.
        repo.remote(&remote, url)
            .map_err(|e| error::input(format!("{} is not a git URL", redact(url))).caused_by(e))?;
        super::config_libgit2::teach_libgit2(&repo);
        let mut ws = Workspace {
            link: None,
            repo,
            workdir: None,
            branch: String::new(),
            base: git2::Oid::ZERO_SHA1,
            head: None,
            options,
            target: None,
            temp: Some(temp),
            index_copy: Default::default(),
            changed: Default::default(),
        };
        let session = Session::new(&ws);
        let mut chosen = (String::new(), false);
        let mut choose = |listing: &Listing| -> Result<Option<String>> {
            let default = listing.default.clone();
            let Some(branch) = ws.options.branch.clone().or(default.clone()) else {
                return Err(error::remote(format!(
                    "{} has no default branch (an empty repository?)",
                    redact(url)
                ))
                .advised("name the branch with --branch NAME"));
            };
            let exists = listing.tip(&branch).is_some();
            let from = if exists {
                branch.clone()
            } else {
                match ws.options.base.clone().or(default) {
                    Some(base) if listing.tip(&base).is_some() => base,
                    Some(base) => {
                        return Err(error::remote(format!(
                            "{} has neither branch {branch} nor the base branch {base} to create it from",
                            redact(url)
                        ))
                        .advised("check --branch and --base; nothing was changed"))
                    }
                    None => return Err(error::remote("the remote has no default branch")),
                }
            };
            chosen = (branch, exists);
            Ok(Some(from))
        };
        let depth = if ws.options.history { 0 } else { 1 };
        let (_, fetched) = ws.list_and_fetch(&session, &remote, depth, &mut choose)?;
        let Some((from, tip)) = fetched else {
            return Err(error::repository("internal: nothing was fetched"));
        };
        let (branch, exists) = chosen;
        drop(session);
        ws.step(|| {
            format!(
                "temporary bare clone in {}: {from} is at {tip:.10} ({}){}",
                ws.repo.path().display(),
                if local.is_some() {
                    "objects read from the remote in place"
                } else {
                    "depth 1"
                },
                if exists {
                    String::new()
                } else {
                    format!("; {branch} will be created from it")
                }
            )
        });
        ws.base = tip;
        ws.branch = branch.clone();
        ws.target = Some(Target {
            url: ws.remote_url(&remote),
            remote,
            branch,
            tip: exists.then_some(tip),
            from: (!exists).then_some(from),
        });
        Ok(ws)
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        // The kept connection goes before the repository it belongs to.
        self.link = None;
        super::run::run().end_transfers();
        if let Some(temp) = &self.temp {
            crate::interrupt::forget(temp.path());
        }
    }
}
