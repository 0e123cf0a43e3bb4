//! What to tell after a push: the commit, the remote branch it reached, and
//! the Argo CD applications that will deploy it (read from the
//! ApplicationSets in the pushed tree), with a warning for a changed file
//! no ApplicationSet covers, since Argo CD would never deploy it.

use crate::commands::Context;
use crate::git::argo;
use crate::git::remote::Pushed;
use crate::git::Workspace;

/// Tells what happened and returns the names of the Argo CD applications
/// that will deploy the change (for the JSON report).
pub fn pushed(ctx: &Context, ws: &Workspace, pushed: &Pushed) -> Vec<String> {
    let attempts = match pushed.attempts {
        1 => String::new(),
        n => format!(" (after {n} attempts: the remote moved meanwhile)"),
    };
    ctx.ui.info(format!(
        "Pushed {:.10} to {} ({}){attempts}",
        pushed.commit.to_string(),
        pushed.remote_branch,
        pushed.url
    ));
    let branch = pushed
        .remote_branch
        .split_once('/')
        .map_or(pushed.remote_branch.as_str(), |(_, b)| b);
    if let Some(from) = &pushed.created_from {
        ctx.ui.info(format!(
            "Created the branch {branch} from {from}: open a pull request into {from} to deploy it."
        ));
    }
    // The files the commit changed, and the ApplicationSets as they are
    // in the pushed commit.
    let coverage = ws
        .repo
        .find_commit(pushed.commit)
        .and_then(|c| c.parent_id(0))
        .map_err(|e| crate::error::git("could not read the pushed commit").caused_by(e))
        .and_then(|parent| ws.changed_paths(parent, pushed.commit))
        .and_then(|paths| argo::coverage(&ws.tree_snapshot_at(pushed.commit)?, &paths));
    let coverage = match coverage {
        Ok(c) => c,
        Err(e) => {
            ctx.ui
                .verbose(format!("could not read the ApplicationSets: {}", e.message));
            return Vec::new();
        }
    };
    let mut names = Vec::new();
    for (path, apps) in coverage {
        if apps.is_empty() {
            ctx.ui.warn(format!(
                "no Argo CD ApplicationSet in the repository covers {path}: Argo CD will not deploy this change"
            ));
        }
        for app in apps {
            let when = match &app.revision {
                Some(rev) if rev != branch => format!(" once {branch} is merged into {rev}"),
                _ => String::new(),
            };
            ctx.ui.info(format!(
                "Argo CD application {} (ApplicationSet {}) will deploy {path}{when}",
                app.name, app.appset
            ));
            if !names.contains(&app.name) {
                names.push(app.name);
            }
        }
    }
    names
}
