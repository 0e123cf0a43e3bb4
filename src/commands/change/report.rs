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
        }
    }

    pub fn changed(&mut self, target: &Target, values: serde_json::Value) {
        self.changed.push(Entry::new(target, values));
    }

    pub fn coverage(&mut self, coverage: Coverage) {
        self.applications = coverage.applications;
        self.uncovered = coverage.uncovered;
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

    /// Prints the document in JSON mode; the exit status is 0.
    pub fn finish(&self, ctx: &Context) -> Result<u8> {
        if ctx.ui.json() {
            ctx.ui.emit_json(self)?;
        }
        Ok(0)
    }
}
