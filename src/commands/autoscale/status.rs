//! `mlops autoscale status`: per environment and model, which autoscaler
//! the chart renders, from the work tree (saying when it differs from the
//! upstream branch), from the upstream branch after a fetch
//! (`--remote-branch`), or from a temporary clone (`--clone`).

use std::path::Path;

use serde::Serialize;

use super::super::Context;
use crate::cli::StatusArgs;
use crate::edit::ChartValue;
use crate::error::{self, Kind, Result};
use crate::git::divergence::{self, Divergence};
use crate::git::modified::{Modified, Stat};
use crate::git::staged;
use crate::git::Workspace;
use crate::gitops::chart::Rendering;
use crate::gitops::layout::DEPLOYMENTS;
use crate::gitops::models::{self, Listed};
use crate::gitops::snapshot::{CommitTree, Snapshot, WorkTree};
use crate::gitops::states;
use crate::ui::table;

/// One row of the report: the contract's JSON shape, every key present.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    pub env: String,
    pub model: String,
    pub path: String,
    /// `"off"`, `"hpa"`, `"keda"`; null when the file can't be read.
    pub autoscaler: Option<&'static str>,
    /// Each key's truthiness for the chart; null when the key is absent.
    pub autoscaling: Option<bool>,
    pub keda: Option<bool>,
    /// As the chart reads it: a JSON string, number or boolean.
    pub version: Option<ChartValue>,
    pub warning: Option<String>,
    pub error: Option<String>,
    /// Work-tree mode: the file has edits not committed (null otherwise).
    pub uncommitted: Option<bool>,
    /// Work-tree mode: the file differs from the upstream branch's as of
    /// the last fetch (null without an upstream, or in the other modes).
    pub differs_from_upstream: Option<bool>,
}

impl Row {
    fn new(listed: &Listed) -> Row {
        let t = &listed.target;
        Row {
            env: t.env.clone(),
            model: t.model.clone(),
            path: t.path(),
            autoscaler: None,
            autoscaling: None,
            keda: None,
            version: None,
            warning: None,
            error: listed.problem.clone(),
            uncommitted: None,
            differs_from_upstream: None,
        }
    }

    /// Fills the chart's reading from the file's bytes.
    fn read(mut self, bytes: Result<Option<Vec<u8>>>) -> Row {
        if self.error.is_some() {
            return self;
        }
        let bytes = match bytes {
            Ok(Some(b)) => b,
            Ok(None) => {
                self.error = Some("the file is gone".into());
                return self;
            }
            Err(e) => {
                self.error = Some(e.message);
                return self;
            }
        };
        match Rendering::read(&bytes) {
            Ok(r) => {
                self.autoscaler = Some(r.autoscaler().as_str());
                self.autoscaling = r.autoscaling.as_ref().map(|s| s.truthy);
                self.keda = r.keda.as_ref().map(|s| s.truthy);
                let warnings = r.warnings();
                self.warning = (!warnings.is_empty()).then(|| warnings.join("; "));
                self.version = r.version;
            }
            Err(refusal) => {
                let at = refusal
                    .line
                    .map(|l| format!("line {l}: "))
                    .unwrap_or_default();
                self.error = Some(format!("{at}{}", refusal.reason));
            }
        }
        self
    }
}

pub(crate) fn run(ctx: &Context, args: &StatusArgs) -> Result<u8> {
    let rows = if let Some(url) = &ctx.repo.clone {
        let ws = Workspace::clone_temp(url, ctx.git_options())?;
        remote_rows(&ws, &args.envs)?
    } else if args.remote_branch {
        let mut ws = Workspace::open(&ctx.start_dir(), ctx.git_options())?;
        ws.fetch_upstream(false)?;
        remote_rows(&ws, &args.envs)?
    } else {
        return worktree(ctx, args);
    };
    if ctx.ui.json() {
        ctx.ui.emit_json(&rows)?;
    } else {
        print_table(ctx, &rows)?;
    }
    Ok(exit(rows.iter().any(|r| r.error.is_some())))
}

