//! The flow shared by `enable` and `disable`: locate, edit, diff, confirm,
//! commit, push.
//!
//! The edit is computed from the base commit's blobs (the remote tip when
//! pushing, HEAD with `--no-push`), not from the work tree, so the commit
//! holds exactly the named files and nothing the user happened to have
//! lying around. The work tree follows once the commit is final.

use git2::Oid;
use serde::Serialize;

use super::pick;
use crate::cli::EditArgs;
use crate::commands::Context;
use crate::edit::{self, Outcome};
use crate::error::{self, Error, Kind, Result};
use crate::git::worktree::one_line;
use crate::git::{FileChange, Workspace};
use crate::layout::{self, FsSnapshot, Target};
use crate::ui::{diff, prompt};

/// Which way the switch goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    On,
    Off,
}

impl Switch {
    pub fn value(self) -> bool {
        self == Switch::On
    }

    fn verb(self) -> &'static str {
        match self {
            Switch::On => "Enable",
            Switch::Off => "Disable",
        }
    }
}

/// One model in one environment, as the JSON report lists it.
#[derive(Debug, Clone, Serialize)]
struct Entry {
    env: String,
    model: String,
    path: String,
}

impl From<&Target> for Entry {
    fn from(t: &Target) -> Self {
        Entry {
            env: t.env.clone(),
            model: t.model.clone(),
            path: t.path(),
        }
    }
}

/// The `enable`/`disable --output json` document (CONTRACT.md), extended
/// after a push with where it went, how many attempts it took and which
/// Argo CD applications will deploy it.
#[derive(Debug, Default, Serialize)]
struct Report {
    changed: Vec<Entry>,
    unchanged: Vec<Entry>,
    commit: Option<String>,
    pushed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_branch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    applications: Option<Vec<String>>,
}

/// The edits for one base commit.
struct Plan {
    changes: Vec<(Target, FileChange)>,
    unchanged: Vec<Target>,
}

pub fn run(ctx: &Context, args: &EditArgs, switch: Switch) -> Result<u8> {
    if ctx.global.clone.is_some() && ctx.global.no_push && !ctx.global.dry_run {
        return Err(error::usage(
            "--no-push with --clone would commit into a temporary clone and throw the commit away",
        )
        .hinted("to see the change without pushing it, use --dry-run"));
    }
    pick::check(ctx, args)?;
    let mut ws = open(ctx)?;
    let pushing = !ctx.global.dry_run && !ctx.global.no_push;
    if pushing && ws.workdir.is_some() {
        ws.sync()?;
    }
    let (envs, models) = pick::targets(ctx, &ws, args, switch)?;
    let targets = resolve(&ws, &envs, &models)?;
    let plan = plan(&ws, &targets, switch)?;
    check_checkout(ctx, &ws, &plan, &targets)?;
    let mut report = Report {
        unchanged: plan.unchanged.iter().map(Entry::from).collect(),
        ..Report::default()
    };
    for target in &plan.unchanged {
        ctx.ui.info(format!(
            "{}: autoscaling is already {} (unchanged)",
            target.path(),
            switch.value()
        ));
    }
    if plan.changes.is_empty() {
        ctx.ui.info("Nothing to change.");
        if pushing {
            catch_up(ctx, &ws);
        }
        return finish(ctx, &report);
    }
    for (_, change) in &plan.changes {
        ctx.ui.show(diff::render(
            &ctx.ui,
            &change.path,
            &change.old,
            &change.new,
        ))?;
    }
    report.changed = plan.changes.iter().map(|(t, _)| Entry::from(t)).collect();
    if ctx.global.dry_run {
        ctx.ui
            .info("Dry run: nothing was written, committed or pushed.");
        return finish(ctx, &report);
    }
    confirm(ctx, pushing)?;
    let message = message(ctx, switch, &plan);
    let mut warn = |w: &str| ctx.ui.warn(w);
    let commit = ws.compose(&changes(&plan), &message, &mut warn)?;
    if pushing {
        push(
            ctx,
            &mut ws,
            commit,
            (&targets, switch),
            &message,
            &mut report,
        )?;
    } else {
        commit_locally(ctx, &ws, commit, &message, &mut report)?;
    }
    finish(ctx, &report)
}

