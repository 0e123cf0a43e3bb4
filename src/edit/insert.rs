//! New entries for the keys a path names that the file does not have yet:
//! grouped by the existing mapping they go into, so that `a.b.c` and
//! `a.b.d` create one `a:` with one `b:`; written as block lines indented
//! like the file (also below a key whose value is empty, `key:`), or
//! inside a one-line flow mapping as `key: {sub: value}`.

use super::splice::{self, Splice};
use super::tree::{Doc, Id};
use super::{flow, quote, Refusal};

/// Where new entries go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Home {
    /// The file has no content yet.
    Doc,
    /// At the end of this existing mapping.
    Map(Id),
    /// As the block mapping of this key, whose value is empty (`key:`).
    Under(Id),
}

/// A key to add, with its value text or the entries of a new mapping.
enum New {
    Leaf(String),
    Map(Vec<(String, New)>),
}

/// The entries to add in one place.
pub(crate) struct Additions {
    home: Home,
    /// How many path steps lead to `map` (deeper ones are written first
    /// where two end at the same byte).
    depth: usize,
    flow: bool,
    entries: Vec<(String, New)>,
}

impl Additions {
    /// Whether values added here are written inside a flow mapping.
    pub fn flow(&self) -> bool {
        self.flow
    }
}

/// The additions for every mapping, in the order first asked.
#[derive(Default)]
pub(crate) struct Plan {
    maps: Vec<Additions>,
}

impl Plan {
    /// The additions to mapping `map` (created when first asked for).
    pub fn to(&mut self, doc: &Doc, home: Home, depth: usize) -> &mut Additions {
        let at = match self.maps.iter().position(|a| a.home == home) {
            Some(at) => at,
            None => {
                self.maps.push(Additions {
                    home,
                    depth,
                    flow: matches!(home, Home::Map(m) if doc.node(m).flow),
                    entries: Vec::new(),
                });
                self.maps.len() - 1
            }
        };
        &mut self.maps[at]
    }

    /// One splice per mapping, deepest mapping first.
    pub fn splices(mut self, input: &[u8], doc: &Doc) -> Result<Vec<Splice>, Refusal> {
        self.maps.sort_by_key(|a| std::cmp::Reverse(a.depth));
        let unit = splice::indent_unit(input, doc);
        let mut out = Vec::new();
        for adds in self.maps {
            if adds.flow {
                if let Home::Map(m) = adds.home {
                    let items: Vec<String> = adds.entries.iter().map(flow_entry).collect();
                    out.push(flow::insert(input, doc, m, &items)?);
                    continue;
                }
            }
            let mut lines = Vec::new();
            block(&adds.entries, unit, 0, &mut lines);
            out.push(match adds.home {
                Home::Under(key) => splice::insert_under(input, doc, key, unit, &lines),
                Home::Map(m) => splice::insert(input, doc, Some(m), &lines)?,
                Home::Doc => splice::insert(input, doc, None, &lines)?,
            });
        }
        Ok(out)
    }
}

impl Additions {
    /// Adds `keys` (mappings down to the last one) with the value `text`.
    pub fn add(&mut self, keys: &[String], text: String) {
        let mut entries = &mut self.entries;
        for (i, key) in keys.iter().enumerate() {
            let last = i + 1 == keys.len();
            let at = match entries.iter().position(|(k, _)| k == key) {
                Some(at) => at,
                None => {
                    let node = if last {
                        New::Leaf(text.clone())
                    } else {
                        New::Map(Vec::new())
                    };
                    entries.push((key.clone(), node));
                    entries.len() - 1
                }
            };
            match &mut entries[at].1 {
                New::Map(sub) if !last => entries = sub,
                // The asked paths never overlap (checked before), so a
                // leaf is never reached twice.
                _ => return,
            }
        }
    }
}

/// A key as written: plain when every reader reads it as that text.
fn key_text(key: &str, flow: bool) -> String {
    quote::render(key, None, flow)
}

fn block(entries: &[(String, New)], unit: usize, level: usize, out: &mut Vec<String>) {
    let pad = " ".repeat(unit * level);
    for (key, node) in entries {
        let key = key_text(key, false);
        match node {
            New::Leaf(text) => out.push(format!("{pad}{key}: {text}")),
            New::Map(sub) => {
                out.push(format!("{pad}{key}:"));
                block(sub, unit, level + 1, out);
            }
        }
    }
}

fn flow_entry((key, node): &(String, New)) -> String {
    let key = key_text(key, true);
    match node {
        New::Leaf(text) => format!("{key}: {text}"),
        New::Map(sub) => {
            let items: Vec<String> = sub.iter().map(flow_entry).collect();
            format!("{key}: {{{}}}", items.join(", "))
        }
    }
}
