//! Where a model's config came from, or went to, in one commit: what
//! `git log --follow` follows. An environment folder renamed whole is
//! recognised by the model folder's tree id under an environment that
//! the other side lacks (exact even when several models hold the same
//! bytes); otherwise git's rename detection (`diff -M`, 50 % similarity,
//! exact renames first) over `model-deployments` pairs the file that was
//! deleted with the one that was added, as `git log --follow` does.

use std::path::Path;

use git2::{Commit, Delta, DiffFindOptions, DiffOptions, Repository, Tree};

use super::layout::{Target, CONFIG, DEPLOYMENTS};
use crate::git::treepath::TreePaths;

/// The model's name in `parent` when `commit` renamed its folder (or its
/// environment's folder) to `target`.
pub(crate) fn renamed_from(
    repo: &Repository,
    commit: &Commit<'_>,
    parent: &Commit<'_>,
    target: &Target,
) -> Option<Target> {
    let (before, after) = (parent.tree().ok()?, commit.tree().ok()?);
    env_renamed(repo, &after, &before, target)
        .or_else(|| moved(repo, &before, &after, target, true))
}

/// The model's name in `commit` when `commit` renamed `target`'s folder
/// (or its environment's folder) of `parent` away.
pub(crate) fn renamed_to(
    repo: &Repository,
    commit: &Commit<'_>,
    parent: &Commit<'_>,
    target: &Target,
) -> Option<Target> {
    let (before, after) = (parent.tree().ok()?, commit.tree().ok()?);
    env_renamed(repo, &before, &after, target)
        .or_else(|| moved(repo, &before, &after, target, false))
}

/// The same model folder (same tree id) in `there`, under an environment
/// that `here` has no folder for: the environment was renamed.
fn env_renamed(
    repo: &Repository,
    here: &Tree<'_>,
    there: &Tree<'_>,
    target: &Target,
) -> Option<Target> {
    let model_dir = here.get_path(Path::new(&target.dir())).ok()?.id();
    let envs = repo
        .find_tree(there.get_path(Path::new(DEPLOYMENTS)).ok()?.id())
        .ok()?;
    envs.iter().find_map(|env| {
        let name = env.name().ok()?;
        let gone = here
            .get_path(Path::new(&format!("{DEPLOYMENTS}/{name}")))
            .is_err();
        let other = Target::new(name, &target.model);
        let same = there.get_path(Path::new(&other.dir())).ok()?.id() == model_dir;
        (gone && same).then_some(other)
    })
}

/// git's rename detection between the two trees under `model-deployments`:
/// the other end of the rename that ends (`into`) or starts at `target`.
fn moved(
    repo: &Repository,
    before: &Tree<'_>,
    after: &Tree<'_>,
    target: &Target,
    into: bool,
) -> Option<Target> {
    let mut opts = DiffOptions::new();
    opts.pathspec(DEPLOYMENTS);
    let mut diff = repo
        .diff_tree_to_tree(Some(before), Some(after), Some(&mut opts))
        .ok()?;
    let mut find = DiffFindOptions::new();
    find.renames(true);
    diff.find_similar(Some(&mut find)).ok()?;
    let path = target.path();
    diff.deltas()
        .filter(|d| d.status() == Delta::Renamed)
        .find_map(|d| {
            let (old, new) = (d.old_file().path()?, d.new_file().path()?);
            let (here, there) = if into { (new, old) } else { (old, new) };
            (here == Path::new(&path))
                .then(|| model_of(there))
                .flatten()
        })
}

/// `model-deployments/<env>/<model>/config.yaml` as a target.
fn model_of(path: &Path) -> Option<Target> {
    let parts: Vec<&str> = path.to_str()?.split('/').collect();
    match parts.as_slice() {
        [top, env, model, file] if *top == DEPLOYMENTS && *file == CONFIG => {
            Some(Target::new(env, model))
        }
        _ => None,
    }
}

/// Whether `target`'s config is in the tree of any commit from `tip`
/// backwards (a model renamed or removed since still has its history,
/// as `git log -- PATH` shows a file that is gone).
pub(crate) fn in_history(repo: &Repository, tip: git2::Oid, target: &Target) -> bool {
    let Ok(mut walk) = repo.revwalk() else {
        return false;
    };
    let Ok(mut paths) = TreePaths::new(repo) else {
        return false;
    };
    if walk.push(tip).is_err() {
        return false;
    }
    let path = target.path();
    walk.filter_map(|id| repo.find_commit(id.ok()?).ok())
        .any(|c| paths.id(c.tree_id(), &path).is_some())
}
