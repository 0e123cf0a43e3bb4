//! What Helm's chart sees: go-yaml v2 (YAML 1.1) resolution, merge keys,
//! aliases; and a note where the text misleads or readers disagree.

use super::events::Style;
use super::resolve::{core12, go_yaml, is_null_word, yaml11_bool};
use super::tree::{Doc, Id, NodeKind};
use super::{line_of, ChartValue, Refusal};
use std::collections::HashSet;

const TAG_STR: &str = "tag:yaml.org,2002:str";
const TAG_BOOL: &str = "tag:yaml.org,2002:bool";
const TAG_NULL: &str = "tag:yaml.org,2002:null";
const TAG_MERGE: &str = "tag:yaml.org,2002:merge";

/// Where the value the chart sees for one key comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found {
    pub key: Id,
    pub value: Id,
    /// Line of the top-level `<<` entry when the value comes only through
    /// a merge.
    pub merge_line: Option<usize>,
}

/// Every key of mapping `map` after merges, as go-yaml v2 resolves them:
/// explicit entries first (file order), then the keys merges add, the
/// first merge providing a key winning (file order, list order).
pub(crate) fn merged(input: &[u8], doc: &Doc, map: Id) -> Result<Vec<(String, Found)>, Refusal> {
    let mut walk = Merges {
        input,
        doc,
        budget: 10_000,
        seen: HashSet::new(),
        out: Vec::new(),
    };
    walk.collect(map, None, 0)?;
    Ok(walk.out)
}

/// The one key `key` of [`merged`].
pub(crate) fn lookup(
    input: &[u8],
    doc: &Doc,
    map: Id,
    key: &str,
) -> Result<Option<Found>, Refusal> {
    Ok(merged(input, doc, map)?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, found)| found))
}

/// One walk through a mapping and the mappings its merge keys name, with
/// a bound on the work (merges may nest and name one mapping many times).
struct Merges<'a> {
    input: &'a [u8],
    doc: &'a Doc,
    budget: usize,
    seen: HashSet<&'a str>,
    out: Vec<(String, Found)>,
}

impl<'a> Merges<'a> {
    fn collect(&mut self, map: Id, merge_line: Option<usize>, depth: usize) -> Result<(), Refusal> {
        let (input, doc) = (self.input, self.doc);
        self.budget = self.budget.saturating_sub(1);
        if depth > 32 || self.budget == 0 {
            return Err(Refusal {
                line: Some(line_of(input, doc.node(map).start)),
                reason: "merge keys (`<<`) nest too deeply to follow".into(),
                hint: "simplify the merge keys of this file".into(),
            });
        }
        let NodeKind::Mapping(entries) = &doc.node(map).kind else {
            return Ok(());
        };
        for &(k, v) in entries {
            let Some(text) = key_text(doc, k).filter(|_| !is_merge_key(doc, k)) else {
                continue;
            };
            if self.seen.insert(text) {
                let found = Found {
                    key: k,
                    value: v,
                    merge_line,
                };
                self.out.push((text.to_string(), found));
            }
        }
        for &(k, v) in entries.iter().filter(|(k, _)| is_merge_key(doc, *k)) {
            let line = merge_line.unwrap_or_else(|| line_of(input, doc.node(k).start));
            let sources: Vec<Id> = match doc.resolve(v).map(|r| &doc.node(r).kind) {
                Some(NodeKind::Sequence(items)) if doc.resolve(v) == Some(v) => items.clone(),
                _ => vec![v],
            };
            for src in sources {
                let target = doc
                    .resolve(src)
                    .filter(|t| matches!(doc.node(*t).kind, NodeKind::Mapping(_)));
                let Some(target) = target else {
                    return Err(Refusal {
                        line: Some(line_of(input, doc.node(k).start)),
                        reason: "a merge key (`<<`) must name a mapping or a list of mappings"
                            .into(),
                        hint: "fix the `<<` entry so that it points at mappings (`<<: *base`)"
                            .into(),
                    });
                };
                self.collect(target, Some(line), depth + 1)?;
            }
        }
        Ok(())
    }
}

/// The text of a key that is a plain string (untagged or `!!str`).
pub(crate) fn scalar_key(doc: &Doc, id: Id) -> Option<&str> {
    let node = doc.node(id);
    match (&node.kind, node.tag.as_deref()) {
        (NodeKind::Scalar { value, .. }, None | Some(TAG_STR)) => Some(value),
        _ => None,
    }
}

