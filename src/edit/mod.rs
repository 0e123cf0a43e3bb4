//! The YAML edit engine: pure, bytes in, bytes out or a precise refusal.
//!
//! It knows one thing: the top-level `autoscaling` key of a Helm values
//! file. [`set_autoscaling`] rewrites (or inserts) exactly that value and
//! leaves every other byte alone; [`read_autoscaling`] tells what the Helm
//! chart will see there. No I/O happens here, so the engine can be tested,
//! fuzzed and benchmarked on its own.
//!
//! How: one libyaml parse gives every node's byte span (`events`, `tree`);
//! `locate` finds the top-level entry and refuses unclear shapes; `splice`
//! replaces the value's bytes or inserts one line, then checks itself by
//! parsing the result with serde_yaml and comparing it with the old data
//! plus `autoscaling`; `helm` says what the chart sees (YAML 1.1, merges,
//! Go template truthiness).
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

/// What [`set_autoscaling`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The file already says exactly what was asked (or, for `false`, has no
    /// `autoscaling` key): nothing to write.
    Unchanged,
    /// The new file content; `line` is the 1-based line of the edited or
    /// inserted `autoscaling` entry in the new content.
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

/// What the chart will see for `autoscaling` in one values file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// `Some(true/false)` as Helm's template truthiness evaluates the value
    /// (YAML 1.1 booleans, a quoted "false" is a non-empty string so true);
    /// `None` when the key is absent or null (the chart default applies).
    pub effective: Option<bool>,
    /// Set when the text misleads, e.g. `autoscaling: "false"` which the
    /// chart reads as ON.
    pub warning: Option<String>,
}

mod events;
mod helm;
mod locate;
mod shim;
mod splice;
mod tree;
pub use shim::{
    parse_assign, read, set, Assign, ChartValue, NewValue, Reading as KeyReading,
    Values as KeyValues,
};

#[cfg(test)]
mod tests_read;
#[cfg(test)]
mod tests_set;

use locate::Top;
use tree::{Doc, NodeKind};

/// The one key this engine reads and writes.
pub(crate) const KEY: &str = "autoscaling";

