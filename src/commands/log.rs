//! `mlops log`: who changed which value of which model, and when, from
//! the commits of the branch (or of a temporary clone's whole history).

use git2::{Oid, Repository};
use serde::Serialize;

use super::Context;
use crate::cli::LogArgs;
use crate::error::{self, Result};
use crate::git::Workspace;
use crate::gitops::history::{self, Entry, Query, Value};
use crate::gitops::layout::{self, Target};
use crate::gitops::models;
use crate::gitops::renames;
use crate::gitops::snapshot::CommitTree;

#[derive(Serialize)]
struct Change<'a> {
    key: &'a str,
    /// The value the chart reads, as JSON; null when absent.
    old: Option<&'a Value>,
    new: Option<&'a Value>,
}

/// One JSON entry: every key always present.
#[derive(Serialize)]
struct Doc<'a> {
    commit: String,
    author: &'a str,
    email: &'a str,
    date: String,
    env: &'a str,
    model: &'a str,
    path: String,
    renamed_from: Option<String>,
    renamed_to: Option<String>,
    changes: Vec<Change<'a>>,
}

pub(super) fn run(ctx: &Context, args: &LogArgs) -> Result<u8> {
    for key in &args.key {
        crate::edit::Path::parse(key).map_err(error::usage)?;
    }
    let named = layout::targets(&args.targets.envs, &args.targets.models)?;
    if named.is_empty() && !args.targets.models.is_empty() {
        return Err(error::usage(
            "name the environment of the models: --env ENV MODEL..., or ENV/MODEL",
        ));
    }
    let clone;
    let checkout;
    let (repo, tip): (&Repository, Oid) = match &ctx.repo.clone {
        Some(url) => {
            let mut options = ctx.git_options();
            options.history = true;
            clone = Workspace::clone_temp(url, options)?;
            (clone.repo(), clone.base())
        }
        None => {
            let root = ctx.root()?;
            checkout = crate::git::local::discover(&root).map_err(|e| {
                error::failure(format!("{} is not a git checkout", root.display()))
                    .caused_by(e)
                    .hinted("mlops log reads the history of a git checkout, or of --clone URL")
            })?;
            crate::interrupt::state(format!("while mlops log read the history of {}: nothing was changed, in the checkout or on the remote", root.display()));
            let tip = branch_tip(ctx, &checkout)?;
            (&checkout, tip)
        }
    };
    let targets = match named.is_empty() {
        false => {
            // A model renamed or removed since keeps its history, as
            // `git log -- PATH` shows a file that is gone.
            let at_tip = CommitTree::new(repo, tip)?;
            for target in &named {
                if let Err(e) = models::resolve(&at_tip, std::slice::from_ref(target)) {
                    if !renames::in_history(repo, tip, target) {
                        return Err(e);
                    }
                }
            }
            named
        }
        true => {
            let listed = models::list(&CommitTree::new(repo, tip)?, &args.targets.envs)?;
            listed
                .into_iter()
                .filter(|l| l.problem.is_none())
                .map(|l| l.target)
                .collect()
        }
    };
    let query = Query {
        targets: &targets,
        keys: &args.key,
        max: args.max_count,
    };
    let entries = history::history(repo, tip, &query)?;
    if ctx.ui.json() {
        let docs: Vec<Doc<'_>> = entries.iter().map(doc).collect();
        ctx.ui.emit_json(&docs)?;
    } else if entries.is_empty() && args.max_count != Some(0) {
        ctx.ui
            .info("No changes of these models' values on this branch.");
    } else if !entries.is_empty() {
        ctx.ui.out(text(&entries))?;
    }
    Ok(0)
}

/// HEAD; with `--branch`, that local branch, else `<remote>/<branch>` as
/// last fetched; with `--remote`, its copy of the branch.
fn branch_tip(ctx: &Context, repo: &Repository) -> Result<Oid> {
    let head = repo.head().ok();
    if ctx.repo.branch.is_none() && ctx.repo.remote.is_none() {
        return head
            .and_then(|h| h.peel_to_commit().ok())
            .map(|c| c.id())
            .ok_or_else(|| error::failure("the checkout has no commits yet"));
    }
    let current = head
        .as_ref()
        .and_then(|h| h.shorthand().ok().map(str::to_string))
        .unwrap_or_default();
    let branch = ctx.repo.branch.as_deref().unwrap_or(&current);
    let remote = ctx.repo.remote.as_deref().unwrap_or("origin");
    let mut names = Vec::new();
    if ctx.repo.remote.is_none() {
        names.push(format!("refs/heads/{branch}"));
    }
    names.push(format!("refs/remotes/{remote}/{branch}"));
    names
        .iter()
        .find_map(|n| repo.refname_to_id(n).ok())
        .ok_or_else(|| {
            error::git(format!(
                "there is no branch {branch} here ({})",
                names.join(", ")
            ))
            .hinted("git fetch brings remote branches; git branch -a lists what exists")
        })
}

fn shown(v: &Option<Value>) -> String {
    v.as_ref()
        .map_or_else(|| "(absent)".to_string(), Value::text)
}

fn text(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(&format!(
            "{:.10} {} {} <{}> {}\n",
            e.commit.to_string(),
            history::iso_date(e.time),
            e.author,
            e.email,
            e.target
        ));
        if let Some(from) = &e.renamed_from {
            out.push_str(&format!("    (renamed from {from})\n"));
        }
        if let Some(to) = &e.renamed_to {
            out.push_str(&format!("    (renamed to {to})\n"));
        }
        for c in &e.changes {
            out.push_str(&format!(
                "    {}: {} -> {}\n",
                c.key,
                shown(&c.old),
                shown(&c.new)
            ));
        }
    }
    out
}

fn doc(e: &Entry) -> Doc<'_> {
    Doc {
        commit: e.commit.to_string(),
        author: &e.author,
        email: &e.email,
        date: history::iso_date(e.time),
        env: &e.target.env,
        model: &e.target.model,
        path: e.target.path(),
        renamed_from: e.renamed_from.as_ref().map(Target::to_string),
        renamed_to: e.renamed_to.as_ref().map(Target::to_string),
        changes: e
            .changes
            .iter()
            .map(|c| Change {
                key: &c.key,
                old: c.old.as_ref(),
                new: c.new.as_ref(),
            })
            .collect(),
    }
}
