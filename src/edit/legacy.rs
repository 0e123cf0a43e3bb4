//! The autoscale commands' view of the engine: one key, `autoscaling`, as
//! an on/off switch. Thin wrappers over [`set`] and [`read`], kept while
//! their callers move to the general calls.

use super::{read, set, Assign, ChartValue, NewValue, Outcome, Refusal, Values};

/// The key the autoscale commands switch.
const KEY: &str = "autoscaling";

/// What the chart makes of one key used as an on/off switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switch {
    /// `Some(true/false)` as Helm's template truthiness evaluates the value
    /// (a quoted "false" is a non-empty string, so true); `None` when the
    /// key is absent or null (the chart default applies).
    pub effective: Option<bool>,
    /// Set when the text misleads, e.g. `autoscaling: "false"` which the
    /// chart reads as ON.
    pub warning: Option<String>,
}

/// Sets the top-level `autoscaling` value to plain `true` or `false`; with
/// `false`, an absent key stays absent (the chart reads it as off).
pub fn set_autoscaling(input: &[u8], value: bool) -> Result<Outcome, Refusal> {
    if !value && read(input)?.get(KEY).is_none() {
        return Ok(Outcome::Unchanged);
    }
    let assign = Assign {
        key: KEY.into(),
        value: NewValue::Typed(value.to_string()),
    };
    set(input, &[assign])
}

/// What the chart sees for `autoscaling`, as a switch.
pub fn read_autoscaling(input: &[u8]) -> Result<Switch, Refusal> {
    read(input).map(|values| values.switch(KEY))
}

/// Every top-level key: the same as [`read`].
pub fn read_values(input: &[u8]) -> Result<Values, Refusal> {
    read(input)
}

impl Values {
    /// Key `key` as an on/off switch, with a warning for every value that
    /// is not a plain boolean.
    pub(crate) fn switch(&self, key: &str) -> Switch {
        let Some((_, reading, eval)) = self.entry(key) else {
            return Switch {
                effective: None,
                warning: None,
            };
        };
        let value = &reading.value;
        let warning = match value {
            ChartValue::Bool(_) | ChartValue::Null => reading.warning.clone(),
            other => super::helm::join(Some(not_a_switch(key, other)), eval.source.clone()),
        };
        Switch {
            effective: (*value != ChartValue::Null).then(|| value.truthy()),
            warning,
        }
    }
}

/// Why a value that is no boolean still turns the switch on or off.
fn not_a_switch(key: &str, value: &ChartValue) -> String {
    let on_off = if value.truthy() { "ON" } else { "OFF" };
    let turns = format!("the chart turns {key} {on_off}");
    match value {
        ChartValue::Str(s) if s.is_empty() => format!("an empty string: {turns}"),
        ChartValue::Str(s) => {
            let shown = match s.char_indices().nth(12) {
                Some((cut, _)) => format!("{}…", &s[..cut]),
                None => s.clone(),
            };
            let falsy = super::resolve::yaml11_bool(s) == Some(false)
                || super::resolve::is_null_word(s.trim())
                || s == "0";
            let what = if falsy {
                "a non-empty string"
            } else {
                "a string, not a boolean"
            };
            format!("\"{shown}\" is {what}: {turns}")
        }
        ChartValue::Int(n) | ChartValue::Float(n) => format!("`{n}` is a number: {turns}"),
        ChartValue::List(_) => format!("a list, not a boolean: {turns}"),
        _ => format!("a mapping, not a boolean: {turns}"),
    }
}
