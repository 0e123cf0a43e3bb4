//! The YAML edit engine: pure, bytes in, bytes out or a precise refusal.
//!
//! It edits scalar values of a Helm values file at any depth, addressed by
//! Helm `--set` paths ([`Path`]: `image.tag`, `env[0].value`): [`set`]
//! rewrites (or inserts, creating missing mappings) exactly the values
//! asked for and leaves every other byte alone; [`read`] tells what the
//! Helm chart sees for every top-level key, [`lookup`] at one path.
//! No I/O happens here, so the engine can be tested, fuzzed and benchmarked
//! on its own. The autoscale commands are one use of it
//! ([`set_autoscaling`], [`read_autoscaling`]).
//!
//! How: one libyaml parse gives every node's byte span (`events`, `tree`);
//! `path` parses the paths; `walk` follows each down the file (`locate`
//! checks entries) and refuses unclear shapes; `set` plans one splice per
//! value and `insert` one per mapping that gains keys (`splice` for block
//! mappings, `flow` for a one-line `{...}`), writing strings as `quote`
//! decides; `verify` parses the result with serde_yaml (YAML 1.2) and with
//! `helm` (what the chart sees: go-yaml v2's YAML 1.1 resolution in
//! `resolve`, merges, aliases; whole trees in `value`) and compares both
//! with the old data plus the asked values.
//!
//! Why not the `yamlpatch` crate (comment-preserving patches over
//! tree-sitter): its current releases (1.31, 1.32) need rustc 1.97 and do
//! not build here; the newest that builds (0.13, with yamlpath 0.34) was
//! tried on this engine's cases. It kept comments, quoting and anchors on
//! plain replacements, but: it refuses the empty `---` document (no root
//! node); inserts LF lines into CRLF files; reformats a flow mapping
//! (`{a: 1}` -> `{ a: 1, autoscaling: true }`); edits the first of two
//! duplicate keys (the reader sees the second); follows an alias value and
//! rewrites the *anchored* value elsewhere, leaving a dangling alias; drops
//! an anchor that is still aliased (invalid YAML); replaces a whole mapping
//! value with `true`; and edits the first of several documents. Wrapping it
//! would mean re-checking all of that with a second parser anyway, on top
//! of a C grammar build (tree-sitter) and a second serde YAML fork. The
//! hand-written engine needs no crate beyond what serde_yaml already uses.

/// What [`set`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The file already holds exactly what was asked: nothing to write.
    Unchanged,
    /// The new file content; `line` is the 1-based first changed line of
    /// the new content.
    Changed { bytes: Vec<u8>, line: usize },
}

/// Why the engine would not edit a file. The file must be left untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 1-based line the problem is on, when there is one.
    pub line: Option<usize>,
    /// What is wrong, e.g. "`autoscaling` appears twice (lines 3 and 9)".
    pub reason: String,
    /// What the user can do about it.
    pub hint: String,
}

/// The value of one `KEY=STRING` or `KEY:=SCALAR` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewValue {
    /// `KEY=STRING`: the chart must read exactly this string.
    Str(String),
    /// `KEY:=SCALAR`: this one-line YAML scalar, written as given
    /// (`true`, `3`, `null`, `"x"`, `'x'`).
    Typed(String),
}

/// One path and the value to give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assign {
    /// A Helm path as written (`image.tag`; a plain key is a path too).
    pub key: String,
    pub value: NewValue,
}

/// Reads `PATH=STRING` or `PATH:=SCALAR`: split at the first `=` that no
/// backslash escapes, typed when the character before it is `:`. `None`
/// when there is no `=`. The path is not checked here ([`set`] refuses a
/// bad one, with the reason).
pub fn parse_assign(arg: &str) -> Option<Assign> {
    let mut escaped = false;
    let at = arg.char_indices().find_map(|(i, c)| {
        let found = c == '=' && !escaped;
        escaped = c == '\\' && !escaped;
        found.then_some(i)
    })?;
    let (left, right) = (&arg[..at], &arg[at + 1..]);
    let (key, value) = match left.strip_suffix(':') {
        Some(key) => (key, NewValue::Typed(right.to_string())),
        None => (left, NewValue::Str(right.to_string())),
    };
    Some(Assign {
        key: key.to_string(),
        value,
    })
}

/// A value as Helm's chart reads it (YAML 1.1 by go-yaml v2's rules, merge
/// keys applied, aliases followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartValue {
    Null,
    Bool(bool),
    /// The integer in decimal (`0x1f` is `31`).
    Int(String),
    /// The number as Go shows it (`1e3` is `1000`, `.inf` is `+Inf`).
    Float(String),
    Str(String),
    /// A list of that many items.
    List(usize),
    /// A mapping of that many entries.
    Map(usize),
}

