//! How repository options given before and after the subcommand combine:
//! the one rule of the command line that both the commands and Tab
//! completion need, so it lives beside the clap types.

use super::RepoArgs;
use crate::error::{usage, Result};

/// The environment variable that names the checkout, like `-C`.
const REPO_VAR: &str = "MLOPS_REPO";

/// `-C`, `--clone`, `--branch`, `--remote`: after the subcommand wins;
/// `MLOPS_REPO` only when neither `-C` nor `--clone` was given.
pub(crate) fn merge_repo(top: RepoArgs, sub: RepoArgs) -> Result<RepoArgs> {
    let repo = sub.repo.or(top.repo);
    let clone = sub.clone.or(top.clone);
    if repo.is_some() && clone.is_some() {
        return Err(
            usage("-C/--repo and --clone name two different repositories")
                .hinted("use -C DIR for a checkout, or --clone URL for a temporary clone"),
        );
    }
    let repo = match (&repo, &clone) {
        (None, None) => std::env::var_os(REPO_VAR)
            .filter(|v| !v.is_empty())
            .map(Into::into),
        _ => repo,
    };
    Ok(RepoArgs {
        repo,
        clone,
        branch: sub.branch.or(top.branch),
        remote: sub.remote.or(top.remote),
    })
}
