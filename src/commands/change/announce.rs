//! What to tell about where a change goes: the Argo CD applications that
//! will deploy it (before the confirmation, so a user can still stop) and,
//! after a push, the commit and the remote branch it reached.

use super::report::Coverage;
use crate::commands::Context;
use crate::error::Result;
use crate::git::remote::Pushed;
use crate::gitops::argo;

/// Says which applications will deploy the changed files (`found`: read from the
/// ApplicationSets of the base commit, which the change does not touch),
/// warns about a file none covers, and returns both for the JSON report.
pub(super) fn coverage(ctx: &Context, found: Result<argo::Coverage>, branch: &str) -> Coverage {
    let found = match found {
        Ok(found) => found,
        Err(e) => {
            ctx.ui
                .warn(format!("could not read the ApplicationSets: {}", e.message));
            return Coverage::default();
        }
    };
    let mut out = Coverage::default();
    for (path, apps) in found {
        if apps.is_empty() {
            ctx.ui.warn(format!(
                "no Argo CD ApplicationSet in the repository covers {path}: Argo CD will not deploy this change"
            ));
            out.uncovered.push(path.clone());
        }
        for app in apps {
            let when = match &app.revision {
                Some(rev) if rev != branch => format!(" once {branch} is merged into {rev}"),
                _ => String::new(),
            };
            let Some(name) = app.name else {
                ctx.ui.warn(format!(
                    "the ApplicationSet {} ({}) covers {path} but its template has no metadata.name: the application's name is unknown",
                    app.appset, app.file
                ));
                continue;
            };
            ctx.ui.info(format!(
                "Argo CD application {name} (ApplicationSet {}) will deploy {path}{when}",
                app.appset
            ));
            if let Some(mut watch) =
                crate::deploy::Watch::of(&name, app.namespace.as_deref(), &path)
            {
                watch.after_merge = app.revision.clone().filter(|rev| rev != branch);
                out.deploys.push(watch);
            }
            if !out.applications.contains(&name) {
                out.applications.push(name);
            }
        }
    }
    out
}

/// Tells where the commit went.
pub(super) fn pushed(ctx: &Context, pushed: &Pushed) {
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
    if let Some(from) = &pushed.created_from {
        let branch = pushed
            .remote_branch
            .split_once('/')
            .map_or(pushed.remote_branch.as_str(), |(_, b)| b);
        // With --pull-request the next line names the pull request.
        let advice = if ctx.change.close.pull_request {
            String::from(".")
        } else {
            format!(": open a pull request into {from} to deploy it.")
        };
        ctx.ui
            .info(format!("Created the branch {branch} from {from}{advice}"));
    }
}
