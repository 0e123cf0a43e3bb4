//! `mlops set --env ENV MODEL... PATH=STRING... [PATH:=SCALAR...]`: the
//! workshop pipeline's yq step, byte-exact, at any depth (Helm paths:
//! `image.tag`, `env[0].value`), through the same flow as the autoscale
//! commands (diff, confirmation, commit, push, retry).

use super::change::{self, describe, Edit};
use super::Context;
use crate::cli::SetArgs;
use crate::edit::{self, Assign, Refusal};
use crate::error::{self, Result};
use crate::gitops::chart::Autoscaler;
use crate::gitops::layout::Target;

pub(super) fn run(ctx: &Context, args: &SetArgs) -> Result<u8> {
    let (models, assigns) = split(&args.words)?;
    let edit = SetValues { assigns };
    change::run(ctx, &args.envs, &models, &edit)
}

/// `set WORD` (one `PATH=VALUE`), a demo step.
pub(super) fn demo_step(word: &str) -> impl Edit {
    let word = word.to_string();
    let assign = edit::parse_assign(&word);
    SetValues {
        assigns: assign.map(|a| (word, a)).into_iter().collect(),
    }
}

/// The words are models (`MODEL` or `ENV/MODEL`) and assignments
/// (`PATH=STRING`, `PATH:=SCALAR`): a model name never holds `=`. A
/// malformed path is a usage error, before anything is read.
fn split(words: &[String]) -> Result<(Vec<String>, Vec<Given>)> {
    let mut models = Vec::new();
    let mut assigns: Vec<Given> = Vec::new();
    for word in words {
        match edit::parse_assign(word) {
            None => models.push(word.clone()),
            Some(assign) => {
                edit::Path::parse(&assign.key).map_err(|e| {
                    error::usage(e).hinted(
                        "a path as helm --set takes it: image.tag, env[0].value, 'podAnnotations.prometheus\\.io/scrape'",
                    )
                })?;
                if let Some((other, _)) = assigns.iter().find(|(_, a)| a.key == assign.key) {
                    if other != word {
                        return Err(error::usage(format!(
                            "{} is set twice, to different values ({other} and {word})",
                            assign.key
                        )));
                    }
                    continue;
                }
                assigns.push((word.clone(), assign));
            }
        }
    }
    if assigns.is_empty() {
        return Err(error::usage("nothing to set: give at least one KEY=VALUE")
            .hinted("for example: mlops set --env test jukebox version=7f3e9a1b2c"));
    }
    Ok((models, assigns))
}

/// An assignment with the word it was given as (`version=1.2`).
type Given = (String, Assign);

/// Set these paths: what `set` does to a file.
struct SetValues {
    assigns: Vec<Given>,
}

impl SetValues {
    fn words(&self) -> String {
        self.assigns
            .iter()
            .map(|(w, _)| w.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Per path whose value changed for the chart, in the order given:
    /// before and after, as the chart reads them (`None`: absent).
    fn changes(&self, old: &[u8], new: &[u8]) -> Vec<(String, Change)> {
        self.assigns
            .iter()
            .filter_map(|(_, a)| {
                let path = edit::Path::parse(&a.key).ok()?;
                let value = |bytes: &[u8]| {
                    edit::lookup(bytes, &path).ok().flatten().map(|found| Read {
                        shown: found.reading.value.display(),
                        json: found.json,
                    })
                };
                let (o, n) = (value(old), value(new));
                (o != n).then(|| (a.key.clone(), (o, n)))
            })
            .collect()
    }
}

/// A path's value before and after (`None`: absent).
type Change = (Option<Read>, Option<Read>);

/// One value as the chart reads it: for people, and as JSON.
#[derive(PartialEq)]
struct Read {
    shown: String,
    json: serde_json::Value,
}

impl Edit for SetValues {
    fn apply(&self, old: &[u8]) -> Result<Option<Vec<u8>>, Refusal> {
        let assigns: Vec<Assign> = self.assigns.iter().map(|(_, a)| a.clone()).collect();
        Ok(match edit::set(old, &assigns)? {
            edit::Outcome::Unchanged => None,
            edit::Outcome::Changed { bytes, .. } => Some(bytes),
        })
    }

    fn subject(&self, changed: &[Target]) -> String {
        format!("Set {} for {}", self.words(), describe(changed))
    }

    fn unchanged(&self, _target: &Target) -> String {
        format!("already holds {} (unchanged)", self.words())
    }

    fn header(&self, target: &Target, old: &[u8], new: &[u8]) -> String {
        let parts: Vec<String> = self
            .changes(old, new)
            .into_iter()
            .map(|(key, (o, n))| {
                let shown = |v: &Option<Read>| match v {
                    Some(r) => r.shown.clone(),
                    None => "(absent)".to_string(),
                };
                format!("{key} {} -> {}", shown(&o), shown(&n))
            })
            .collect();
        format!("{target}: {}", parts.join(", "))
    }

    fn details(&self, old: &[u8], new: &[u8]) -> serde_json::Value {
        let map: serde_json::Map<String, serde_json::Value> = self
            .changes(old, new)
            .into_iter()
            .map(|(key, (o, n))| {
                let json = |v: Option<Read>| v.map_or(serde_json::Value::Null, |r| r.json);
                (key, serde_json::json!({ "old": json(o), "new": json(n) }))
            })
            .collect();
        serde_json::Value::Object(map)
    }

    fn want(&self) -> Option<Autoscaler> {
        None
    }

    fn command_line(&self) -> String {
        format!("set {}", self.words())
    }
}
