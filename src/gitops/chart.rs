//! The chart's model: what the music-transformer chart renders for one
//! values file. This is the one place that answers "which autoscaler does
//! the chart render for test/jukebox?" and "what must change so that it
//! renders the asked one?"; status, picking, completion, the diff header
//! and the "nothing to change" decision all ask it.
//!
//! The template (`templates/inferenceservice.yaml`):
//!
//! ```text
//! {{- if and .Values.autoscaling (not .Values.keda) }}   HPA
//! {{- if .Values.keda }}                                 KEDA
//! ```
//!
//! Helm reads values as YAML 1.1 (`yes`/`on` are true), drops keys whose
//! value is null (so the chart default, false, applies), and tests Go
//! template truthiness (a quoted `"false"` is a non-empty string: true).

use serde::Serialize;

use crate::edit::{self, Refusal};

/// The key that turns the HPA autoscaler on.
pub(crate) const AUTOSCALING: &str = "autoscaling";
/// The key that turns the KEDA autoscaler on (and wins over HPA).
pub(crate) const KEDA: &str = "keda";

/// What the chart renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Autoscaler {
    Off,
    Hpa,
    Keda,
}

impl Autoscaler {
    pub fn as_str(self) -> &'static str {
        match self {
            Autoscaler::Off => "off",
            Autoscaler::Hpa => "hpa",
            Autoscaler::Keda => "keda",
        }
    }
}

/// One switch key as the chart reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Switch {
    /// Go template truthiness of the value (a null value: false).
    pub truthy: bool,
    /// Set where readers disagree on the spelling (`yes`, `on`, `"false"`).
    pub warning: Option<String>,
}

/// What one values file makes the chart render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rendering {
    /// `None` when the key is absent (the chart default applies).
    pub autoscaling: Option<Switch>,
    pub keda: Option<Switch>,
    /// The top-level `version`, as the chart reads it (a string, number
    /// or boolean; `None` when absent, null or a collection).
    pub version: Option<edit::ChartValue>,
}

impl Rendering {
    /// Reads one values file (one parse).
    pub fn read(bytes: &[u8]) -> Result<Rendering, Refusal> {
        let values = edit::read(bytes)?;
        let switch = |key: &str| {
            values.get(key).map(|r| Switch {
                truthy: r.value.truthy(),
                warning: r.warning.clone(),
            })
        };
        Ok(Rendering {
            autoscaling: switch(AUTOSCALING),
            keda: switch(KEDA),
            version: values.get("version").and_then(|r| match &r.value {
                edit::ChartValue::Null | edit::ChartValue::List(_) | edit::ChartValue::Map(_) => {
                    None
                }
                other => Some(other.clone()),
            }),
        })
    }

    /// What the chart renders: KEDA when `keda` is truthy, else HPA when
    /// `autoscaling` is, else nothing.
    pub fn autoscaler(&self) -> Autoscaler {
        let on = |s: &Option<Switch>| s.as_ref().is_some_and(|s| s.truthy);
        if on(&self.keda) {
            Autoscaler::Keda
        } else if on(&self.autoscaling) {
            Autoscaler::Hpa
        } else {
            Autoscaler::Off
        }
    }

    /// The warnings of both switches, each naming its key.
    pub fn warnings(&self) -> Vec<String> {
        [(AUTOSCALING, &self.autoscaling), (KEDA, &self.keda)]
            .into_iter()
            .filter_map(|(key, s)| {
                let w = s.as_ref()?.warning.as_ref()?;
                Some(format!("{key}: {w}"))
            })
            .collect()
    }

    /// The values to write so that the chart renders `want`, fewest first:
    /// nothing when it already does, whatever the spelling.
    ///
    /// - HPA: `autoscaling` becomes `true` unless truthy; a truthy `keda`
    ///   becomes `false` (an absent one stays absent).
    /// - KEDA: `keda` becomes `true` unless truthy; `autoscaling` is left.
    /// - off: each truthy one of `autoscaling` and `keda` becomes `false`.
    pub fn assignments(&self, want: Autoscaler) -> Vec<(&'static str, bool)> {
        let on = |s: &Option<Switch>| s.as_ref().is_some_and(|s| s.truthy);
        let mut out = Vec::new();
        match want {
            Autoscaler::Hpa => {
                if !on(&self.autoscaling) {
                    out.push((AUTOSCALING, true));
                }
                if on(&self.keda) {
                    out.push((KEDA, false));
                }
            }
            Autoscaler::Keda => {
                if !on(&self.keda) {
                    out.push((KEDA, true));
                }
            }
            Autoscaler::Off => {
                if on(&self.autoscaling) {
                    out.push((AUTOSCALING, false));
                }
                if on(&self.keda) {
                    out.push((KEDA, false));
                }
            }
        }
        out
    }
}

/// What the chart reads at a Helm path (`image.tag`, `env[0].value`):
/// `None` when the path leads nowhere. The one reader of nested values, for
/// `log --key` now and for switches below the top level later.
pub(crate) fn value_at(
    bytes: &[u8],
    path: &edit::Path,
) -> Result<Option<edit::PathValue>, Refusal> {
    edit::lookup(bytes, path)
}

/// The edit that makes `bytes` render `want`: `Ok(None)` when it already
/// does.
pub(crate) fn edit_to(bytes: &[u8], want: Autoscaler) -> Result<Option<Vec<u8>>, Refusal> {
    let assigns: Vec<edit::Assign> = Rendering::read(bytes)?
        .assignments(want)
        .into_iter()
        .map(|(key, value)| edit::Assign {
            key: key.to_string(),
            value: edit::NewValue::Typed(value.to_string()),
        })
        .collect();
    if assigns.is_empty() {
        return Ok(None);
    }
    match edit::set(bytes, &assigns)? {
        edit::Outcome::Unchanged => Ok(None),
        edit::Outcome::Changed { bytes, .. } => Ok(Some(bytes)),
    }
}

#[cfg(test)]
mod tests;
