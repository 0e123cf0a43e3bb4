//! Opening a checkout, reading files at a commit, checking for local
//! changes and composing a commit in the object database.

use std::path::Path;

use git2::build::TreeUpdateBuilder;
use git2::{BranchType, ErrorCode, FileMode, ObjectType, Oid, Repository, RepositoryState};

use super::{identity, FileChange, Options, Workspace};
use crate::error::{self, Error, Kind, Result};
use crate::layout::Snapshot;

/// Wraps a git2 error with what we were doing. The cause keeps libgit2's
/// own words, without its error class and code (`class=Os (2); code=…`),
/// which mean nothing to a user.
pub(crate) fn gerr(what: impl Into<String>) -> impl FnOnce(git2::Error) -> Error {
    let what = what.into();
    move |e| error::git(what).caused_by(anyhow::anyhow!(e.message().to_string()))
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

impl Workspace {
    /// Opens the checkout that encloses `dir`, on its current branch.
    ///
    /// Refuses states where a commit of ours would surprise the user: a
    /// merge or rebase in progress, a detached HEAD, an unborn branch.
    pub fn open(dir: &Path, options: Options) -> Result<Workspace> {
        let repo = discover(dir).map_err(|e| {
            error::failure(format!("{} is not inside a git checkout", dir.display()))
                .caused_by(e)
                .hinted("run mlops inside your mlops-gitops clone, or pass -C DIR, MLOPS_REPO or --clone URL")
        })?;
        let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
            return Err(error::failure(format!(
                "{} is a bare repository: there is no work tree to edit",
                repo.path().display()
            ))
            .hinted("use --clone URL to work on a remote without a checkout"));
        };
        if repo.state() != RepositoryState::Clean {
            return Err(error::failure(format!(
                "{} is in the middle of a {:?}",
                workdir.display(),
                repo.state()
            ))
            .hinted("finish or abort it first (git merge --abort, git rebase --abort, …), then run mlops again"));
        }
        let head = match repo.head() {
            Ok(head) => head,
            Err(e) if e.code() == ErrorCode::UnbornBranch => {
                return Err(error::failure("the checkout has no commits yet")
                    .hinted("commit the repository's files first"));
            }
            Err(e) => return Err(error::git("could not read HEAD").caused_by(e)),
        };
        if !head.is_branch() {
            return Err(
                error::failure("HEAD is detached: there is no branch to commit to").hinted(
                    "check out the branch Argo CD watches (git switch main), or pass --clone URL",
                ),
            );
        }
        let branch = head.shorthand().unwrap_or("HEAD").to_string();
        if let Some(wanted) = &options.branch {
            if wanted != &branch {
                return Err(error::failure(format!(
                    "the checkout is on branch {branch:?}, not {wanted:?}"
                ))
                .hinted(format!("switch to it first (git switch {wanted}), or use --clone URL --branch {wanted}")));
            }
        }
        let base = head
            .peel_to_commit()
            .map_err(gerr("could not read HEAD's commit"))?
            .id();
        drop(head);
        let ws = Workspace {
            repo,
            workdir: Some(workdir),
            branch,
            base,
            head: Some(base),
            options,
            target: None,
            temp: None,
        };
        ws.step(|| {
            format!(
                "opened the checkout {} on branch {} at {base:.10}",
                workdir_display(&ws),
                ws.branch
            )
        });
        Ok(ws)
    }

    /// A snapshot of the base commit's tree, for listing envs and models.
    pub fn tree_snapshot(&self) -> Result<TreeSnapshot<'_>> {
        self.tree_snapshot_at(self.base)
    }

    /// A snapshot of any commit's tree.
    pub fn tree_snapshot_at(&self, commit: Oid) -> Result<TreeSnapshot<'_>> {
        let commit = self
            .repo
            .find_commit(commit)
            .map_err(gerr("could not read the base commit"))?;
        let tree = commit
            .tree()
            .map_err(gerr("could not read the base tree"))?;
        Ok(TreeSnapshot {
            repo: &self.repo,
            tree,
        })
    }

    /// The content of `path` at the base commit, or `None` when it is not
    /// there.
    pub fn read_base(&self, path: &str) -> Result<Option<Vec<u8>>> {
        self.tree_snapshot()?.read(path)
    }

    /// Writes the new blobs and a commit whose parent is [`Self::base`] and
    /// whose tree is the base tree with only `changes` replaced. Nothing
    /// else in the repository moves; the caller decides where it goes.
    pub fn compose(
        &self,
        changes: &[FileChange],
        message: &str,
        warn: &mut dyn FnMut(&str),
    ) -> Result<Oid> {
        let parent = self
            .repo
            .find_commit(self.base)
            .map_err(gerr("could not read the base commit"))?;
        let base_tree = parent
            .tree()
            .map_err(gerr("could not read the base tree"))?;
        let mut update = TreeUpdateBuilder::new();
        for change in changes {
            let mode = base_tree
                .get_path(Path::new(&change.path))
                .ok()
                .map(|entry| entry.filemode())
                .filter(|mode| *mode == i32::from(FileMode::BlobExecutable))
                .map_or(FileMode::Blob, |_| FileMode::BlobExecutable);
            let blob = self
                .repo
                .blob(&change.new)
                .map_err(gerr("could not write a blob"))?;
            update.upsert(&change.path, blob, mode);
        }
        let tree_id = update
            .create_updated(&self.repo, &base_tree)
            .map_err(gerr("could not write the new tree"))?;
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

/// A commit's tree, seen through [`Snapshot`].
pub struct TreeSnapshot<'r> {
    repo: &'r Repository,
    tree: git2::Tree<'r>,
}

