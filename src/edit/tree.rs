//! The first document of a file as a small node tree with byte spans.
//!
//! Built in one pass over libyaml's events, without expanding aliases (so a
//! "billion laughs" file costs no more than its size). Aliases keep a link
//! to the node their anchor named at that point of the file, which is what
//! YAML means when an anchor name is reused.

use super::events::{self, Event, Kind, Style};
use std::collections::HashMap;

pub(crate) type Id = usize;

#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Scalar {
        value: String,
        style: Style,
    },
    Sequence(Vec<Id>),
    Mapping(Vec<(Id, Id)>),
    /// `target` is `None` when no anchor of that name came before.
    Alias {
        name: String,
        target: Option<Id>,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub anchor: Option<String>,
    pub tag: Option<String>,
    pub start: usize,
    pub end: usize,
    pub flow: bool,
    /// Byte offset of the first alias that refers to this node.
    pub aliased_at: Option<usize>,
}

#[derive(Debug, Default)]
pub(crate) struct Doc {
    pub nodes: Vec<Node>,
    /// Root node of the first document; `None` when the file holds no
    /// document at all (empty, or only comments).
    pub root: Option<Id>,
    /// Span of the first document's start: the `---` marker when explicit,
    /// otherwise an empty span where its content begins.
    pub doc_start: (usize, usize),
    /// Start of the first document's explicit `...` marker, if any.
    pub doc_end_marker: Option<usize>,
    /// Offset of the second document, when the file holds more than one.
    pub second_doc_at: Option<usize>,
}

impl Doc {
    pub fn node(&self, id: Id) -> &Node {
        &self.nodes[id]
    }

    /// Follows aliases (bounded, since `&a [*a]` points at itself).
    pub fn resolve(&self, mut id: Id) -> Option<Id> {
        for _ in 0..64 {
            match &self.nodes[id].kind {
                NodeKind::Alias { target, .. } => id = (*target)?,
                _ => return Some(id),
            }
        }
        None
    }
}

/// Parses `input` (already known to be UTF-8) into a [`Doc`].
pub(crate) fn build(input: &[u8]) -> Result<Doc, events::SyntaxError> {
    let evs = events::parse(input)?;
    let mut doc = Doc::default();
    let mut anchors: HashMap<String, Id> = HashMap::new();
    // Open collections, with a pending key for mappings.
    let mut stack: Vec<(Id, Option<Id>)> = Vec::new();
    let mut documents = 0usize;
    for ev in evs {
        let Event {
            kind,
            anchor,
            tag,
            start,
            end,
        } = ev;
        let (node_kind, flow, opens) = match kind {
            Kind::DocumentStart => {
                documents += 1;
                if documents == 1 {
                    doc.doc_start = (start, end);
                } else if doc.second_doc_at.is_none() {
                    doc.second_doc_at = Some(start);
                }
                continue;
            }
            Kind::DocumentEnd { explicit } => {
                if documents == 1 && explicit {
                    doc.doc_end_marker = Some(start);
                }
                continue;
            }
            Kind::StreamStart | Kind::StreamEnd => continue,
            _ if documents > 1 => continue,
            Kind::SequenceEnd | Kind::MappingEnd => {
                if let Some((id, _)) = stack.pop() {
                    doc.nodes[id].end = end;
                }
                continue;
            }
            Kind::Scalar { value, style } => (NodeKind::Scalar { value, style }, false, false),
            Kind::Alias(name) => {
                // libyaml leaves this check to the loader; serde_yaml and
                // go-yaml both reject an alias without an anchor.
                let Some(t) = anchors.get(&name).copied() else {
                    return Err(events::SyntaxError {
                        line: super::line_of(input, start),
                        message: format!("the alias `*{name}` names no anchor defined before it"),
                    });
                };
                doc.nodes[t].aliased_at.get_or_insert(start);
                let target = Some(t);
                (NodeKind::Alias { name, target }, false, false)
            }
            Kind::SequenceStart { flow } => (NodeKind::Sequence(Vec::new()), flow, true),
            Kind::MappingStart { flow } => (NodeKind::Mapping(Vec::new()), flow, true),
        };
        let id = doc.nodes.len();
        if let Some(name) = &anchor {
            anchors.insert(name.clone(), id);
        }
        doc.nodes.push(Node {
            kind: node_kind,
            anchor,
            tag,
            start,
            end,
            flow,
            aliased_at: None,
        });
        attach(&mut doc, &mut stack, id);
        if opens {
            stack.push((id, None));
        }
    }
    Ok(doc)
}

fn attach(doc: &mut Doc, stack: &mut [(Id, Option<Id>)], id: Id) {
    let Some((parent, pending)) = stack.last_mut() else {
        doc.root.get_or_insert(id);
        return;
    };
    match &mut doc.nodes[*parent].kind {
        NodeKind::Sequence(items) => items.push(id),
        NodeKind::Mapping(entries) => match pending.take() {
            Some(key) => entries.push((key, id)),
            None => *pending = Some(id),
        },
        _ => {}
    }
}
