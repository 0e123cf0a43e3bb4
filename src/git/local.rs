//! Opening a checkout, reading files at a commit, checking for local
//! changes and composing a commit in the object database.

use std::path::Path;

use git2::build::TreeUpdateBuilder;
use git2::{BranchType, ErrorCode, FileMode, ObjectType, Oid, Repository, RepositoryState};

use super::{identity, FileChange, Options, Workspace};
use crate::git::error::{self, Error, Kind, Result};

/// Wraps a git2 error with what we were doing. The cause keeps libgit2's
/// own words, without its error class and code (`class=Os (2); code=…`),
/// which mean nothing to a user.
pub(crate) fn gerr(what: impl Into<String>) -> impl FnOnce(git2::Error) -> Error {
    let what = what.into();
    move |e| error::repository(what).caused_by(anyhow::anyhow!(e.message().to_string()))
}

/// The repository enclosing `start`, with the work tree where git puts it.
///
/// When `.git` is a file (`git clone --separate-git-dir`), libgit2 1.9 takes
/// the parent of the git directory as the work tree unless `core.worktree`
/// says otherwise; git takes the folder that holds the `.git` file. Without
/// this, such a checkout looks empty ("no environments").
pub fn discover(start: &Path) -> std::result::Result<Repository, git2::Error> {
    let repo = Repository::discover(start)?;
    if repo.is_bare() || repo.is_worktree() {
        return Ok(repo);
    }
    let configured = repo
        .config()
        .and_then(|c| c.get_path("core.worktree"))
        .is_ok();
    let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
    let holder = start.ancestors().find(|dir| dir.join(".git").exists());
    if let Some(holder) = holder {
        let linked = holder.join(".git").is_file();
        let same = repo
            .workdir()
            .and_then(|w| w.canonicalize().ok())
            .is_some_and(|w| w == holder);
        if linked && !configured && !same {
            repo.set_workdir(holder, false)?;
        }
    }
    Ok(repo)
}

/// git's refusal of a repository another user owns ("detected dubious
/// ownership", `safe.directory`), when `err` is libgit2's for it: the same
/// words and the same fix, naming the folder git names (the work tree, or
/// a bare repository's own folder). A [`Kind::Checkout`] error, as the
/// other refusals to open.
pub fn dubious_ownership(start: &Path, err: &git2::Error) -> Option<Error> {
    if err.code() != ErrorCode::Owner {
        return None;
    }
    let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
    let dir = start
        .ancestors()
        .find(|d| {
            d.join(".git").exists() || (d.join("HEAD").is_file() && d.join("objects").is_dir())
        })
        .unwrap_or(&start)
        .to_path_buf();
    Some(
        error::checkout(format!(
            "detected dubious ownership in repository at '{}': it belongs to another user, and git (like mlops) will not work in it",
            dir.display()
        ))
        .caused_by(anyhow::anyhow!(err.message().to_string()))
        .advised(format!(
            "to add an exception for this directory, call: git config --global --add safe.directory {}",
            dir.display()
        ))
        .advised("nothing was changed"),
    )
}

