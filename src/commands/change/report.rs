//! The JSON document of a change (CONTRACT.md: `enable`/`disable`/`set
//! --output json`): every key always present, null where it does not
//! apply, so scripts can rely on the shape.

use git2::Oid;
use serde::Serialize;

use crate::commands::Context;
use crate::error::Result;
use crate::git::remote::Pushed;
use crate::gitops::layout::Target;

/// One model in one environment, as the report lists it.
#[derive(Debug, Clone, Serialize)]
struct Entry {
    env: String,
    model: String,
    path: String,
    /// `set`: per key, the old and new value as the chart reads them.
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    values: serde_json::Value,
}

impl Entry {
    fn new(t: &Target, values: serde_json::Value) -> Entry {
        Entry {
            env: t.env.clone(),
            model: t.model.clone(),
            path: t.path(),
            values,
        }
    }
}

/// The Argo CD side of a change: the applications that will deploy it
/// and the changed files that no ApplicationSet covers.
#[derive(Debug, Clone, Default)]
pub(crate) struct Coverage {
    pub applications: Vec<String>,
    pub uncovered: Vec<String>,
    /// What `--wait` watches: each application with its model.
    pub deploys: Vec<crate::deploy::Watch>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Report {
    changed: Vec<Entry>,
    unchanged: Vec<Entry>,
    commit: Option<String>,
    pushed: bool,
    remote_branch: Option<String>,
    attempts: Option<u32>,
    applications: Vec<String>,
    uncovered: Vec<String>,
    /// `--pull-request`: the one opened or reused; null without it.
    pull_request: Option<crate::forge::PullRequest>,
    /// `--wait`: each application's state when the wait ended; null
    /// without it.
    deployed: Option<Vec<crate::deploy::Deployed>>,
    #[serde(skip)]
    deploys: Vec<crate::deploy::Watch>,
    /// A step after the push failed: the run ends with its exit status.
    #[serde(skip)]
    failed: Option<crate::error::Error>,
}

impl Report {
    pub fn new(unchanged: &[Target]) -> Report {
        Report {
            changed: Vec::new(),
            unchanged: unchanged
                .iter()
                .map(|t| Entry::new(t, serde_json::Value::Null))
                .collect(),
            commit: None,
            pushed: false,
            remote_branch: None,
            attempts: None,
            applications: Vec::new(),
            uncovered: Vec::new(),
            pull_request: None,
            deployed: None,
            deploys: Vec::new(),
            failed: None,
        }
    }

    pub fn changed(&mut self, target: &Target, values: serde_json::Value) {
        self.changed.push(Entry::new(target, values));
    }

    pub fn coverage(&mut self, coverage: Coverage) {
        self.applications = coverage.applications;
        self.uncovered = coverage.uncovered;
        self.deploys = coverage.deploys;
    }

    pub fn committed(&mut self, commit: Oid) {
        self.commit = Some(commit.to_string());
    }

    pub fn pushed(&mut self, pushed: &Pushed) {
        self.commit = Some(pushed.commit.to_string());
        self.pushed = true;
        self.remote_branch = Some(pushed.remote_branch.clone());
        self.attempts = Some(pushed.attempts);
    }

    /// Someone else made the same change first: nothing of ours changed.
    pub fn all_unchanged(&mut self, targets: &[Target]) {
        self.changed.clear();
        self.unchanged = targets
            .iter()
            .map(|t| Entry::new(t, serde_json::Value::Null))
            .collect();
        self.applications.clear();
        self.uncovered.clear();
    }

    pub fn pull_request(&mut self, pr: crate::forge::PullRequest) {
        self.pull_request = Some(pr);
    }

    pub fn deployed(&mut self, deployed: Vec<crate::deploy::Deployed>) {
        self.deployed = Some(deployed);
    }

    /// The applications Argo CD deploys the change with, and their models.
    pub fn deploys(&self) -> &[crate::deploy::Watch] {
        &self.deploys
    }

    /// No file of this run changed (the remote already had the change).
    pub fn nothing_changed(&self) -> bool {
        self.changed.is_empty()
    }

    pub fn failed(&mut self, err: crate::error::Error) {
        self.failed = Some(err);
    }

    /// Prints the document in JSON mode; the exit status is 0, or that of
    /// a step after the push that failed (its error on stderr: the JSON
    /// document on stdout stays the report of what was pushed).
    pub fn finish(&self, ctx: &Context) -> Result<u8> {
        if ctx.ui.json() {
            ctx.ui.emit_json(self)?;
        }
        match &self.failed {
            None => Ok(0),
            Some(err) => {
                let mut text = ctx.ui.clone();
                text.output = crate::cli::OutputFormat::Text;
                text.error(err);
                Ok(err.kind.exit_code())
            }
        }
    }
}
