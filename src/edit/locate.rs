//! Finding the top-level mapping and its entries, refusing the shapes where
//! "the value of that key" is not one clear span of text.

use super::events::Style;
use super::helm::{is_merge_key, key_text, scalar_key};
use super::tree::{self, Doc, Id, NodeKind};
use super::{line_of, Refusal};
use std::collections::HashMap;

/// The file's top level, as far as the engine cares.
pub(crate) enum Top {
    /// No content at all: an empty file, comments only, or a bare `---`.
    Empty,
    /// A mapping node.
    Mapping(Id),
}

fn refuse(input: &[u8], at: usize, reason: impl Into<String>, hint: impl Into<String>) -> Refusal {
    Refusal {
        line: Some(line_of(input, at)),
        reason: reason.into(),
        hint: hint.into(),
    }
}

/// Checks there is one document whose top level is a mapping (or nothing).
pub(crate) fn top(input: &[u8], doc: &Doc) -> Result<Top, Refusal> {
    if let Some(at) = doc.second_doc_at {
        return Err(refuse(
            input,
            at,
            "the file holds more than one YAML document",
            "a Helm values file is one document: remove the extra `---` section",
        ));
    }
    let Some(root) = doc.root else {
        return Ok(Top::Empty);
    };
    let node = doc.node(root);
    match &node.kind {
        NodeKind::Mapping(_)
            if matches!(node.tag.as_deref(), None | Some("tag:yaml.org,2002:map")) =>
        {
            Ok(Top::Mapping(root))
        }
        NodeKind::Mapping(_) => Err(refuse(
            input,
            node.start,
            format!(
                "the top-level mapping has the tag `{}`",
                node.tag.as_deref().unwrap_or("")
            ),
            "remove the tag: Helm values are a plain mapping",
        )),
        NodeKind::Scalar {
            value,
            style: Style::Plain,
        } if value.is_empty() && node.tag.is_none() && node.anchor.is_none() => Ok(Top::Empty),
        other => {
            let what = match other {
                NodeKind::Sequence(_) => "a list",
                NodeKind::Alias { .. } => "an alias",
                _ => "a single value",
            };
            Err(refuse(
                input,
                node.start,
                format!("the top level is {what}, not a mapping of keys"),
                "a Helm values file must be a mapping (`key: value` lines)",
            ))
        }
    }
}

/// UTF-8 check and one libyaml parse: the first step of every call.
pub(crate) fn load(input: &[u8]) -> Result<Doc, Refusal> {
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

/// One explicit entry of the top-level mapping.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub key: Id,
    pub value: Id,
}

/// The explicit entries of the top-level mapping with a scalar key, by key
/// text (merge keys left out). Refuses a key written twice: readers
/// disagree on which one counts.
pub(crate) fn entries(input: &[u8], doc: &Doc, map: Id) -> Result<Vec<(String, Entry)>, Refusal> {
    entries_in(input, doc, map, "at the top level")
}

/// [`entries`] of any mapping; `place` says where it is in the refusal
/// (`in image`, `at the top level`).
pub(crate) fn entries_in(
    input: &[u8],
    doc: &Doc,
    map: Id,
    place: &str,
) -> Result<Vec<(String, Entry)>, Refusal> {
    let NodeKind::Mapping(pairs) = &doc.node(map).kind else {
        return Ok(Vec::new());
    };
    let mut found: Vec<(String, Entry)> = Vec::new();
    let mut first_at: HashMap<&str, Id> = HashMap::new();
    for &(k, v) in pairs {
        let Some(text) = key_text(doc, k).filter(|_| !is_merge_key(doc, k)) else {
            continue;
        };
        if let Some(&first) = first_at.get(text) {
            check_key_written(input, doc, k, text)?;
            return Err(refuse(
                input,
                doc.node(k).start,
                format!(
                    "`{text}` appears twice {place} (lines {} and {})",
                    line_of(input, doc.node(first).start),
                    line_of(input, doc.node(k).start)
                ),
                "delete one of the two entries, then run the command again",
            ));
        }
        first_at.insert(text, k);
        found.push((text.to_string(), Entry { key: k, value: v }));
    }
    Ok(found)
}

/// Refuses a key `name` written as an alias or with a tag (other than
/// `!!str`): the engine edits only keys written as their text.
pub(crate) fn check_key_written(input: &[u8], doc: &Doc, k: Id, name: &str) -> Result<(), Refusal> {
    if scalar_key(doc, k) == Some(name) {
        return Ok(());
    }
    Err(refuse(
        input,
        doc.node(k).start,
        format!("the `{name}` key is written as an alias or with a tag"),
        format!("write the key plainly as `{name}:`"),
    ))
}

/// Accepts `name:` (or a quoted key) that starts a line or follows `{`/`,`
/// in a flow mapping; refuses explicit `? name` entries and anything else
/// unusual, where the value's place is less obvious.
pub(crate) fn check_key_layout(input: &[u8], doc: &Doc, k: Id, name: &str) -> Result<(), Refusal> {
    check_key_written(input, doc, k, name)?;
    let key = doc.node(k);
    let before = input[..key.start]
        .iter()
        .rev()
        .find(|b| !matches!(b, b' ' | b'\t'))
        .copied();
    let starts_line = matches!(before, None | Some(b'\n' | b'\r' | b'{' | b','));
    if before == Some(b'?') {
        return Err(refuse(
            input,
            key.start,
            format!("`{name}` is written as an explicit key (`? {name}`)"),
            format!("rewrite the entry as `{name}: <value>` on one line"),
        ));
    }
    let colon = input[key.end..]
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t'))
        .copied();
    if !starts_line || colon != Some(b':') {
        return Err(refuse(
            input,
            key.start,
            format!("the `{name}` key is written in an unusual way"),
            format!("rewrite the entry as `{name}: <value>` on a line of its own"),
        ));
    }
    Ok(())
}
