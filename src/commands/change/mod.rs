//! The flow every command that changes files shares (`autoscale enable`,
//! `autoscale disable`, `set`): name or pick the targets, edit each file
//! from the commit the change builds on, show the diff and the Argo CD
//! applications, confirm, commit, push, retry.
//!
//! The edit is computed from the base commit's blobs (the remote tip when
//! pushing, HEAD with `--no-push`), not from the work tree, so the commit
//! holds exactly the named files and nothing the user happened to have
//! lying around. The work tree follows once the commit is final.

mod ahead;
mod announce;
mod close;
mod pick;
mod prepare;
mod report;

use git2::Oid;

use crate::commands::Context;
use crate::edit::Refusal;
use crate::error::{self, Error, Kind, Result};
use crate::git::hooks::Hooks;
use crate::git::worktree::one_line;
use crate::git::Workspace;
use crate::gitops::chart::Autoscaler;
use crate::gitops::layout::{self, Target};
use crate::ui::{diff, prompt};
use ahead::Planned;
use prepare::{changes, Plan, Prepared};
use report::Report;

/// What one command changes in each file; the flow around it is the same.
pub(crate) trait Edit {
    /// The file's new bytes, or `None` when it already holds what was asked.
    fn apply(&self, old: &[u8]) -> Result<Option<Vec<u8>>, Refusal>;
    /// The default commit message's subject for the changed targets.
    fn subject(&self, changed: &[Target]) -> String;
    /// Why a target needs no change, for people.
    fn unchanged(&self, target: &Target) -> String;
    /// One line above a file's diff saying what changes, in chart terms.
    fn header(&self, target: &Target, old: &[u8], new: &[u8]) -> String;
    /// What the JSON report adds to a changed entry (`set`: old and new
    /// values); `Null` for nothing.
    fn details(&self, _old: &[u8], _new: &[u8]) -> serde_json::Value {
        serde_json::Value::Null
    }
    /// What the chart should render afterwards, when the command is about
    /// the autoscaler (picking ranks models by it).
    fn want(&self) -> Option<Autoscaler>;
    /// The subcommand and its own options, for "Picked: mlops …".
    fn command_line(&self) -> String;
}

/// Runs the whole flow for the targets named by `envs` and `models`
/// (`--env ENV MODEL...` or `ENV/MODEL...`; on a terminal, what is missing
/// is picked).
pub(crate) fn run(
    ctx: &Context,
    envs: &[String],
    models: &[String],
    edit: &dyn Edit,
) -> Result<u8> {
    let named = layout::targets(envs, models)?;
    pick::check(ctx, envs, models)?;
    needs_confirmation_possible(ctx)?;
    close::check(ctx)?;
    let mut ws = open(ctx)?;
    let pushing = !ctx.change.dry_run && !ctx.change.no_push;
    if !pushing && !ctx.change.dry_run && ws.workdir().is_none() {
        return Err(error::usage(format!(
            "--no-push with --branch {} (not the checked-out branch) would commit where nothing keeps it",
            ws.branch()
        ))
        .hinted("to see the change without pushing it, use --dry-run; to push a review branch, leave out --no-push"));
    }
    let Planned {
        targets,
        prepared: Prepared { plan, found, tree },
    } = ahead::plan(ctx, &mut ws, named, pushing, (envs, models), edit)?;
    let mut report = Report::new(&plan.unchanged);
    for target in &plan.unchanged {
        ctx.ui
            .info(format!("{}: {}", target.path(), edit.unchanged(target)));
    }
    if plan.changes.is_empty() {
        ctx.ui.info("Nothing to change.");
        if pushing {
            catch_up(ctx, &ws);
            if ws.target().is_some_and(|t| t.tip.is_some()) {
                close::after_push(ctx, &ws, ws.base(), edit.want(), &mut report);
            }
        }
        return report.finish(ctx);
    }
    for p in &plan.changes {
        let c = &p.change;
        ctx.ui.info(edit.header(&p.target, &c.old, &c.new));
        ctx.ui
            .show(diff::render(&ctx.ui, &c.path, &c.old, &c.new))?;
        report.changed(&p.target, edit.details(&c.old, &c.new));
    }
    let branch = ws
        .target()
        .map_or(ws.branch().to_string(), |t| t.branch.clone());
    let found = found.unwrap_or_else(|| Ok(Vec::new()));
    report.coverage(announce::coverage(ctx, found, &branch));
    if ctx.change.dry_run {
        ctx.ui
            .info("Dry run: nothing was written, committed or pushed.");
        return report.finish(ctx);
    }
    confirm(ctx, pushing)?;
    let message = message(ctx, edit, &plan);
    let mut warn = |w: &str| ctx.ui.warn(w);
    let written = tree.and_then(|w| w.quarantine.release(&ws).ok().map(|()| w.tree));
    if let Some(tree) = written {
        ws.step(|| {
            format!("the new tree {tree:.10}, written while the remote was reached, is used")
        });
    }
    // The commit hooks, as `git commit` runs them (src/git/hooks/commit.rs).
    let hooks = ws.hooks();
    let (written, hooked) = hooks.before_commit(&ws, &changes(&plan), written, &message)?;
    let commit = ws.compose(&changes(&plan), &hooked, &mut warn, written)?;
    if pushing {
        hooks.post_commit(&ws);
        let messages = (&hooks, message.as_str(), hooked);
        push(
            ctx,
            &mut ws,
            commit,
            (&targets, edit),
            messages,
            &mut report,
        )?;
    } else {
        commit_locally(ctx, &ws, commit, &hooked, &mut report)?;
        hooks.post_commit(&ws);
    }
    report.finish(ctx)
}

