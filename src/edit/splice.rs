//! Byte surgery: replace a value's span, or insert new lines, and nothing
//! else. Every result is checked by `verify` before it leaves the engine.

use super::tree::{Doc, Id, NodeKind};
use super::{line_of, Refusal};

/// One edit: bytes `start..end` of the input become `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Splice {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Applies non-overlapping splices back to front (so every offset still
/// points where it did), splices at one place in the order given. Returns
/// the new bytes and the first changed line of the new content.
pub(crate) fn apply(input: &[u8], mut splices: Vec<Splice>) -> (Vec<u8>, usize) {
    splices.sort_by_key(|s| s.start);
    let line = splices
        .iter()
        .map(|s| line_of(input, s.start) + usize::from(s.text.starts_with(['\r', '\n'])))
        .min()
        .unwrap_or(1);
    let mut bytes = input.to_vec();
    for s in splices.iter().rev() {
        bytes.splice(s.start..s.end, s.text.bytes());
    }
    (bytes, line)
}

/// Where an empty value (`key:` with nothing after the colon, or only a
/// comment) gets its text.
pub(crate) fn empty_value_slot(input: &[u8], key_end: usize, text: &str) -> Option<Splice> {
    let colon = key_end + input[key_end..].iter().position(|b| *b == b':')?;
    let after = colon + 1;
    let (at, text) = match input.get(after) {
        None | Some(b'\n' | b'\r') => (after, format!(" {text}")),
        // `key: # note` -> `key: value # note`
        Some(b' ' | b'\t') => (after + 1, format!("{text} ")),
        _ => return None,
    };
    Some(Splice {
        start: at,
        end: at,
        text,
    })
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

/// Inserts `lines` (`key: value` each) as the last entries of the
/// top-level block mapping `map` (or as the only entries of an empty
/// document): after the last entry and after any comment lines that follow
/// it (so a commented sub-key such as the chart's `  # trafficPercent: 10`
/// stays with its entry), but before trailing blank lines and a `...` end
/// marker; with the mapping's indentation and the file's line breaks.
pub(crate) fn insert(
    input: &[u8],
    doc: &Doc,
    map: Option<Id>,
    lines: &[String],
) -> Result<Splice, Refusal> {
    let top = map.is_none() || map == doc.root;
    let (indent, after) = match map {
        Some(m) => (indent_of(input, doc, m), content_end(doc, m)),
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
    // Move past the comment lines that follow (blank lines stay after);
    // below the top level, only comments indented at least as deep as the
    // mapping's keys belong to it, and its parent's next entry ends it.
    let mut pos = at;
    while pos < doc_end {
        let next = line_end(input, pos).min(doc_end.max(pos + 1));
        let line = &input[pos..next];
        let lead = line.iter().take_while(|b| **b == b' ').count();
        let text = line.iter().position(|b| !b.is_ascii_whitespace());
        match text {
            None => {}
            Some(t) if top || (line[t] == b'#' && lead >= indent) => at = next,
            Some(_) => break,
        }
        pos = next;
    }
    if at > input.len() || (at > doc_end && doc_end > after) {
        return Err(Refusal {
            line: Some(line_of(input, after)),
            reason: "could not find where the mapping ends".into(),
            hint: format!(
                "add `{}` as the mapping's last entry by hand",
                lines.join("`, `")
            ),
        });
    }
    let eol = line_break(input, at);
    let pad = " ".repeat(indent);
    let body: Vec<String> = lines.iter().map(|l| format!("{pad}{l}")).collect();
    let text = if at > 0 && input[at - 1] != b'\n' {
        format!("{eol}{}", body.join(eol))
    } else {
        format!("{}{eol}", body.join(eol))
    };
    Ok(Splice {
        start: at,
        end: at,
        text,
    })
}

/// Inserts `lines` as the block mapping of `key`, whose value is empty
/// (`key:`, maybe with a comment): on the lines right after the key's,
/// one indentation unit deeper than the key.
pub(crate) fn insert_under(
    input: &[u8],
    doc: &Doc,
    key: Id,
    unit: usize,
    lines: &[String],
) -> Splice {
    let k = doc.node(key);
    let at = line_end(input, k.end);
    let eol = line_break(input, at);
    let pad = " ".repeat(column(input, k.start) + unit);
    let body: Vec<String> = lines.iter().map(|l| format!("{pad}{l}")).collect();
    let text = if at > 0 && input[at - 1] != b'\n' {
        format!("{eol}{}", body.join(eol))
    } else {
        format!("{}{eol}", body.join(eol))
    };
    Splice {
        start: at,
        end: at,
        text,
    }
}

/// Column of the mapping's keys: the column of its first key (after a
/// `- ` when the mapping is a list element).
fn indent_of(input: &[u8], doc: &Doc, map: Id) -> usize {
    let first = match &doc.node(map).kind {
        NodeKind::Mapping(entries) => entries.first().map(|(k, _)| doc.node(*k).start),
        _ => None,
    };
    first.map_or(0, |start| column(input, start))
}

fn column(input: &[u8], at: usize) -> usize {
    let line_start = input[..at]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    std::str::from_utf8(&input[line_start..at]).map_or(at - line_start, |s| s.chars().count())
}

/// How far the file indents a block mapping below its parent's keys: the
/// first block mapping nested in another shows it; 2 when none does.
pub(crate) fn indent_unit(input: &[u8], doc: &Doc) -> usize {
    let block_map = |id: Id| {
        let n = doc.node(id);
        matches!(&n.kind, NodeKind::Mapping(e) if !e.is_empty()) && !n.flow
    };
    for (id, node) in doc.nodes.iter().enumerate() {
        let NodeKind::Mapping(entries) = &node.kind else {
            continue;
        };
        if !block_map(id) {
            continue;
        }
        for &(_, v) in entries {
            if block_map(v) {
                let (parent, child) = (indent_of(input, doc, id), indent_of(input, doc, v));
                if child > parent {
                    return child - parent;
                }
            }
        }
    }
    2
}