/// 1-based line of byte offset `at`.
pub(crate) fn line_of(input: &[u8], at: usize) -> usize {
    input[..at.min(input.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// UTF-8 check and one libyaml parse: the shared first step of both calls.
fn load(input: &[u8]) -> Result<Doc, Refusal> {
    if let Err(e) = std::str::from_utf8(input) {
        return Err(Refusal {
            line: Some(line_of(input, e.valid_up_to())),
            reason: "the file is not valid UTF-8 text".into(),
            hint: "save the file as UTF-8".into(),
        });
    }
    tree::build(input).map_err(|e| Refusal {
        line: Some(e.line),
        reason: format!("invalid YAML: {}", e.message),
        hint: "fix the YAML syntax, then run the command again".into(),
    })
}

/// Sets the top-level `autoscaling` value to `value`.
///
/// Only the value's own bytes change (or one line is inserted); the result
/// is parsed again and compared with the old data before it is returned.
pub fn set_autoscaling(input: &[u8], value: bool) -> Result<Outcome, Refusal> {
    let (bom, body) = split_bom(input);
    Ok(match set_body(body, value)? {
        Outcome::Changed { bytes, line } => Outcome::Changed {
            bytes: [bom, &bytes[..]].concat(),
            line,
        },
        Outcome::Unchanged => Outcome::Unchanged,
    })
}

/// A UTF-8 byte order mark is set aside before parsing and put back after:
/// libyaml, told the input is UTF-8 (as serde_yaml tells it), counts the
/// mark as a column, so `\u{feff}a: 1\nb: 2` fails to parse; go-yaml (Helm)
/// skips it. It adds no line, so line numbers stay right.
fn split_bom(input: &[u8]) -> (&[u8], &[u8]) {
    match input.strip_prefix(b"\xEF\xBB\xBF") {
        Some(body) => (&input[..3], body),
        None => (&input[..0], input),
    }
}

fn set_body(input: &[u8], value: bool) -> Result<Outcome, Refusal> {
    let doc = load(input)?;
    let outcome = match locate::top(input, &doc)? {
        Top::Empty if !value => return Ok(Outcome::Unchanged),
        Top::Empty => splice::insert(input, &doc, None, value)?,
        Top::Mapping(map) => match locate::entry(input, &doc, map)? {
            Some((key, val)) => replace(input, &doc, key, val, value)?,
            None => match helm::lookup(input, &doc, map, KEY)? {
                // Only a merge key (`<<`) provides it: an explicit entry
                // overrides the merge for this file alone (the anchored
                // mapping and its other users keep their value), and that
                // is the only way the chart sees what was asked. A merged
                // value that is already the plain word needs nothing.
                Some(found) if is_plain_word(&doc, found.value, value) => Outcome::Unchanged,
                Some(_) => splice::insert(input, &doc, Some(map), value)?,
                None if !value => Outcome::Unchanged,
                None => splice::insert(input, &doc, Some(map), value)?,
            },
        },
    };
    if let Outcome::Changed { bytes, line } = &outcome {
        splice::verify(input, bytes, value, *line)?;
    }
    Ok(outcome)
}

/// `true`/`false` written plainly, no tag, no anchor: nothing to rewrite.
fn is_plain_word(doc: &Doc, id: tree::Id, value: bool) -> bool {
    let node = doc.node(id);
    node.tag.is_none()
        && node.anchor.is_none()
        && matches!(&node.kind, NodeKind::Scalar { value: v, style: events::Style::Plain }
            if v == if value { "true" } else { "false" })
}

/// Rewrites an existing entry's value, refusing values that are not one
/// plain piece of text on one line owned by this entry alone.
fn replace(
    input: &[u8],
    doc: &Doc,
    key: tree::Id,
    id: tree::Id,
    value: bool,
) -> Result<Outcome, Refusal> {
    locate::check_key_layout(input, doc, key)?;
    let node = doc.node(id);
    let line = line_of(input, node.start);
    let refuse = |reason: String, hint: &str| Refusal {
        line: Some(line),
        reason,
        hint: hint.into(),
    };
    let set_by_hand = "replace the value by hand with `true` or `false`";
    match &node.kind {
        NodeKind::Alias { name, .. } => {
            return Err(refuse(
                format!("the value is the alias `*{name}`: it takes its value from another place"),
                "change the anchored value, or replace the alias by hand with `true` or `false`",
            ))
        }
        NodeKind::Mapping(_) | NodeKind::Sequence(_) => {
            let what = if matches!(node.kind, NodeKind::Mapping(_)) {
                "mapping"
            } else {
                "list"
            };
            return Err(refuse(
                format!("the value is a {what}, not a single true/false value"),
                set_by_hand,
            ));
        }
        NodeKind::Scalar { style, .. } => {
            if let Some(tag) = node
                .tag
                .as_deref()
                .filter(|t| !helm::is_simple_tag(Some(t)))
            {
                return Err(refuse(
                    format!("the value carries the tag `{tag}`"),
                    set_by_hand,
                ));
            }
            if let (Some(anchor), Some(used)) = (&node.anchor, node.aliased_at) {
                return Err(refuse(
                    format!(
                        "the value is anchored as `&{anchor}` and used again by `*{anchor}` on line {}: changing it would change that too",
                        line_of(input, used)
                    ),
                    "give the other place its own value, or edit both by hand",
                ));
            }
            let multi_line = matches!(style, events::Style::Literal | events::Style::Folded)
                || input[node.start..node.end].contains(&b'\n');
            if multi_line {
                return Err(refuse("the value spans several lines".into(), set_by_hand));
            }
        }
    }
    if is_plain_word(doc, id, value) {
        return Ok(Outcome::Unchanged);
    }
    let word = if value { "true" } else { "false" };
    if node.start == node.end {
        let key_end = doc.node(key).end;
        return match splice::empty_value_slot(input, key_end, value) {
            Some((at, text)) => Ok(splice::replace_span(input, at, at, &text)),
            None => Err(refuse(
                "could not find where the empty value goes".into(),
                set_by_hand,
            )),
        };
    }
    // An anchor nobody aliases names nothing: it goes with the old value,
    // so the line reads exactly `autoscaling: true`.
    Ok(splice::replace_span(input, node.start, node.end, word))
}

/// What `status` shows of one values file, from a single parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values {
    /// What the chart sees for `autoscaling`.
    pub autoscaling: Reading,
    /// The top-level `version` value, when it is a scalar (the model
    /// version the workshop's pipeline writes).
    pub version: Option<String>,
}

/// Reads what the chart will see for `autoscaling`.
pub fn read_autoscaling(input: &[u8]) -> Result<Reading, Refusal> {
    read_values(input).map(|values| values.autoscaling)
}

/// [`read_autoscaling`] plus the top-level `version`, parsing the file once.
pub fn read_values(input: &[u8]) -> Result<Values, Refusal> {
    let unset = Reading {
        effective: None,
        warning: None,
    };
    let input = split_bom(input).1;
    let doc = load(input)?;
    let Top::Mapping(map) = locate::top(input, &doc)? else {
        return Ok(Values {
            autoscaling: unset,
            version: None,
        });
    };
    locate::entry(input, &doc, map)?;
    let version = helm::lookup(input, &doc, map, "version")?
        .and_then(|found| doc.resolve(found.value))
        .and_then(|id| match &doc.node(id).kind {
            tree::NodeKind::Scalar { value, .. } => Some(value.clone()),
            _ => None,
        });
    let Some(found) = helm::lookup(input, &doc, map, KEY)? else {
        return Ok(Values {
            autoscaling: unset,
            version,
        });
    };
    let mut reading = helm::evaluate(&doc, found.value);
    if let Some(line) = found.merge_line {
        let note = format!("set only through the merge key `<<` (line {line})");
        reading.warning = Some(match reading.warning {
            Some(w) => format!("{w}; {note}"),
            None => note,
        });
    }
    Ok(Values {
        autoscaling: reading,
        version,
    })
}
