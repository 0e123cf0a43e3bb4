//! Byte surgery: replace the value's span, or insert one new line, and
//! nothing else. Every result is checked by [`verify`] before it leaves.

use super::tree::{Doc, Id, NodeKind};
use super::{line_of, Outcome, Refusal, KEY};

fn word(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

/// Replaces bytes `start..end` (all on one line) with `text`.
pub(crate) fn replace_span(input: &[u8], start: usize, end: usize, text: &str) -> Outcome {
    let mut bytes = Vec::with_capacity(input.len() + text.len());
    bytes.extend_from_slice(&input[..start]);
    bytes.extend_from_slice(text.as_bytes());
    bytes.extend_from_slice(&input[end..]);
    Outcome::Changed {
        line: line_of(input, start),
        bytes,
    }
}

/// Where an empty value (`autoscaling:` with nothing after the colon, or
/// only a comment) gets its word, and the text to put there.
pub(crate) fn empty_value_slot(
    input: &[u8],
    key_end: usize,
    value: bool,
) -> Option<(usize, String)> {
    let colon = key_end + input[key_end..].iter().position(|b| *b == b':')?;
    let after = colon + 1;
    match input.get(after) {
        None | Some(b'\n' | b'\r') => Some((after, format!(" {}", word(value)))),
        // `autoscaling: # note` -> `autoscaling: true # note`
        Some(b' ' | b'\t') => Some((after + 1, format!("{} ", word(value)))),
        _ => None,
    }
}

/// The end of a node's own text: block collections end where their last
/// child ends (libyaml puts their end mark at the next token, which may lie
/// past trailing comments).
fn content_end(doc: &Doc, id: Id) -> usize {
    let mut end = 0;
    let mut cur = id;
    // Walk down the last children iteratively (no recursion on deep input).
    loop {
        let n = doc.node(cur);
        let child = match &n.kind {
            _ if n.flow => None,
            NodeKind::Sequence(items) => items.last().copied(),
            NodeKind::Mapping(entries) => entries.last().map(|(k, v)| {
                end = end.max(doc.node(*k).end);
                *v
            }),
            _ => None,
        };
        match child {
            Some(c) => cur = c,
            // An empty plain scalar has no text; its mark may sit at the
            // next token, so it adds nothing (its key already counted).
            None if is_bare_empty(n) => return end,
            None => return end.max(n.end),
        }
    }
}

fn is_bare_empty(n: &super::tree::Node) -> bool {
    matches!(&n.kind, NodeKind::Scalar { value, .. } if value.is_empty()) && n.start == n.end
}

/// The line break used by the line ending just before `at`, else the
/// file's first line break, else `\n`.
fn line_break(input: &[u8], at: usize) -> &'static str {
    let crlf = |i: usize| i > 0 && input[i - 1] == b'\r';
    if at > 0 && input[at - 1] == b'\n' {
        return if crlf(at - 1) { "\r\n" } else { "\n" };
    }
    match input.iter().position(|b| *b == b'\n') {
        Some(i) if crlf(i) => "\r\n",
        _ => "\n",
    }
}

fn line_end(input: &[u8], from: usize) -> usize {
    input[from..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(input.len(), |p| from + p + 1)
}

/// Inserts `autoscaling: <value>` as the last entry of the top-level block
/// mapping `map` (or as the only entry of an empty document): after the
/// last entry and after any comment lines that follow it (so a commented
/// sub-key such as the chart's `  # trafficPercent: 10` stays with its
/// entry), but before trailing blank lines and a `...` end marker.
pub(crate) fn insert(
    input: &[u8],
    doc: &Doc,
    map: Option<Id>,
    value: bool,
) -> Result<Outcome, Refusal> {
    let (indent, after) = match map {
        Some(m) => {
            let node = doc.node(m);
            if node.flow {
                return Err(Refusal {
                    line: Some(line_of(input, node.start)),
                    reason: "the top level is a flow mapping (`{...}`): the engine adds keys only to block mappings".into(),
                    hint: "add `autoscaling: true` to the mapping by hand, or rewrite it as `key: value` lines".into(),
                });
            }
            (indent_of(input, doc, m), content_end(doc, m))
        }
        None => (0, doc.doc_start.1),
    };
    let doc_end = match doc.doc_end_marker {
        Some(marker) => input[..marker]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1),
        None => input.len(),
    };
    let mut at = if after == 0 || input.get(after - 1) == Some(&b'\n') {
        after
    } else {
        line_end(input, after)
    };
    // Move past the comment lines that follow (blank lines stay after).
    let mut pos = at;
    while pos < doc_end {
        let next = line_end(input, pos).min(doc_end.max(pos + 1));
        if input[pos..next].iter().any(|b| !b.is_ascii_whitespace()) {
            at = next;
        }
        pos = next;
    }
    if at > input.len() || (at > doc_end && doc_end > after) {
        return Err(Refusal {
            line: Some(line_of(input, after)),
            reason: "could not find where the top-level mapping ends".into(),
            hint: format!(
                "add `{KEY}: {}` as the last top-level entry by hand",
                word(value)
            ),
        });
    }
    let eol = line_break(input, at);
    let entry = format!("{}{KEY}: {}", " ".repeat(indent), word(value));
    let needs_break_before = at > 0 && input[at - 1] != b'\n';
    let text = if needs_break_before {
        format!("{eol}{entry}")
    } else {
        format!("{entry}{eol}")
    };
    let mut bytes = Vec::with_capacity(input.len() + text.len());
    bytes.extend_from_slice(&input[..at]);
    bytes.extend_from_slice(text.as_bytes());
    bytes.extend_from_slice(&input[at..]);
    let line = line_of(input, at) + usize::from(needs_break_before);
    Ok(Outcome::Changed { bytes, line })
}

/// Column of the mapping's keys: the leading spaces of its first key's line.
fn indent_of(input: &[u8], doc: &Doc, map: Id) -> usize {
    let first = match &doc.node(map).kind {
        NodeKind::Mapping(entries) => entries.first().map(|(k, _)| doc.node(*k).start),
        _ => None,
    };
    let Some(start) = first else { return 0 };
    let line_start = input[..start]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    input[line_start..start]
        .iter()
        .take_while(|b| **b == b' ')
        .count()
}

/// The self-check: the result must parse (serde_yaml, i.e. libyaml) to the
/// old data with only `autoscaling` set to `value`. Anything else is a bug
/// in the engine or a shape it misjudged, and becomes a refusal.
pub(crate) fn verify(input: &[u8], output: &[u8], value: bool, line: usize) -> Result<(), Refusal> {
    use serde_yaml::Value;
    let old: Value = serde_yaml::from_slice(input).map_err(|e| Refusal {
        line: e.location().map(|l| l.line()),
        reason: format!("the file cannot be read as YAML data: {e}"),
        hint: "fix the file so that a YAML parser accepts it, then run the command again".into(),
    })?;
    let mut expected = match old {
        Value::Null => serde_yaml::Mapping::new(),
        Value::Mapping(m) => m,
        _ => return Err(mismatch(line, value)),
    };
    expected.insert(Value::String(KEY.into()), Value::Bool(value));
    match serde_yaml::from_slice::<Value>(output) {
        Ok(Value::Mapping(new)) if new == expected => Ok(()),
        _ => Err(mismatch(line, value)),
    }
}

fn mismatch(line: usize, value: bool) -> Refusal {
    Refusal {
        line: Some(line),
        reason: "the edit could not be made without changing other data (its self-check failed)"
            .into(),
        hint: format!("set `{KEY}: {}` by hand", word(value)),
    }
}
