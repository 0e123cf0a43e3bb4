//! `mlops autoscale status`: per environment and model, what the chart
//! will see for `autoscaling`, with a warning where the text misleads.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::StatusArgs;
use crate::commands::Context;
use crate::edit;
use crate::error::{self, Kind, Result};
use crate::layout::{self, Target};
use crate::ui::table;

/// One row of the report; the JSON shape of the contract (plus `version`
/// and `warning`, which only appear when there is something to say).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub env: String,
    pub model: String,
    pub path: String,
    pub autoscaling: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

pub fn run(ctx: &Context, args: &StatusArgs) -> Result<u8> {
    let rows = match &ctx.global.clone {
        Some(url) => read_remote(ctx, url, &args.envs)?,
        None => {
            let root = find_root(&ctx.start_dir())?;
            let targets = layout::discover(&root, &args.envs)?;
            read_all(&root, &targets)
        }
    };
    if ctx.ui.json() {
        ctx.ui.emit_json(&rows)?;
    } else {
        print_table(ctx, &rows)?;
    }
    for row in rows.iter().filter(|r| r.error.is_some()) {
        ctx.ui.verbose(format!(
            "{}: {}",
            row.path,
            row.error.as_deref().unwrap_or("")
        ));
    }
    let failed = rows
        .iter()
        .any(|r| r.error.is_some())
        .then_some(Kind::Config);
    Ok(crate::commands::exit_code(failed))
}

/// The work tree enclosing `start`, or `start` itself when it holds a
/// model-deployments folder without being a git checkout.
pub fn find_root(start: &Path) -> Result<PathBuf> {
    if let Ok(repo) = crate::git::local::discover(start) {
        if let Some(dir) = repo.workdir() {
            return Ok(dir.to_path_buf());
        }
    }
    if start.join(layout::DEPLOYMENTS).is_dir() {
        return Ok(start.to_path_buf());
    }
    Err(error::failure(format!(
        "{} is not inside an mlops-gitops checkout",
        start.display()
    ))
    .hinted("run mlops inside your clone of mlops-gitops, or pass -C DIR or set MLOPS_REPO"))
}

/// Reads every target, on all cores: each file is independent and the
/// cost is one small read and one parse, so two threads halve the time.
fn read_all(root: &Path, targets: &[Target]) -> Vec<Row> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = targets.len().div_ceil(threads).max(256);
    std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(|t| read_one(root, t)).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// `status --clone URL`: the state on the remote branch, read from a
/// temporary clone's tree (nothing is written anywhere else).
fn read_remote(ctx: &Context, url: &str, only: &[String]) -> Result<Vec<Row>> {
    for env in only {
        layout::check_name("environment", env)?;
    }
    let ws = crate::git::Workspace::clone_temp(url, ctx.git_options())?;
    let snap = ws.tree_snapshot()?;
    let envs = layout::envs(&snap)?;
    if let Some(unknown) = only.iter().find(|e| !envs.contains(e)) {
        return Err(error::config(format!(
            "unknown environment {unknown:?} on {}",
            ctx.global
                .branch
                .as_deref()
                .unwrap_or("the remote's default branch")
        ))
        .hinted(format!("environments there: {}", envs.join(", "))));
    }
    let mut rows = Vec::new();
    for env in envs.iter().filter(|e| only.is_empty() || only.contains(e)) {
        for model in layout::models(&snap, env)? {
            let target = Target {
                env: env.clone(),
                model,
            };
            let bytes = snap
                .read(&target.path())
                .map_err(|e| e.message)
                .and_then(|b| b.ok_or_else(|| "not in the commit".to_string()));
            rows.push(row(&target, bytes));
        }
    }
    Ok(rows)
}

fn read_one(root: &Path, target: &Target) -> Row {
    let bytes = std::fs::read(root.join(target.path())).map_err(|e| e.to_string());
    row(target, bytes)
}

/// One row from a config file's bytes (or why they could not be read).
fn row(target: &Target, bytes: std::result::Result<Vec<u8>, String>) -> Row {
    let path = target.path();
    let mut row = Row {
        env: target.env.clone(),
        model: target.model.clone(),
        path: path.clone(),
        autoscaling: None,
        version: None,
        warning: None,
        error: None,
    };
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(e) => {
            row.error = Some(format!("could not read: {e}"));
            return row;
        }
    };
    match edit::read_values(&bytes) {
        Ok(values) => {
            let switch = values.switch("autoscaling");
            row.autoscaling = switch.effective;
            row.warning = switch.warning;
            row.version = values.get("version").and_then(|r| match &r.value {
                edit::ChartValue::Str(s)
                | edit::ChartValue::Int(s)
                | edit::ChartValue::Float(s) => Some(s.clone()),
                edit::ChartValue::Bool(b) => Some(b.to_string()),
                _ => None,
            });
        }
        Err(refusal) => {
            let at = refusal
                .line
                .map(|l| format!("line {l}: "))
                .unwrap_or_default();
            row.error = Some(format!("{at}{}", refusal.reason));
        }
    }
    row
}

fn print_table(ctx: &Context, rows: &[Row]) -> Result<()> {
    if rows.is_empty() {
        ctx.ui.info(format!(
            "No models found under {}/<env>/<model>/{}.",
            layout::DEPLOYMENTS,
            layout::CONFIG
        ));
        return Ok(());
    }
    let mut cells = vec![vec![
        "ENV".to_string(),
        "MODEL".to_string(),
        "AUTOSCALING".to_string(),
        "VERSION".to_string(),
        "NOTE".to_string(),
    ]];
    for row in rows {
        let (state, style) = match (row.autoscaling, &row.error) {
            (_, Some(_)) => ("error", console::Style::new().red()),
            (Some(true), _) => ("on", console::Style::new().green()),
            (Some(false), _) => ("off", console::Style::new()),
            (None, _) => ("unset", console::Style::new().dim()),
        };
        let note = match (&row.error, &row.warning) {
            (Some(e), _) => ctx.ui.out_style(console::Style::new().red(), e),
            (None, Some(w)) => ctx
                .ui
                .out_style(console::Style::new().yellow(), &format!("warning: {w}")),
            (None, None) => String::new(),
        };
        cells.push(vec![
            row.env.clone(),
            row.model.clone(),
            ctx.ui.out_style(style, state),
            row.version.clone().unwrap_or_else(|| "-".to_string()),
            note,
        ]);
    }
    ctx.ui.out(table::render(&cells))
}
