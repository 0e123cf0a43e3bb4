//! Which environments and models a command acts on: the ones named, or,
//! on a terminal, the ones the user picks from what the repository holds.
//!
//! Names are checked first ([`check`]), before any git work, so a typo or
//! a missing argument in CI fails at once with exit 2 or 3. Picking
//! ([`targets`]) happens once the workspace is open, from the same commit
//! the edit will start from, so the list and the states shown are what the
//! command will really act on (for `--clone` too).

use super::change::Switch;
use crate::cli::EditArgs;
use crate::commands::Context;
use crate::complete::state::{Class, State};
use crate::error::{self, Error, Kind, Result};
use crate::git::Workspace;
use crate::layout::{self, FsSnapshot, Snapshot, Target};
use crate::ui::prompt;

/// Checks the names given, and that whatever is missing can be asked for:
/// without a terminal, a missing `--env` or model is a usage error naming
/// what is missing.
pub fn check(ctx: &Context, args: &EditArgs) -> Result<()> {
    for env in &args.envs {
        layout::check_name("environment", env)?;
    }
    for model in &args.models {
        layout::check_name("model", model)?;
    }
    let mut missing = Vec::new();
    if args.envs.is_empty() {
        missing.push("--env <ENV>");
    }
    if args.models.is_empty() {
        missing.push("<MODEL>...");
    }
    if missing.is_empty() || ctx.ui.interactive() {
        return Ok(());
    }
    Err(error::usage(format!("missing {}", missing.join(" and ")))
        .hinted("for example: mlops autoscale enable --env test jukebox")
        .hinted("on a terminal, mlops offers the environments and models to pick from"))
}

/// The envs and models to change: the ones named, the rest picked.
/// [`check`] has already run (before any git work).
pub fn targets(
    ctx: &Context,
    ws: &Workspace,
    args: &EditArgs,
    switch: Switch,
) -> Result<(Vec<String>, Vec<String>)> {
    if !args.envs.is_empty() && !args.models.is_empty() {
        return Ok((args.envs.clone(), args.models.clone()));
    }
    let tree;
    let disk;
    let snap: &dyn Snapshot = match &ws.workdir {
        Some(dir) => {
            ctx.ui.verbose(format!(
                "listing environments and models in {}",
                dir.display()
            ));
            disk = FsSnapshot::new(dir)?;
            &disk
        }
        None => {
            ctx.ui.verbose(format!(
                "listing environments and models in commit {}",
                ws.base
            ));
            tree = ws.tree_snapshot()?;
            &tree
        }
    };
    let envs = if args.envs.is_empty() {
        vec![pick_env(snap)?]
    } else {
        // Unknown names fail here with the list of what exists.
        layout::resolve(snap, &args.envs, &[])?;
        args.envs.clone()
    };
    let models = if args.models.is_empty() {
        pick_models(ws, snap, &envs, switch)?
    } else {
        args.models.clone()
    };
    ctx.ui.info(format!(
        "Picked: mlops autoscale {} {} {}",
        if switch.value() { "enable" } else { "disable" },
        envs.iter()
            .map(|e| format!("--env {e}"))
            .collect::<Vec<_>>()
            .join(" "),
        models.join(" ")
    ));
    Ok((envs, models))
}

fn pick_env(snap: &dyn Snapshot) -> Result<String> {
    let envs = layout::envs(snap)?;
    if envs.is_empty() {
        return Err(error::config(format!(
            "there are no environments under {}/",
            layout::DEPLOYMENTS
        ))
        .hinted("is this an mlops-gitops checkout? pass -C DIR or set MLOPS_REPO"));
    }
    match prompt::fuzzy_select("Environment (type to filter)", &envs)? {
        Some(i) => Ok(envs[i].clone()),
        None => Err(nothing_picked()),
    }
}

/// Offers the models present in every env of `envs`, the ones the command
/// would change first (as Tab completion orders them), each with its state.
fn pick_models(
    ws: &Workspace,
    snap: &dyn Snapshot,
    envs: &[String],
    switch: Switch,
) -> Result<Vec<String>> {
    let mut models = layout::models(snap, &envs[0])?;
    for env in &envs[1..] {
        let here = layout::models(snap, env)?;
        models.retain(|m| here.contains(m));
    }
    if models.is_empty() {
        return Err(
            error::config(format!("there are no models in {}", envs.join(" and "))).hinted(
                format!(
                    "models are folders {}/<env>/<model>/{}",
                    layout::DEPLOYMENTS,
                    layout::CONFIG
                ),
            ),
        );
    }
    let mut rows: Vec<(Class, String, State)> = Vec::new();
    for model in models {
        let mut state = State::Missing;
        for env in envs {
            let target = Target {
                env: env.clone(),
                model: model.clone(),
            };
            let here = match ws.read_base(&target.path()) {
                Ok(Some(bytes)) => State::of(&bytes),
                Ok(None) => State::Missing,
                Err(_) => State::Unknown,
            };
            state = state.merge(here);
        }
        rows.push((state.class(Some(switch)), model, state));
    }
    rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let labels: Vec<String> = rows
        .iter()
        .map(|(_, model, state)| {
            let label = state.label().unwrap_or("state unknown");
            format!("{model:<width$}  {label}")
        })
        .collect();
    let verb = if switch.value() { "enable" } else { "disable" };
    let prompt = format!("Models to {verb} autoscaling for (space to pick, enter to accept)");
    match prompt::multi_select(&prompt, &labels)? {
        Some(chosen) if !chosen.is_empty() => {
            Ok(chosen.into_iter().map(|i| rows[i].1.clone()).collect())
        }
        _ => Err(nothing_picked()),
    }
}

fn nothing_picked() -> Error {
    Error::new(Kind::Declined, "Nothing picked: nothing was written.")
}