impl ChartValue {
    /// Go template truthiness (`{{ if .Values.key }}`). Helm removes a key
    /// whose value is null, so the chart sees it as absent: false.
    pub fn truthy(&self) -> bool {
        match self {
            ChartValue::Null => false,
            ChartValue::Bool(b) => *b,
            ChartValue::Int(n) => n != "0",
            ChartValue::Float(f) => f.parse::<f64>() != Ok(0.0),
            ChartValue::Str(s) => !s.is_empty(),
            ChartValue::List(n) | ChartValue::Map(n) => *n > 0,
        }
    }

    /// For people: `true`, `null`, `3`, `4562a17c17`; a string that would
    /// read as something else is shown quoted (`"false"`, `""`);
    /// collections as `[list of 2]`, `{map of 3}`.
    pub fn display(&self) -> String {
        match self {
            ChartValue::Null => "null".into(),
            ChartValue::Bool(b) => b.to_string(),
            ChartValue::Int(n) | ChartValue::Float(n) => n.clone(),
            ChartValue::Str(s) => quote::render(s, None, false),
            ChartValue::List(n) => format!("[list of {n}]"),
            ChartValue::Map(n) => format!("{{map of {n}}}"),
        }
    }

    /// For JSON documents: the value the chart reads, as JSON: a string
    /// is the string itself (never its YAML spelling with quotes), a
    /// number a number, `true` a boolean, null `null`. A number JSON
    /// can't hold (`+Inf`, `NaN`) is the string Go shows; a collection
    /// the words of [`ChartValue::display`].
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        let float = |n: &str| {
            n.parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| Value::String(n.to_string()), Value::Number)
        };
        match self {
            ChartValue::Null => Value::Null,
            ChartValue::Bool(b) => Value::Bool(*b),
            ChartValue::Int(n) => n
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| n.parse::<u64>().map(Value::from))
                .unwrap_or_else(|_| float(n)),
            ChartValue::Float(n) => float(n),
            ChartValue::Str(s) => Value::String(s.clone()),
            ChartValue::List(_) | ChartValue::Map(_) => Value::String(self.display()),
        }
    }
}

/// Serialized as [`ChartValue::to_json`] gives it.
impl serde::Serialize for ChartValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// What the chart sees for one top-level key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub value: ChartValue,
    /// Where readers disagree or the text misleads (`yes`, `on`,
    /// `"false"`, `!!bool`, a value set only through a merge key ...).
    pub warning: Option<String>,
    /// 1-based line of the key the value is written under (for a merged
    /// value, the key in the mapping the merge takes it from).
    pub line: usize,
}

/// Every top-level key of one values file after merge keys, in file order
/// (explicit entries first, then the keys only merges provide).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Values {
    entries: Vec<(String, Reading, helm::Eval)>,
    /// Position in `entries` by key.
    index: std::collections::HashMap<String, usize>,
}

impl Values {
    /// `None`: the key is absent (the chart default applies).
    pub fn get(&self, key: &str) -> Option<&Reading> {
        self.entry(key).map(|(_, r, _)| r)
    }

    pub fn keys(&self) -> impl Iterator<Item = (&str, &Reading)> {
        self.entries.iter().map(|(k, r, _)| (k.as_str(), r))
    }

    fn entry(&self, key: &str) -> Option<&(String, Reading, helm::Eval)> {
        self.index.get(key).map(|&i| &self.entries[i])
    }
}

mod events;
mod flow;
mod helm;
mod insert;
mod legacy;
mod locate;
mod path;
mod quote;
mod read;
mod resolve;
mod set;
mod splice;
mod tree;
mod value;
mod verify;
mod walk;

#[cfg(test)]
mod tests_chart;
#[cfg(test)]
mod tests_depth;
#[cfg(test)]
mod tests_quote;
#[cfg(test)]
mod tests_read;
#[cfg(test)]
mod tests_set;
#[cfg(test)]
mod tests_values;

pub use legacy::{read_autoscaling, read_values, set_autoscaling, Switch};
pub use path::{Path, Step};
pub use read::read;
pub use set::set;
pub use value::{lookup, scalar_paths, PathValue};

/// 1-based line of byte offset `at`.
pub(crate) fn line_of(input: &[u8], at: usize) -> usize {
    input[..at.min(input.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// A UTF-8 byte order mark is set aside before parsing and put back after:
/// libyaml, told the input is UTF-8 (as serde_yaml tells it), counts the
/// mark as a column, so `\u{feff}a: 1\nb: 2` fails to parse; go-yaml (Helm)
/// skips it. It adds no line, so line numbers stay right.
pub(crate) fn split_bom(input: &[u8]) -> (&[u8], &[u8]) {
    match input.strip_prefix(b"\xEF\xBB\xBF") {
        Some(body) => (&input[..3], body),
        None => (&input[..0], input),
    }
}
