//! Closing the loop after a push (README "Closing the loop"): the pull
//! request on the forge (`--pull-request`) and waiting until Argo CD and
//! KServe have deployed the commit (`--wait`). The push already happened
//! when these run: a failure here says so, and the report still tells
//! what was pushed.

use git2::Oid;

use super::report::Report;
use crate::commands::Context;
use crate::deploy;
use crate::error::{self, Error, Result};
use crate::forge;
use crate::git::Workspace;
use crate::gitops::chart::Autoscaler;

/// `--pull-request` needs a review branch, and both need a push: checked
/// before anything is fetched or written.
pub(super) fn check(ctx: &Context) -> Result<()> {
    let close = &ctx.change.close;
    if ctx.change.dry_run {
        return Ok(());
    }
    let asked = close.flags();
    if !asked.is_empty() && ctx.change.no_push {
        return Err(error::usage(format!(
            "{} needs the push that --no-push leaves out",
            asked.join(", ")
        ))
        .hinted("leave out --no-push, or the other options"));
    }
    if close.pull_request && ctx.repo.branch.is_none() {
        return Err(error::usage(
            "--pull-request needs --branch NAME: the review branch the pull request is opened from",
        )
        .hinted("e.g. --branch jukebox-v3 --pull-request (the branch is created from --base when it does not exist)"));
    }
    if close.forge.is_some() && !close.pull_request {
        return Err(error::usage("--forge applies to --pull-request only"));
    }
    if (close.wait_timeout.is_some() || close.argocd_namespace.is_some()) && !close.wait {
        return Err(error::usage(
            "--wait-timeout and --argocd-namespace apply to --wait only",
        ));
    }
    if let Some(timeout) = &close.wait_timeout {
        crate::deploy::duration(timeout).map_err(|e| {
            error::usage(format!("--wait-timeout {timeout:?}: {e}"))
                .hinted("a number with s, m or h: 90s, 10m, 1h")
        })?;
    }
    Ok(())
}

/// After the push of `commit` to `branch` (or after finding the remote
/// already holding the change): the pull request, then the wait. An
/// error is kept in the report, which ends the run with its exit status.
pub(super) fn after_push(
    ctx: &Context,
    ws: &Workspace,
    commit: Oid,
    want: Option<Autoscaler>,
    report: &mut Report,
) {
    let close = &ctx.change.close;
    if close.pull_request {
        match pull_request(ctx, ws, commit) {
            Ok(pr) => report.pull_request(pr),
            Err(e) => return report.failed(pushed_already(e, ws)),
        }
    }
    if close.wait {
        wait(ctx, commit, want, report);
    }
}

/// `--wait`: the applications that deploy the change, then their models.
fn wait(ctx: &Context, commit: Oid, want: Option<Autoscaler>, report: &mut Report) {
    let close = &ctx.change.close;
    let mut watches = report.deploys().to_vec();
    watches.retain(|w| match &w.after_merge {
        None => true,
        Some(branch) => {
            ctx.ui.info(format!(
                "Not waiting for {}: it deploys {branch}, which gets the change once the pull request is merged.",
                w.application
            ));
            false
        }
    });
    if watches.is_empty() {
        if !report.deploys().is_empty() {
            report.deployed(Vec::new());
            return;
        }
        ctx.ui.info(if report.nothing_changed() {
            "Nothing was pushed: nothing to wait for."
        } else {
            "No Argo CD application deploys this change: nothing to wait for."
        });
        report.deployed(Vec::new());
        return;
    }
    let timeout = close
        .wait_timeout
        .as_deref()
        .and_then(|t| deploy::duration(t).ok())
        .unwrap_or(DEFAULT_TIMEOUT);
    let ask = deploy::Wait {
        watches: &watches,
        commit: commit.to_string(),
        autoscaler: want,
        namespace: close.argocd_namespace.clone(),
        timeout,
    };
    let (deployed, outcome) = deploy::wait(&ask, &mut |line| ctx.ui.info(line));
    if outcome.is_ok() {
        for d in &deployed {
            ctx.ui.info(format!(
                "Deployed: {} is Synced and Healthy at {:.10}, and its InferenceService is Ready",
                d.application,
                commit.to_string()
            ));
        }
    }
    report.deployed(deployed);
    if let Err(e) = outcome {
        report.failed(e);
    }
}

/// `--wait`'s time without `--wait-timeout`.
const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Opens (or finds) the pull request from the pushed branch.
fn pull_request(ctx: &Context, ws: &Workspace, commit: Oid) -> Result<forge::PullRequest> {
    let Some(target) = ws.target() else {
        return Err(error::failure(
            "no remote branch was pushed to open a pull request from",
        ));
    };
    let remote = ws
        .repo()
        .find_remote(&target.remote)
        .map_err(|e| error::git(format!("there is no remote {:?}", target.remote)).caused_by(e))?;
    let url = remote
        .pushurl()
        .ok()
        .flatten()
        .or_else(|| remote.url().ok())
        .unwrap_or("")
        .to_string();
    let message = ws
        .repo()
        .find_commit(commit)
        .ok()
        .and_then(|c| c.message().ok().map(str::to_string))
        .unwrap_or_default();
    let base = ctx.change.base.clone().or_else(|| target.from.clone());
    let ask = forge::Ask {
        remote_url: &url,
        head: &target.branch,
        base: base.as_deref(),
        message: &message,
        assume_gitea: ctx.change.close.forge.is_some(),
        git_dir: ws.repo().path().to_path_buf(),
        settings: ws.http_settings(&url, &target.remote),
        renderer: ws.options().renderer,
    };
    let pr = forge::open(&ask)?;
    let base = if pr.base.is_empty() {
        "its base".to_string()
    } else {
        pr.base.clone()
    };
    if pr.created {
        ctx.ui.info(format!(
            "Opened pull request #{} from {} into {base}: {}",
            pr.number, target.branch, pr.url
        ));
    } else {
        ctx.ui.info(format!(
            "Pull request #{} from {} into {base} is already open: {}",
            pr.number, target.branch, pr.url
        ));
    }
    Ok(pr)
}

/// The error, with what state the remote is in.
fn pushed_already(err: Error, ws: &Workspace) -> Error {
    let branch = ws.target().map_or(ws.branch(), |t| t.branch.as_str());
    err.hinted(format!(
        "the commit is pushed to {branch}; only the step after the push failed"
    ))
}
