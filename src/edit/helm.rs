//! What Helm's chart sees: go-yaml v2 (YAML 1.1) resolution, merge keys and
//! Go template truthiness (`{{ if .Values.autoscaling }}`).

use super::events::Style;
use super::tree::{Doc, Id, NodeKind};
use super::{line_of, Reading, Refusal};

const TAG_STR: &str = "tag:yaml.org,2002:str";
const TAG_BOOL: &str = "tag:yaml.org,2002:bool";
const TAG_NULL: &str = "tag:yaml.org,2002:null";
const TAG_MERGE: &str = "tag:yaml.org,2002:merge";

/// YAML 1.1 booleans as go-yaml v2 resolves them.
pub(crate) fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            Some(false)
        }
        _ => None,
    }
}

pub(crate) fn is_null_word(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// A YAML 1.1 number's value is zero / non-zero; `None` if not a number.
fn number_is_zero(s: &str) -> Option<bool> {
    let t = s.replace('_', "");
    let digits = t.trim_start_matches(['+', '-']);
    let int = if let Some(h) = digits.strip_prefix("0x") {
        u128::from_str_radix(h, 16).ok()
    } else if let Some(b) = digits.strip_prefix("0b") {
        u128::from_str_radix(b, 2).ok()
    } else if let Some(o) = digits.strip_prefix("0o") {
        u128::from_str_radix(o, 8).ok()
    } else if digits.len() > 1 && digits.starts_with('0') {
        u128::from_str_radix(&digits[1..], 8).ok()
    } else {
        digits.parse::<u128>().ok()
    };
    if let Some(n) = int {
        return Some(n == 0);
    }
    if matches!(digits, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN") {
        return Some(false);
    }
    let looks_float = !digits.is_empty()
        && digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    match t.parse::<f64>() {
        Ok(f) if looks_float => Some(f == 0.0),
        _ => None,
    }
}

/// Where the value the chart sees comes from.
pub(crate) struct Found {
    pub value: Id,
    /// Line of the `<<` entry when the value comes only through a merge.
    pub merge_line: Option<usize>,
}

/// Finds `key` in mapping `map` as go-yaml v2 would after merges: an
/// explicit entry wins; then merges in order, the first providing it wins.
pub(crate) fn lookup(
    input: &[u8],
    doc: &Doc,
    map: Id,
    key: &str,
) -> Result<Option<Found>, Refusal> {
    let mut budget = 10_000usize;
    find(input, doc, map, key, 0, &mut budget)
}

fn find(
    input: &[u8],
    doc: &Doc,
    map: Id,
    key: &str,
    depth: usize,
    budget: &mut usize,
) -> Result<Option<Found>, Refusal> {
    *budget = budget.saturating_sub(1);
    if depth > 32 || *budget == 0 {
        return Err(Refusal {
            line: Some(line_of(input, doc.node(map).start)),
            reason: "merge keys (`<<`) nest too deeply to follow".into(),
            hint: "simplify the merge keys of this file".into(),
        });
    }
    let NodeKind::Mapping(entries) = &doc.node(map).kind else {
        return Ok(None);
    };
    let mut explicit = None;
    for (k, v) in entries {
        if scalar_key(doc, *k) == Some(key) {
            explicit = Some(*v);
        }
    }
    if let Some(value) = explicit {
        return Ok(Some(Found {
            value,
            merge_line: None,
        }));
    }
    for (k, v) in entries {
        if !is_merge_key(doc, *k) {
            continue;
        }
        let line = line_of(input, doc.node(*k).start);
        let sources: Vec<Id> = match doc.resolve(*v).map(|r| &doc.node(r).kind) {
            Some(NodeKind::Sequence(items)) if doc.resolve(*v) == Some(*v) => items.clone(),
            _ => vec![*v],
        };
        for src in sources {
            let target = doc
                .resolve(src)
                .filter(|t| matches!(doc.node(*t).kind, NodeKind::Mapping(_)));
            let Some(target) = target else {
                return Err(Refusal {
                    line: Some(line),
                    reason: "a merge key (`<<`) must name a mapping or a list of mappings".into(),
                    hint: "fix the `<<` entry so that it points at mappings (`<<: *base`)".into(),
                });
            };
            if let Some(found) = find(input, doc, target, key, depth + 1, budget)? {
                return Ok(Some(Found {
                    value: found.value,
                    merge_line: Some(line),
                }));
            }
        }
    }
    Ok(None)
}

/// The text of a key that is a plain string (untagged or `!!str`).
pub(crate) fn scalar_key(doc: &Doc, id: Id) -> Option<&str> {
    let node = doc.node(id);
    match (&node.kind, node.tag.as_deref()) {
        (NodeKind::Scalar { value, .. }, None | Some(TAG_STR)) => Some(value),
        _ => None,
    }
}

pub(crate) fn is_merge_key(doc: &Doc, id: Id) -> bool {
    let node = doc.node(id);
    match (&node.kind, node.tag.as_deref()) {
        (
            NodeKind::Scalar {
                value,
                style: Style::Plain,
            },
            None,
        ) => value == "<<",
        (NodeKind::Scalar { .. }, Some(TAG_MERGE)) => true,
        _ => false,
    }
}

/// Tags the engine understands on an `autoscaling` value.
pub(crate) fn is_simple_tag(tag: Option<&str>) -> bool {
    matches!(tag, None | Some(TAG_STR | TAG_BOOL | TAG_NULL))
}

/// What the chart sees for the value node `id` (aliases followed).
pub(crate) fn evaluate(doc: &Doc, id: Id) -> Reading {
    let Some(target) = doc.resolve(id) else {
        return reading(
            None,
            "an alias that leads nowhere: the chart default applies".into(),
        );
    };
    let via_alias = target != id;
    let node = doc.node(target);
    let mut r = match &node.kind {
        NodeKind::Scalar { value, style } => scalar(value, *style, node.tag.as_deref()),
        NodeKind::Sequence(items) => collection(items.is_empty(), "list"),
        NodeKind::Mapping(entries) => collection(entries.is_empty(), "mapping"),
        NodeKind::Alias { .. } => reading(None, "an alias that leads nowhere".into()),
    };
    if via_alias {
        let name = match &doc.node(id).kind {
            NodeKind::Alias { name, .. } => name.as_str(),
            _ => "",
        };
        let note = format!("set through alias *{name}");
        r.warning = Some(match r.warning {
            Some(w) => format!("{w} ({note})"),
            None => note,
        });
    }
    r
}

fn reading(effective: Option<bool>, warning: String) -> Reading {
    Reading {
        effective,
        warning: Some(warning),
    }
}

fn on_off(b: bool) -> &'static str {
    if b {
        "ON"
    } else {
        "OFF"
    }
}

