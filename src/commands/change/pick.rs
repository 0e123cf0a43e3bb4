//! Which models a command acts on when the line does not name them all:
//! on a terminal, the user picks from what the repository holds.
//!
//! [`check`] runs before any git work, so a missing argument in CI fails
//! at once with exit 2. Picking ([`targets`]) happens once the workspace
//! is open, from the same commit the edit will start from, so the list and
//! the states shown are what the command will really act on.

use super::Edit;
use crate::commands::Context;
use crate::error::{self, Error, Kind, Result};
use crate::git::Workspace;
use crate::gitops::layout::Target;
use crate::gitops::models;
use crate::gitops::snapshot::Snapshot;
use crate::gitops::states::{Class, State};
use crate::ui::prompt;

/// Without a terminal, a missing `--env` or model is a usage error naming
/// what is missing.
pub(super) fn check(ctx: &Context, envs: &[String], models: &[String]) -> Result<()> {
    let qualified = !models.is_empty() && models.iter().all(|m| m.contains('/'));
    let mut missing = Vec::new();
    if envs.is_empty() && !qualified {
        missing.push("--env <ENV>");
    }
    if models.is_empty() {
        missing.push("<MODEL>...");
    }
    if missing.is_empty() || ctx.ui.interactive() {
        return Ok(());
    }
    Err(error::usage(format!("missing {}", missing.join(" and ")))
        .hinted("for example: --env test jukebox, or test/jukebox")
        .hinted("on a terminal, mlops offers the environments and models to pick from"))
}

/// The targets, with what the line left out picked on the terminal.
pub(super) fn targets(
    ctx: &Context,
    ws: &Workspace,
    envs: &[String],
    models: &[String],
    edit: &dyn Edit,
) -> Result<Vec<Target>> {
    super::prepare::with_snapshot(ws, |snap| {
        let envs = match envs {
            [] => vec![pick_env(snap)?],
            named => named.to_vec(),
        };
        let models = match models {
            [] => pick_models(snap, &envs, edit)?,
            named => named.to_vec(),
        };
        let targets = crate::gitops::layout::targets(&envs, &models)?;
        ctx.ui.info(format!(
            "Picked: mlops {} {}",
            edit.command_line(),
            targets
                .iter()
                .map(Target::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        ));
        Ok(targets)
    })
}

fn pick_env(snap: &dyn Snapshot) -> Result<String> {
    let envs = models::envs(snap)?;
    if envs.is_empty() {
        return Err(error::config(format!(
            "there are no environments under {}/",
            crate::gitops::layout::DEPLOYMENTS
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
fn pick_models(snap: &dyn Snapshot, envs: &[String], edit: &dyn Edit) -> Result<Vec<String>> {
    for env in envs {
        models::resolve_env(snap, env)?;
    }
    let mut names = models::models(snap, &envs[0], "")?;
    for env in &envs[1..] {
        let here = models::models(snap, env, "")?;
        names.retain(|m| here.contains(m));
    }
    if names.is_empty() {
        return Err(
            error::config(format!("there are no models in {}", envs.join(" and ")))
                .hinted("models are folders model-deployments/<env>/<model>/config.yaml"),
        );
    }
    let mut rows: Vec<(Class, String, State)> = Vec::new();
    for model in names {
        let mut state = State::Missing;
        for env in envs {
            let here = match snap.read(&Target::new(env, &model).path()) {
                Ok(Some(bytes)) => State::of(&bytes),
                Ok(None) => State::Missing,
                Err(_) => State::Unknown,
            };
            state = state.merge(here);
        }
        rows.push((state.class(edit.want()), model, state));
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
    let prompt = format!(
        "Models for `mlops {}` (space to pick, enter to accept)",
        edit.command_line()
    );
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