impl TreeSnapshot<'_> {
    /// The names of the regular files directly in `dir` (`""`: the top).
    pub fn files(&self, dir: &str) -> Result<Vec<String>> {
        let sub;
        let tree = if dir.is_empty() {
            &self.tree
        } else {
            match self.tree.get_path(Path::new(dir)) {
                Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
                    sub = entry
                        .to_object(self.repo)
                        .and_then(|o| o.peel_to_tree())
                        .map_err(gerr(format!("could not read {dir}")))?;
                    &sub
                }
                _ => return Ok(Vec::new()),
            }
        };
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        Ok(tree
            .iter()
            .filter(|e| e.kind() == Some(ObjectType::Blob))
            .filter_map(|e| e.name().ok().map(|n| format!("{prefix}{n}")))
            .collect())
    }

    /// The blob at `path`, or `None` when there is no such file.
    pub fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let entry = match self.tree.get_path(Path::new(path)) {
            Ok(entry) => entry,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
            Err(e) => {
                return Err(
                    error::git(format!("could not read {path} from the commit")).caused_by(e)
                )
            }
        };
        if entry.kind() != Some(ObjectType::Blob) || entry.filemode() == i32::from(FileMode::Link) {
            return Err(Error::new(
                Kind::Config,
                format!("{path} is not a regular file in the commit"),
            )
            .hinted("mlops only edits regular files; replace the link with the file itself"));
        }
        let blob = self
            .repo
            .find_blob(entry.id())
            .map_err(gerr(format!("could not read {path} from the commit")))?;
        Ok(Some(blob.content().to_vec()))
    }
}

impl Snapshot for TreeSnapshot<'_> {
    fn folders(&self, dir: &str) -> Result<Vec<String>> {
        let tree = match self.tree.get_path(Path::new(dir)) {
            Ok(entry) if entry.kind() == Some(ObjectType::Tree) => entry
                .to_object(self.repo)
                .and_then(|o| o.peel_to_tree())
                .map_err(gerr(format!("could not read {dir}")))?,
            Ok(_) => return Ok(Vec::new()),
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(error::git(format!("could not read {dir}")).caused_by(e)),
        };
        let mut names: Vec<String> = tree
            .iter()
            .filter(|e| e.kind() == Some(ObjectType::Tree))
            .filter_map(|e| e.name().ok().map(str::to_string))
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        Ok(names)
    }

    fn is_file(&self, path: &str) -> Result<bool> {
        match self.tree.get_path(Path::new(path)) {
            Ok(entry) => Ok(entry.kind() == Some(ObjectType::Blob)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(false),
            Err(e) => Err(error::git(format!("could not read {path}")).caused_by(e)),
        }
    }
}