fn collection(empty: bool, what: &str) -> Reading {
    reading(
        Some(!empty),
        format!(
            "a {what}, not a boolean: the chart turns autoscaling {}",
            on_off(!empty)
        ),
    )
}

fn scalar(value: &str, style: Style, tag: Option<&str>) -> Reading {
    let plain = style == Style::Plain;
    match tag {
        Some(TAG_NULL) => return reading(None, "null: the chart default applies".into()),
        Some(TAG_BOOL) => {
            if let Some(b) = yaml11_bool(value) {
                return Reading {
                    effective: Some(b),
                    warning: (!plain || !matches!(value, "true" | "false"))
                        .then(|| format!("`!!bool {value}`: write plain `{b}`")),
                };
            }
        }
        Some(TAG_STR) | None => {}
        Some(other) => {
            return reading(
                Some(!value.is_empty()),
                format!("tag {other}: readers may disagree on this value"),
            )
        }
    }
    if plain && tag.is_none() {
        if is_null_word(value) {
            return reading(None, "null: the chart default applies".into());
        }
        if let Some(b) = yaml11_bool(value) {
            let warning = match value {
                "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => None,
                _ => Some(format!(
                    "`{value}` is {b} only in YAML 1.1 (Helm); YAML 1.2 tools (yq) read a string"
                )),
            };
            return Reading {
                effective: Some(b),
                warning,
            };
        }
        if let Some(zero) = number_is_zero(value) {
            return reading(
                Some(!zero),
                format!(
                    "`{value}` is a number: the chart turns autoscaling {}",
                    on_off(!zero)
                ),
            );
        }
    }
    if value.is_empty() {
        return reading(
            Some(false),
            "an empty string: the chart turns autoscaling OFF".into(),
        );
    }
    let shown = if value.chars().count() > 12 {
        let cut: String = value.chars().take(12).collect();
        format!("{cut}…")
    } else {
        value.to_string()
    };
    let falsy = yaml11_bool(value) == Some(false) || is_null_word(value.trim()) || value == "0";
    let warning = if falsy {
        format!("\"{shown}\" is a non-empty string: the chart turns autoscaling ON")
    } else {
        format!("\"{shown}\" is a string, not a boolean: the chart turns autoscaling ON")
    };
    reading(Some(true), warning)
}
