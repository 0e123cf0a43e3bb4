//! Finding the top-level mapping and its `autoscaling` entry, refusing the
//! shapes where "the `autoscaling` value" is not one clear span of text.

use super::events::Style;
use super::helm::scalar_key;
use super::tree::{Doc, Id, NodeKind};
use super::{line_of, Refusal, KEY};

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

/// The explicit `autoscaling` entry of the top-level mapping, if any, as
/// (key node, value node). Refuses duplicates and keys that are written in
/// a way the engine will not guess about.
pub(crate) fn entry(input: &[u8], doc: &Doc, map: Id) -> Result<Option<(Id, Id)>, Refusal> {
    let NodeKind::Mapping(entries) = &doc.node(map).kind else {
        return Ok(None);
    };
    let mut found: Option<(Id, Id)> = None;
    for &(k, v) in entries {
        let key = doc.node(k);
        let text = match &key.kind {
            NodeKind::Scalar { value, .. } => Some(value.as_str()),
            NodeKind::Alias { .. } => doc.resolve(k).and_then(|t| match &doc.node(t).kind {
                NodeKind::Scalar { value, .. } => Some(value.as_str()),
                _ => None,
            }),
            _ => None,
        };
        if text != Some(KEY) {
            continue;
        }
        if scalar_key(doc, k) != Some(KEY) {
            return Err(refuse(
                input,
                key.start,
                "the `autoscaling` key is written as an alias or with a tag",
                "write the key plainly as `autoscaling:`",
            ));
        }
        if let Some((first, _)) = found {
            return Err(refuse(
                input,
                key.start,
                format!(
                    "`autoscaling` appears twice at the top level (lines {} and {})",
                    line_of(input, doc.node(first).start),
                    line_of(input, key.start)
                ),
                "delete one of the two entries, then run the command again",
            ));
        }
        found = Some((k, v));
    }
    Ok(found)
}

/// Accepts `autoscaling:` (or a quoted key) that starts a line or follows
/// `{`/`,` in a flow mapping; refuses explicit `? autoscaling` entries and
/// anything else unusual, where the value's place is less obvious.
pub(crate) fn check_key_layout(input: &[u8], doc: &Doc, k: Id) -> Result<(), Refusal> {
    let key = doc.node(k);
    let before = input[..key.start]
        .iter()
        .rev()
        .find(|b| !matches!(b, b' ' | b'\t'))
        .copied();
    let starts_line = match before {
        None | Some(b'\n' | b'\r' | b'{' | b',') => true,
        _ => false,
    };
    if before == Some(b'?') {
        return Err(refuse(
            input,
            key.start,
            "`autoscaling` is written as an explicit key (`? autoscaling`)",
            "rewrite the entry as `autoscaling: <value>` on one line",
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
            "the `autoscaling` key is written in an unusual way",
            "rewrite the entry as `autoscaling: <value>` on a line of its own",
        ));
    }
    Ok(())
}