/// The work tree's report. JSON rows are written as they are made, so
/// 60,000 of them are never held at once; the table needs them all for
/// its column widths.
fn worktree(ctx: &Context, args: &StatusArgs) -> Result<u8> {
    if ctx.repo.branch.is_some() || ctx.repo.remote.is_some() {
        return Err(error::usage(
            "--branch and --remote choose a remote branch to read: add --remote-branch (or use --clone URL)",
        ));
    }
    let root = ctx.root()?;
    let listed = models::list(&WorkTree::new(&root), &args.envs)?;
    let mut failed = false;
    let note = if ctx.ui.json() {
        ctx.ui.emit_json_seq(|emit| {
            worktree_rows(&root, listed, &mut |row| {
                failed |= row.error.is_some();
                emit(&row)
            })
        })?
    } else {
        let mut rows = Vec::new();
        let note = worktree_rows(&root, listed, &mut |row| {
            rows.push(row);
            Ok(())
        })?;
        failed = rows.iter().any(|r| r.error.is_some());
        print_table(ctx, &rows)?;
        note
    };
    if let Some(note) = note {
        ctx.ui.info(note);
    }
    Ok(exit(failed))
}

/// 3 when a file could not be read or parsed (after the whole listing).
fn exit(failed: bool) -> u8 {
    crate::commands::exit_code(failed.then_some(Kind::Config))
}

/// Every listed model of the work tree, read on all cores, with how each
/// file differs from HEAD and from the upstream branch, handed to `out`
/// in order; the note when the work tree is not what Argo CD deploys.
fn worktree_rows(
    root: &Path,
    listed: Vec<Listed>,
    out: &mut dyn FnMut(Row) -> Result<()>,
) -> Result<Option<String>> {
    let snap = WorkTree::new(root);
    let threads = states::threads(listed.len(), 256, 8);
    // One batch's files read and parsed on all cores, in the background.
    let read = |batch: &[Listed]| {
        states::map(batch.len(), threads, None, |i| {
            let row = Row::new(&batch[i]);
            let (bytes, stat) = match snap.read_with_stat(&row.path) {
                Ok(Some((bytes, stat))) => (Ok(Some(bytes)), stat.as_ref().map(Stat::of)),
                Ok(None) => (Ok(None), None),
                Err(e) => (Err(e), None),
            };
            (row.read(bytes), stat)
        })
    };
    // In batches, each compared with git's side and handed on while the
    // next is read: what was read is not held over the whole tree, and
    // the cores stay busy while this thread compares and writes.
    std::thread::scope(|scope| {
        let mut batches = listed.chunks(BATCH);
        let mut next = batches.next().map(|b| scope.spawn(move || read(b)));
        // Git's side while the first batch is read. Divergence with a
        // handle of its own, dropped at once: the trees it compares leave
        // their delta bases in the handle's cache (up to 16 MiB).
        let div = crate::git::local::discover(root)
            .ok()
            .and_then(|r| divergence::divergence(&r));
        let repo = crate::git::local::discover(root).ok();
        let modified = repo.as_ref().and_then(Modified::open);
        // What the index holds otherwise than HEAD (the few paths `git
        // diff --cached` lists).
        let staged = match (&repo, &modified) {
            (Some(repo), Some(m)) => staged::staged(repo, m.index(), DEPLOYMENTS),
            _ => Default::default(),
        };
        let mut dirty = Vec::new();
        while let Some(pending) = next.take() {
            let done = pending
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            next = batches.next().map(|b| scope.spawn(move || read(b)));
            for (mut row, stat) in done.into_iter().flatten() {
                if let (Some(modified), Some(stat)) = (&modified, stat) {
                    // As git status: staged (the index differs from HEAD)
                    // or not (the file differs from the index, through
                    // git's filters).
                    let changed = staged.contains(&row.path)
                        || modified
                            .entry(&row.path)
                            .is_none_or(|entry| !modified.same_as_index(&entry, &row.path, &stat));
                    row.uncommitted = Some(changed);
                    if let Some(div) = &div {
                        row.differs_from_upstream =
                            Some(changed || div.committed.contains(&row.path));
                    }
                    if changed {
                        dirty.push(format!("{}/{}", row.env, row.model));
                    }
                }
                out(row)?;
            }
        }
        Ok(div.and_then(|d| note(&d, &dirty)))
    })
}