impl Workspace {
    /// Opens the checkout that encloses `dir`, on its current branch.
    ///
    /// Refuses states where a commit of ours would surprise the user: a
    /// merge or rebase in progress, a detached HEAD, an unborn branch.
    pub fn open(dir: &Path, options: Options) -> Result<Workspace> {
        super::config_push::check_names(&options)?;
        let repo = discover(dir).map_err(|e| {
            if let Some(refusal) = dubious_ownership(dir, &e) {
                return refusal;
            }
            error::checkout(format!("{} is not inside a git checkout", dir.display()))
                .caused_by(e)
                .advised("run mlops inside your mlops-gitops clone, or pass -C DIR, MLOPS_REPO or --clone URL")
        })?;
        super::config_libgit2::teach_libgit2(&repo);
        let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
            return Err(error::checkout(format!(
                "{} is a bare repository: there is no work tree to edit",
                repo.path().display()
            ))
            .advised("use --clone URL to work on a remote without a checkout"));
        };
        if repo.state() != RepositoryState::Clean {
            return Err(error::checkout(format!(
                "{} is in the middle of a {:?}",
                workdir.display(),
                repo.state()
            ))
            .advised("finish or abort it first (git merge --abort, git rebase --abort, …), then run mlops again"));
        }
        let head = match repo.head() {
            Ok(head) => head,
            Err(e) if e.code() == ErrorCode::UnbornBranch => {
                return Err(error::checkout("the checkout has no commits yet")
                    .advised("commit the repository's files first"));
            }
            Err(e) => return Err(error::repository("could not read HEAD").caused_by(e)),
        };
        // A detached HEAD (CI checkouts) is fine with `--branch NAME`: the
        // change is composed on the remote's NAME, the checkout untouched.
        let current = match (head.is_branch(), &options.branch) {
            (true, _) => Some(head.shorthand().unwrap_or("HEAD").to_string()),
            (false, Some(_)) => None,
            (false, None) => return Err(super::config_push::detached()),
        };
        let base = head
            .peel_to_commit()
            .map_err(gerr("could not read HEAD's commit"))?
            .id();
        drop(head);
        // `--branch NAME` other than the checked-out branch: a review
        // branch composed on the remote's NAME (or --base) and pushed
        // there; the checkout (branch, index, work tree) is not touched.
        let review = options
            .branch
            .clone()
            .filter(|wanted| Some(wanted) != current.as_ref());
        let (branch, workdir, head) = match (review, current) {
            (Some(wanted), _) => (wanted, None, None),
            (None, Some(current)) => (current, Some(workdir), Some(base)),
            (None, None) => return Err(super::config_push::detached()),
        };
        let ws = Workspace {
            link: None,
            repo,
            workdir,
            branch,
            base,
            head,
            options,
            target: None,
            temp: None,
            index_copy: Default::default(),
            changed: Default::default(),
        };
        crate::interrupt::state(format!(
            "before mlops committed or pushed anything: the checkout {} and the remote are as they were",
            workdir_display(&ws)
        ));
        ws.step(|| {
            format!(
                "opened the checkout {} on branch {} at {base:.10}",
                workdir_display(&ws),
                ws.branch
            )
        });
        Ok(ws)
    }

    /// The content of `path` at the base commit, or `None` when it is not
    /// there. A link or a folder there is a [`Kind::Path`] error.
    pub fn read_base(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let commit = self
            .repo
            .find_commit(self.base)
            .map_err(gerr("could not read the base commit"))?;
        let tree = commit
            .tree()
            .map_err(gerr("could not read the base tree"))?;
        let entry = match tree.get_path(Path::new(path)) {
            Ok(entry) => entry,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
            Err(e) => {
                return Err(
                    error::repository(format!("could not read {path} from the commit"))
                        .caused_by(e),
                )
            }
        };
        if entry.kind() != Some(ObjectType::Blob) || entry.filemode() == i32::from(FileMode::Link) {
            return Err(Error::new(
                Kind::Path,
                format!("{path} is not a regular file in the commit"),
            )
            .advised("mlops only edits regular files; replace the link with the file itself"));
        }
        let blob = self
            .repo
            .find_blob(entry.id())
            .map_err(gerr(format!("could not read {path} from the commit")))?;
        Ok(Some(blob.content().to_vec()))
    }

    /// Writes the new blobs and a commit whose parent is [`Self::base`] and
    /// whose tree is the base tree with only `changes` replaced. Nothing
    /// else in the repository moves; the caller decides where it goes.
    /// `written` is the tree [`Self::write_tree`] already wrote for the
    /// same changes on the same base, if it did.
    pub fn compose(
        &self,
        changes: &[FileChange],
        message: &str,
        warn: &mut dyn FnMut(&str),
        written: Option<Oid>,
    ) -> Result<Oid> {
        let parent = self
            .repo
            .find_commit(self.base)
            .map_err(gerr("could not read the base commit"))?;
        let tree_id = match written {
            Some(tree) => tree,
            None => self.write_tree(changes)?,
        };
        let tree = self
            .repo
            .find_tree(tree_id)
            .map_err(gerr("could not read the new tree"))?;
        let (author, committer) = identity::signatures(&self.repo, warn)?;
        let commit =
            super::sign::create_commit(self, &author, &committer, message, &tree, &parent)?;
        self.step(|| {
            let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
            format!(
                "wrote commit {commit:.10} (tree {tree_id:.10}) on {:.10}, changing {}",
                self.base,
                paths.join(", ")
            )
        });
        Ok(commit)
    }

    /// Writes the new blobs and the base tree with only `changes`
    /// replaced, and returns the tree's id.
    fn write_tree(&self, changes: &[FileChange]) -> Result<Oid> {
        self.write_tree_in(&self.repo, changes)
    }

    /// [`Self::write_tree`] through `repo`, a handle on the same
    /// repository (a [`super::quarantine::Quarantine`]'s).
    pub(crate) fn write_tree_in(&self, repo: &Repository, changes: &[FileChange]) -> Result<Oid> {
        let base_tree = repo
            .find_commit(self.base)
            .and_then(|c| c.tree())
            .map_err(gerr("could not read the base tree"))?;
        let mut update = TreeUpdateBuilder::new();
        for change in changes {
            let mode = base_tree
                .get_path(Path::new(&change.path))
                .ok()
                .map(|entry| entry.filemode())
                .filter(|mode| *mode == i32::from(FileMode::BlobExecutable))
                .map_or(FileMode::Blob, |_| FileMode::BlobExecutable);
            let blob = repo
                .blob(&change.new)
                .map_err(gerr("could not write a blob"))?;
            update.upsert(&change.path, blob, mode);
        }
        update
            .create_updated(repo, &base_tree)
            .map_err(gerr("could not write the new tree"))
    }

    /// The local branch's upstream, if it has one: (remote, branch on it).
    pub fn upstream(&self) -> Option<(String, String)> {
        let branch = self
            .repo
            .find_branch(&self.branch, BranchType::Local)
            .ok()?;
        let upstream = branch.upstream().ok()?;
        let name = upstream
            .get()
            .name()
            .ok()?
            .strip_prefix("refs/remotes/")?
            .to_string();
        let remote = self
            .repo
            .branch_upstream_remote(branch.get().name().ok()?)
            .ok()?;
        let remote = remote.as_str().ok()?.to_string();
        let rest = name.strip_prefix(&format!("{remote}/"))?.to_string();
        Some((remote, rest))
    }
}

fn workdir_display(ws: &Workspace) -> String {
    ws.root().display().to_string()
}