/// In a checkout: no target may hold someone's uncommitted work, and every
/// target must be writable, before anything is committed.
fn check_checkout(ctx: &Context, ws: &Workspace, plan: &Plan, targets: &[Target]) -> Result<()> {
    if ws.workdir.is_none() {
        return Ok(());
    }
    ws.check_clean_towards(&final_contents(plan))?;
    if !ctx.global.dry_run {
        let paths: Vec<String> = targets.iter().map(Target::path).collect();
        ws.check_writable(&paths)?;
    }
    Ok(())
}

/// When the remote already has the change, a checkout that is behind is
/// brought to the remote's tip (like `git pull --ff-only`), so its files
/// show what the remote has. A checkout with local changes in the way
/// stays as it is, with a note: nothing is lost either way.
fn catch_up(ctx: &Context, ws: &Workspace) {
    if ws.workdir.is_none() || ws.head == Some(ws.base) {
        return;
    }
    let moved = ws.advance_checkout(ws.base, "mlops: fast-forward to the remote branch");
    match moved {
        Ok(()) => ctx.ui.info(format!(
            "Brought the checkout up to the remote branch ({}).",
            short(&ws.base.to_string())
        )),
        Err(e) => ctx.ui.warn(format!(
            "the checkout is behind the remote and was left as it is ({}); git pull --ff-only brings it along",
            one_line(&e)
        )),
    }
}

/// `--no-push`: the checkout's branch moves to the new commit.
fn commit_locally(
    ctx: &Context,
    ws: &Workspace,
    commit: Oid,
    message: &str,
    report: &mut Report,
) -> Result<()> {
    ws.advance_checkout(commit, &format!("mlops: {message}"))?;
    report.commit = Some(commit.to_string());
    ctx.ui.info(format!(
        "Committed {} on {}: {} (not pushed: --no-push)",
        short(&commit.to_string()),
        ws.branch,
        first_line(message)
    ));
    Ok(())
}

/// Pushes the commit, rebuilding it on the new tip when someone else
/// pushed first, then brings the checkout along and says what Argo CD
/// will deploy.
fn push(
    ctx: &Context,
    ws: &mut Workspace,
    commit: Oid,
    (targets, switch): (&[Target], Switch),
    message: &str,
    report: &mut Report,
) -> Result<()> {
    let mut rebuild = |ws: &Workspace| -> Result<Option<Oid>> {
        let plan = self::plan(ws, targets, switch)?;
        if plan.changes.is_empty() {
            return Ok(None);
        }
        let message = self::message(ctx, switch, &plan);
        ws.compose(&changes(&plan), &message, &mut |_: &str| {})
            .map(Some)
    };
    // The checkout's locks are taken before anything reaches the remote:
    // a lock someone else holds stops the run here, with nothing pushed.
    let handle = ws.lock_handle()?;
    let lock = handle.as_ref().map(|h| h.lock(ws)).transpose()?;
    let Some(pushed) = ws.publish(commit, &mut rebuild)? else {
        drop(lock);
        ctx.ui
            .info("Someone else already made this change: nothing to push.");
        catch_up(ctx, ws);
        report.changed.clear();
        report.unchanged = targets.iter().map(Entry::from).collect();
        return Ok(());
    };
    let reflog = format!("mlops: {message}");
    if let Some(warning) = ws.follow(lock, pushed.commit, &pushed.remote_branch, &reflog) {
        ctx.ui.warn(warning);
    }
    report.commit = Some(pushed.commit.to_string());
    report.pushed = true;
    report.remote_branch = Some(pushed.remote_branch.clone());
    report.attempts = Some(pushed.attempts);
    report.applications = Some(super::announce::pushed(ctx, ws, &pushed));
    Ok(())
}

/// The checkout (`-C`, `MLOPS_REPO`, the current directory) or a
/// temporary clone (`--clone`).
pub fn open(ctx: &Context) -> Result<Workspace> {
    match &ctx.global.clone {
        Some(url) => Workspace::clone_temp(url, ctx.git_options()),
        None => Workspace::open(&ctx.start_dir(), ctx.git_options()),
    }
}