/// Without a terminal and without `--yes`, nothing can be confirmed: a
/// usage error before anything is fetched, written or pushed.
fn needs_confirmation_possible(ctx: &Context) -> Result<()> {
    if ctx.change.yes || ctx.change.dry_run || ctx.ui.interactive() {
        return Ok(());
    }
    Err(error::usage(
        "no terminal to confirm the change on, and --yes was not given: nothing was fetched, written or pushed",
    )
    .hinted("in CI or a script, pass --yes; to look first, pass --dry-run")
    .hinted("or run the command on a terminal to see the diff and answer the question"))
}

/// When the remote already has the change, a checkout that is behind is
/// brought to the remote's tip (like `git pull --ff-only`), so its files
/// show what the remote has. A checkout with local changes in the way
/// stays as it is, with a note: nothing is lost either way.
fn catch_up(ctx: &Context, ws: &Workspace) {
    if ws.workdir().is_none() || ws.head() == Some(ws.base()) {
        return;
    }
    match ws.advance_checkout(ws.base(), "mlops: fast-forward to the remote branch") {
        Ok(()) => ctx.ui.info(format!(
            "Brought the checkout up to the remote branch ({:.10}).",
            ws.base().to_string()
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
    report.committed(commit);
    ctx.ui.info(format!(
        "Committed {:.10} on {}: {} (not pushed: --no-push)",
        commit.to_string(),
        ws.branch(),
        message.lines().next().unwrap_or("")
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
    (targets, edit): (&[Target], &dyn Edit),
    (hooks, first, mut kept): (&Hooks, &str, String),
    report: &mut Report,
) -> Result<()> {
    // A rebuild is what `git pull --rebase` does to the commit: its
    // message is kept and prepare-commit-msg and post-commit run again (a
    // message that changed with the plan is checked as a new one).
    let mut rebuild = |ws: &Workspace| -> Result<Option<Oid>> {
        let plan = prepare::plan(ws, targets, edit)?;
        if plan.changes.is_empty() {
            return Ok(None);
        }
        let message = self::message(ctx, edit, &plan);
        kept = match message == first {
            true => hooks.rebuilt_message(ws, &kept, false)?,
            false => hooks.rebuilt_message(ws, &message, true)?,
        };
        let commit = ws.compose(&changes(&plan), &kept, &mut |_: &str| {}, None)?;
        hooks.post_commit(ws);
        Ok(Some(commit))
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
        report.all_unchanged(targets);
        return Ok(());
    };
    report.pushed(&pushed);
    announce::pushed(ctx, &pushed);
    let reflog = "mlops: follow the pushed commit";
    if let Some(warning) = ws.follow(lock, pushed.commit, &pushed.remote_branch, reflog) {
        ctx.ui.warn(warning);
    }
    close::after_push(ctx, ws, pushed.commit, edit.want(), report);
    Ok(())
}

/// The checkout (`-C`, `MLOPS_REPO`, the current directory) or a
/// temporary clone (`--clone`).
pub(crate) fn open(ctx: &Context) -> Result<Workspace> {
    match &ctx.repo.clone {
        Some(url) => Ok(Workspace::clone_temp(url, ctx.git_options())?),
        None => Ok(Workspace::open(&ctx.start_dir(), ctx.git_options())?),
    }
}

/// "path:line: reason" with the engine's hint, exit 3.
pub(crate) fn refused(path: &str, refusal: Refusal) -> Error {
    let at = refusal
        .line
        .map_or(path.to_string(), |line| format!("{path}:{line}"));
    let mut err = Error::new(Kind::Config, format!("{at}: {}", refusal.reason));
    if !refusal.hint.is_empty() {
        err = err.hinted(refusal.hint);
    }
    err.hinted("nothing was written")
}

/// Asks on a terminal unless `--yes` (without a terminal, `--yes` was
/// required before anything started).
fn confirm(ctx: &Context, pushing: bool) -> Result<()> {
    if ctx.change.yes {
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

/// `-m`, else the edit's subject, with the files in the body when there
/// are several.
fn message(ctx: &Context, edit: &dyn Edit, plan: &Plan) -> String {
    if let Some(message) = &ctx.change.message {
        return message.clone();
    }
    let changed: Vec<Target> = plan.changes.iter().map(|p| p.target.clone()).collect();
    let mut message = edit.subject(&changed);
    if plan.changes.len() > 1 {
        message.push_str("\n\n");
        for p in &plan.changes {
            message.push_str(&format!("- {}\n", p.change.path));
        }
    }
    message
}

/// "jukebox in test; jukebox-ui in prod": each environment's models,
/// environments with the same models together.
pub(crate) fn describe(targets: &[Target]) -> String {
    let mut envs: Vec<&str> = Vec::new();
    for t in targets {
        if !envs.contains(&t.env.as_str()) {
            envs.push(&t.env);
        }
    }
    let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for env in envs {
        let models: Vec<String> = targets
            .iter()
            .filter(|t| t.env == env)
            .map(|t| t.model.clone())
            .collect();
        match groups.iter_mut().find(|(m, _)| *m == models) {
            Some((_, envs)) => envs.push(env.to_string()),
            None => groups.push((models, vec![env.to_string()])),
        }
    }
    groups
        .iter()
        .map(|(models, envs)| format!("{} in {}", join(models), join(envs)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// "a", "a and b", "a, b and c".
fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