/// Models read, then compared with git, at a time.
const BATCH: usize = 2048;

/// "The work tree is not what Argo CD deploys: …", or nothing when the
/// model configs are as on the upstream branch.
fn note(div: &Divergence, dirty: &[String]) -> Option<String> {
    let upstream = div.upstream.as_deref()?;
    let mut parts = Vec::new();
    if !dirty.is_empty() {
        parts.push(format!("uncommitted edits in {}", dirty.join(", ")));
    }
    if div.ahead > 0 {
        parts.push(format!("{} local commit(s) not pushed", div.ahead));
    }
    if div.behind > 0 {
        parts.push(format!("{} commit(s) behind", div.behind));
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!(
        "Note: this is the work tree, which differs from {upstream} as of the last fetch ({}); Argo CD deploys the remote branch: mlops autoscale status --remote-branch shows it.",
        parts.join("; ")
    ))
}

/// Every model of the workspace's remote branch (its base commit).
fn remote_rows(ws: &Workspace, only: &[String]) -> Result<Vec<Row>> {
    if let Some(target) = ws.target() {
        if target.tip.is_none() {
            return Err(
                error::git(format!("{} has no branch {}", target.url, target.branch))
                    .hinted("check --branch (and --remote); nothing was changed"),
            );
        }
    }
    let snap = CommitTree::new(ws.repo(), ws.base())?;
    let listed = models::list(&snap, only)?;
    Ok(listed
        .iter()
        .map(|l| {
            let row = Row::new(l);
            let bytes = snap.read(&row.path);
            row.read(bytes)
        })
        .collect())
}

fn print_table(ctx: &Context, rows: &[Row]) -> Result<()> {
    if rows.is_empty() {
        ctx.ui.info(format!(
            "No models found under {DEPLOYMENTS}/<env>/<model>/config.yaml."
        ));
        return Ok(());
    }
    let head = [
        "ENV",
        "MODEL",
        "AUTOSCALER",
        "AUTOSCALING",
        "KEDA",
        "VERSION",
        "NOTE",
    ];
    let mut cells = vec![head.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    let word = |v: Option<bool>| match v {
        Some(true) => "true",
        Some(false) => "false",
        None => "-",
    };
    for row in rows {
        let (state, style) = match (row.autoscaler, &row.error) {
            (_, Some(_)) | (None, _) => ("error", console::Style::new().red()),
            (Some("off"), _) => ("off", console::Style::new().dim()),
            (Some(kind), _) => (kind, console::Style::new().green()),
        };
        let note = match (&row.error, &row.warning) {
            (Some(e), _) => ctx.ui.out_style(console::Style::new().red(), e),
            (None, Some(w)) => ctx
                .ui
                .out_style(console::Style::new().yellow(), &format!("warning: {w}")),
            (None, None) if row.uncommitted == Some(true) => "uncommitted edits".to_string(),
            (None, None) => String::new(),
        };
        cells.push(vec![
            row.env.clone(),
            row.model.clone(),
            ctx.ui.out_style(style, state),
            word(row.autoscaling).to_string(),
            word(row.keda).to_string(),
            match &row.version {
                Some(ChartValue::Str(s)) => s.clone(),
                Some(other) => other.display(),
                None => "-".to_string(),
            },
            note,
        ]);
    }
    ctx.ui.out(table::render(&cells))
}