/// Checks that every env and model exists: in the work tree for a
/// checkout (what the user sees), in the fetched tree for a clone.
fn resolve(ws: &Workspace, envs: &[String], models: &[String]) -> Result<Vec<Target>> {
    match &ws.workdir {
        Some(dir) => layout::resolve(&FsSnapshot::new(dir)?, envs, models),
        None => layout::resolve(&ws.tree_snapshot()?, envs, models),
    }
}

/// Runs the edit engine on each target's content at the base commit.
fn plan(ws: &Workspace, targets: &[Target], switch: Switch) -> Result<Plan> {
    let mut plan = Plan {
        changes: Vec::new(),
        unchanged: Vec::new(),
    };
    for target in targets {
        let path = target.path();
        let Some(old) = ws.read_base(&path)? else {
            return Err(error::config(format!(
                "{path} is not in the commit mlops would build on ({})",
                short(&ws.base.to_string())
            ))
            .hinted(
                "commit the new model's config.yaml (and push it) first, then run mlops again",
            ));
        };
        match edit::set_autoscaling(&old, switch.value()) {
            Ok(Outcome::Unchanged) => plan.unchanged.push(target.clone()),
            Ok(Outcome::Changed { bytes, .. }) => plan.changes.push((
                target.clone(),
                FileChange {
                    path,
                    old,
                    new: bytes,
                },
            )),
            Err(refusal) => return Err(refused(&path, refusal)),
        }
    }
    Ok(plan)
}

/// "path:line: reason" with the engine's hint, exit 3.
fn refused(path: &str, refusal: edit::Refusal) -> Error {
    let at = refusal
        .line
        .map_or(path.to_string(), |line| format!("{path}:{line}"));
    let mut err = Error::new(Kind::Config, format!("{at}: {}", refusal.reason));
    if !refusal.hint.is_empty() {
        err = err.hinted(refusal.hint);
    }
    err.hinted("nothing was written")
}

/// Each target's path with the content the edit gives it (none for the
/// unchanged ones), for the check that the work tree is not in the way.
fn final_contents(plan: &Plan) -> Vec<(String, Option<Vec<u8>>)> {
    let changed = plan
        .changes
        .iter()
        .map(|(_, c)| (c.path.clone(), Some(c.new.clone())));
    let unchanged = plan.unchanged.iter().map(|t| (t.path(), None));
    changed.chain(unchanged).collect()
}

fn changes(plan: &Plan) -> Vec<FileChange> {
    plan.changes.iter().map(|(_, c)| c.clone()).collect()
}

/// Asks on a terminal unless `--yes`; without a terminal, never asks.
fn confirm(ctx: &Context, pushing: bool) -> Result<()> {
    if ctx.global.yes || !ctx.ui.interactive() {
        return Ok(());
    }
    let question = if pushing {
        "Commit and push these changes?"
    } else {
        "Commit these changes?"
    };
    if prompt::confirm(question)? {
        Ok(())
    } else {
        Err(Error::new(Kind::Declined, "Declined: nothing was written."))
    }
}

/// `-m`, else e.g. "Enable autoscaling for jukebox in test", naming each
/// environment's changed models, with the files in the body.
fn message(ctx: &Context, switch: Switch, plan: &Plan) -> String {
    if let Some(message) = &ctx.global.message {
        return message.clone();
    }
    let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    let mut envs: Vec<&str> = plan.changes.iter().map(|(t, _)| t.env.as_str()).collect();
    envs.dedup();
    for env in envs {
        let models: Vec<String> = plan
            .changes
            .iter()
            .filter(|(t, _)| t.env == env)
            .map(|(t, _)| t.model.clone())
            .collect();
        match groups.iter_mut().find(|(m, _)| *m == models) {
            Some((_, envs)) => envs.push(env.to_string()),
            None => groups.push((models, vec![env.to_string()])),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(models, envs)| format!("{} in {}", join(models), join(envs)))
        .collect();
    let mut message = format!("{} autoscaling for {}", switch.verb(), parts.join("; "));
    if plan.changes.len() > 1 {
        message.push_str("\n\n");
        for (_, change) in &plan.changes {
            message.push_str(&format!("- {}\n", change.path));
        }
    }
    message
}

/// "a", "a and b", "a, b and c".
fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn finish(ctx: &Context, report: &Report) -> Result<u8> {
    if ctx.ui.json() {
        ctx.ui.emit_json(report)?;
    }
    Ok(0)
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(10)]
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or("")
}
