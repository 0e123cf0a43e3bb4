//! Whole values as the chart reads them, at any depth: the tree `verify`
//! compares before and after an edit, and [`lookup`], which reads the
//! value at one Helm path (for `log --key`, the chart model and `set`'s
//! JSON).

use std::collections::BTreeMap;

use super::locate::{self, Top};
use super::path::{Path, Step};
use super::tree::{Doc, Id, NodeKind};
use super::{helm, line_of, split_bom, ChartValue, Reading, Refusal};

/// A value with everything below it, as the chart reads it (merge keys
/// applied, aliases followed, mapping keys as text).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tree {
    Leaf(ChartValue),
    List(Vec<Tree>),
    Map(BTreeMap<String, Tree>),
}

/// Bounds on the work of expanding aliases ("billion laughs") and on
/// nesting, so that a hostile file costs little.
const MAX_NODES: usize = 200_000;
const MAX_DEPTH: usize = 200;

fn too_big(input: &[u8], doc: &Doc, id: Id) -> Refusal {
    Refusal {
        line: Some(line_of(input, doc.node(id).start)),
        reason: "the file's values nest or repeat (through aliases) too much to check".into(),
        hint: "edit this file by hand".into(),
    }
}

/// The tree under node `id`.
pub(crate) fn tree(input: &[u8], doc: &Doc, id: Id) -> Result<Tree, Refusal> {
    let mut budget = MAX_NODES;
    build(input, doc, id, 0, &mut budget)
}

fn build(
    input: &[u8],
    doc: &Doc,
    id: Id,
    depth: usize,
    budget: &mut usize,
) -> Result<Tree, Refusal> {
    *budget = budget
        .checked_sub(1)
        .ok_or_else(|| too_big(input, doc, id))?;
    if depth > MAX_DEPTH {
        return Err(too_big(input, doc, id));
    }
    let Some(target) = doc.resolve(id) else {
        return Ok(Tree::Leaf(ChartValue::Null));
    };
    Ok(match &doc.node(target).kind {
        NodeKind::Mapping(_) => {
            let mut map = BTreeMap::new();
            for (key, found) in helm::merged(input, doc, target)? {
                map.insert(key, build(input, doc, found.value, depth + 1, budget)?);
            }
            Tree::Map(map)
        }
        NodeKind::Sequence(items) => Tree::List(
            items
                .iter()
                .map(|&item| build(input, doc, item, depth + 1, budget))
                .collect::<Result<_, _>>()?,
        ),
        _ => Tree::Leaf(helm::evaluate(doc, id).value),
    })
}

/// The tree of the whole (BOM-less) file: a file with no content is an
/// empty mapping.
pub(crate) fn file_tree(input: &[u8]) -> Result<Tree, Refusal> {
    let doc = locate::load(input)?;
    match locate::top(input, &doc)? {
        Top::Empty => Ok(Tree::Map(BTreeMap::new())),
        Top::Mapping(map) => tree(input, &doc, map),
    }
}

impl Tree {
    /// Sets the value at `path`, creating missing mappings on the way;
    /// `false` when the path goes through a scalar or a missing element.
    pub fn set(&mut self, steps: &[Step], value: Tree) -> bool {
        let Some((first, rest)) = steps.split_first() else {
            *self = value;
            return true;
        };
        // An empty value on the way becomes the mapping (Helm does too).
        if let (Tree::Leaf(ChartValue::Null), Step::Key(_)) = (&*self, first) {
            *self = Tree::Map(BTreeMap::new());
        }
        let child = match (self, first) {
            (Tree::Map(map), Step::Key(k)) => {
                if rest.is_empty() {
                    map.insert(k.clone(), value);
                    return true;
                }
                map.entry(k.clone())
                    .or_insert_with(|| Tree::Map(BTreeMap::new()))
            }
            (Tree::List(items), Step::Index(n)) => match items.get_mut(*n) {
                Some(item) => item,
                None => return false,
            },
            _ => return false,
        };
        child.set(rest, value)
    }

    /// The value as JSON: strings, numbers, booleans and null as the chart
    /// reads them; lists and mappings with everything in them.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Tree::Leaf(v) => v.to_json(),
            Tree::List(items) => items.iter().map(Tree::to_json).collect(),
            Tree::Map(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }
}

/// What the chart reads at one path of a values file.
#[derive(Debug, Clone, PartialEq)]
pub struct PathValue {
    /// The value (a collection: its size) with its warning and line.
    pub reading: Reading,
    /// The whole value as JSON.
    pub json: serde_json::Value,
}

/// What the chart reads at `path` (merge keys applied, aliases followed):
/// `None` when the path leads nowhere (a key or element that is absent, or
/// a step through a single value). Refuses what [`super::read`] refuses.
pub fn lookup(input: &[u8], path: &Path) -> Result<Option<PathValue>, Refusal> {
    let input = split_bom(input).1;
    let doc = locate::load(input)?;
    let Top::Mapping(top) = locate::top(input, &doc)? else {
        return Ok(None);
    };
    locate::entries(input, &doc, top)?;
    let (mut cur, mut key_at, mut eval_id) = (top, doc.node(top).start, top);
    for step in path.steps() {
        let Some(node) = doc.resolve(cur) else {
            return Ok(None);
        };
        match (step, &doc.node(node).kind) {
            (Step::Key(k), NodeKind::Mapping(_)) => {
                let Some(found) = helm::lookup(input, &doc, node, k)? else {
                    return Ok(None);
                };
                (cur, key_at, eval_id) = (found.value, doc.node(found.key).start, found.value);
            }
            (Step::Index(n), NodeKind::Sequence(items)) => {
                let Some(&item) = items.get(*n) else {
                    return Ok(None);
                };
                (cur, key_at, eval_id) = (item, doc.node(item).start, item);
            }
            _ => return Ok(None),
        }
    }
    let eval = helm::evaluate(&doc, eval_id);
    let json = tree(input, &doc, eval_id)?.to_json();
    Ok(Some(PathValue {
        reading: Reading {
            value: eval.value.clone(),
            warning: eval.warning(),
            line: line_of(input, key_at),
        },
        json,
    }))
}

/// The paths of the file's single values (not mappings or lists), in file
/// order, as `set` takes them (`image.tag`, `env[0].value`): merge keys
/// applied, aliases not followed; at most `limit` of them.
pub fn scalar_paths(input: &[u8], limit: usize) -> Result<Vec<String>, Refusal> {
    let input = split_bom(input).1;
    let doc = locate::load(input)?;
    let Top::Mapping(top) = locate::top(input, &doc)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut stack: Vec<(Id, Vec<Step>)> = vec![(top, Vec::new())];
    while let Some((id, at)) = stack.pop() {
        if out.len() >= limit || at.len() > MAX_DEPTH {
            break;
        }
        let mut children: Vec<(Id, Vec<Step>)> = Vec::new();
        let mut step = |s: Step, v: Id| {
            let mut here = at.clone();
            here.push(s);
            children.push((v, here));
        };
        match &doc.node(id).kind {
            NodeKind::Mapping(_) => {
                for (key, found) in helm::merged(input, &doc, id)? {
                    step(Step::Key(key), found.value);
                }
            }
            NodeKind::Sequence(items) => {
                for (i, &item) in items.iter().enumerate() {
                    step(Step::Index(i), item);
                }
            }
            NodeKind::Scalar { .. } if !at.is_empty() => {
                out.push(Path::from_steps(at).to_string());
            }
            _ => {}
        }
        stack.extend(children.into_iter().rev());
    }
    Ok(out)
}
