//! Options given before the subcommand meet the subcommand's own here:
//! a value after the subcommand wins, one before it fills in, and one
//! before it that the subcommand does not take is a usage error, so no
//! option is ever silently ignored.

use crate::cli::{merge_repo, AutoscaleCommand, ChangeArgs, Command, RepoArgs};
use crate::error::{usage, Result};

/// `--retries` when not given.
pub(super) const RETRIES: u32 = 10;

/// The repository and change options that apply to `command`.
pub(super) fn merge(
    top_repo: RepoArgs,
    top_change: ChangeArgs,
    command: &Command,
) -> Result<(RepoArgs, ChangeArgs)> {
    let (name, repo, change) = match command {
        Command::Autoscale(AutoscaleCommand::Enable(a)) => {
            ("autoscale enable", Some(&a.repo), Some(&a.change))
        }
        Command::Autoscale(AutoscaleCommand::Disable(a)) => {
            ("autoscale disable", Some(&a.repo), Some(&a.change))
        }
        Command::Autoscale(AutoscaleCommand::Status(a)) => {
            ("autoscale status", Some(&a.repo), None)
        }
        Command::Set(a) => ("set", Some(&a.repo), Some(&a.change)),
        Command::Log(a) => ("log", Some(&a.repo), None),
        Command::Completions(_) => ("completions", None, None),
        Command::Man(_) => ("man", None, None),
        Command::Demo(_) => ("demo", None, None),
    };
    let repo = match repo {
        Some(sub) => merge_repo(top_repo, sub.clone())?,
        None => {
            refuse(name, &repo_flags(&top_repo))?;
            RepoArgs::default()
        }
    };
    let change = match change {
        Some(sub) => merge_change(top_change, sub.clone()),
        None => {
            refuse(name, &change_flags(&top_change))?;
            ChangeArgs::default()
        }
    };
    if repo.clone.is_some() && change.no_push && !change.dry_run {
        return Err(usage(
            "--no-push with --clone would commit into a temporary clone and throw the commit away",
        )
        .hinted("to see the change without pushing it, use --dry-run"));
    }
    Ok((repo, change))
}

fn merge_change(top: ChangeArgs, sub: ChangeArgs) -> ChangeArgs {
    ChangeArgs {
        dry_run: sub.dry_run || top.dry_run,
        yes: sub.yes || top.yes,
        no_push: sub.no_push || top.no_push,
        message: sub.message.or(top.message),
        retries: sub.retries.or(top.retries),
        base: sub.base.or(top.base),
        no_verify: sub.no_verify || top.no_verify,
        close: sub.close.merge(top.close),
    }
}

fn repo_flags(a: &RepoArgs) -> Vec<&'static str> {
    let mut given = Vec::new();
    if a.repo.is_some() {
        given.push("-C/--repo");
    }
    if a.clone.is_some() {
        given.push("--clone");
    }
    if a.branch.is_some() {
        given.push("--branch");
    }
    if a.remote.is_some() {
        given.push("--remote");
    }
    given
}

fn change_flags(a: &ChangeArgs) -> Vec<&'static str> {
    let mut given = Vec::new();
    for (set, flag) in [
        (a.dry_run, "--dry-run"),
        (a.yes, "--yes"),
        (a.no_push, "--no-push"),
        (a.message.is_some(), "--message"),
        (a.retries.is_some(), "--retries"),
        (a.base.is_some(), "--base"),
        (a.no_verify, "--no-verify"),
    ] {
        if set {
            given.push(flag);
        }
    }
    given.extend(a.close.flags());
    given
}

fn refuse(command: &str, given: &[&str]) -> Result<()> {
    match given {
        [] => Ok(()),
        _ => Err(usage(format!(
            "{} does not apply to `mlops {command}`",
            given.join(", ")
        ))
        .hinted(format!("see mlops {command} --help for its options"))),
    }
}