/// The text of a scalar key, whatever its tag, following an alias key to
/// its anchored scalar (Helm turns every scalar key into its text).
pub(crate) fn key_text(doc: &Doc, id: Id) -> Option<&str> {
    match &doc.node(doc.resolve(id)?).kind {
        NodeKind::Scalar { value, .. } => Some(value),
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

/// Tags the engine understands on a value it rewrites.
pub(crate) fn is_simple_tag(tag: Option<&str>) -> bool {
    matches!(tag, None | Some(TAG_STR | TAG_BOOL | TAG_NULL))
}

/// What the chart sees for one value, and what to tell people about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Eval {
    pub value: ChartValue,
    /// Where the value's text misleads, or readers disagree on it.
    pub note: Option<String>,
    /// Where the value comes from, when not from its own entry (an alias,
    /// a merge key).
    pub source: Option<String>,
}

impl Eval {
    /// Both notes as one warning.
    pub fn warning(&self) -> Option<String> {
        join(self.note.clone(), self.source.clone())
    }
}

pub(crate) fn join(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    }
}

/// What the chart sees for the value node `id` (aliases followed).
pub(crate) fn evaluate(doc: &Doc, id: Id) -> Eval {
    let Some(target) = doc.resolve(id) else {
        return Eval {
            value: ChartValue::Null,
            note: Some("an alias that leads nowhere: the chart default applies".into()),
            source: None,
        };
    };
    let node = doc.node(target);
    let (value, note) = match &node.kind {
        NodeKind::Scalar { value, style } => scalar(value, *style, node.tag.as_deref()),
        NodeKind::Sequence(items) => (ChartValue::List(items.len()), None),
        NodeKind::Mapping(entries) => (ChartValue::Map(entries.len()), None),
        NodeKind::Alias { .. } => (ChartValue::Null, Some("an alias that leads nowhere".into())),
    };
    let source = match &doc.node(id).kind {
        NodeKind::Alias { name, .. } => Some(format!("set through alias *{name}")),
        _ => None,
    };
    Eval {
        value,
        note,
        source,
    }
}

const NULL_NOTE: &str = "null: Helm drops the key, so the chart default applies";

/// What the chart sees for the text of one scalar (already unescaped).
pub(crate) fn scalar(value: &str, style: Style, tag: Option<&str>) -> (ChartValue, Option<String>) {
    let plain = style == Style::Plain;
    match tag {
        Some(TAG_NULL) => (ChartValue::Null, Some(NULL_NOTE.into())),
        Some(TAG_BOOL) => match yaml11_bool(value) {
            Some(b) => {
                let note = (!plain || !matches!(value, "true" | "false"))
                    .then(|| format!("`!!bool {value}`: write plain `{b}`"));
                (ChartValue::Bool(b), note)
            }
            None => (
                ChartValue::Str(value.into()),
                Some(format!(
                    "`!!bool {value}` is no boolean: Helm cannot read it"
                )),
            ),
        },
        None if plain => {
            let (helm, yq) = (go_yaml(value), core12(value));
            let note = if helm == ChartValue::Null {
                Some(NULL_NOTE.into())
            } else if helm == yq {
                None
            } else if let ChartValue::Bool(b) = helm {
                Some(format!(
                    "`{value}` is {b} only in YAML 1.1 (Helm); YAML 1.2 tools (yq) read a string"
                ))
            } else {
                Some(format!(
                    "`{value}`: YAML 1.1 (Helm) reads {}, YAML 1.2 tools (yq) read {}",
                    helm.display(),
                    yq.display()
                ))
            };
            (helm, note)
        }
        None | Some(TAG_STR) => {
            let looks_typed =
                !value.is_empty() && (yaml11_bool(value).is_some() || is_null_word(value));
            let note = looks_typed.then(|| {
                format!(
                    "{} is a string, not a {}: Go templates take any non-empty string as true",
                    ChartValue::Str(value.into()).display(),
                    if is_null_word(value) {
                        "null"
                    } else {
                        "boolean"
                    }
                )
            });
            (ChartValue::Str(value.into()), note)
        }
        Some(other) => (
            ChartValue::Str(value.into()),
            Some(format!("tag {other}: readers may disagree on this value")),
        ),
    }
}
