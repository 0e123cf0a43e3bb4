//! [`read`]: what the chart sees for every top-level key, from one parse.

use super::locate::{self, Top};
use super::tree::{Doc, Id};
use super::{helm, split_bom, Reading, Refusal, Values};

/// Reads what Helm's chart sees for every top-level key of a values file.
/// Refuses what `set` would refuse about the file as a whole (not UTF-8,
/// invalid YAML, several documents, a top level that is not a mapping, a
/// key written twice, a broken merge key).
pub fn read(input: &[u8]) -> Result<Values, Refusal> {
    let input = split_bom(input).1;
    let doc = locate::load(input)?;
    match locate::top(input, &doc)? {
        Top::Empty => Ok(Values::default()),
        Top::Mapping(map) => {
            locate::entries(input, &doc, map)?;
            values(input, &doc, map)
        }
    }
}

/// The readings of mapping `map` (already checked for duplicate keys).
pub(crate) fn values(input: &[u8], doc: &Doc, map: Id) -> Result<Values, Refusal> {
    // Line numbers from one pass over the input, not one per key.
    let breaks: Vec<usize> = (0..input.len()).filter(|&i| input[i] == b'\n').collect();
    let line_of = |at: usize| breaks.partition_point(|&b| b < at) + 1;
    let entries: Vec<_> = helm::merged(input, doc, map)?
        .into_iter()
        .map(|(key, found)| {
            let mut eval = helm::evaluate(doc, found.value);
            if let Some(line) = found.merge_line {
                let note = format!("set only through the merge key `<<` (line {line})");
                eval.source = helm::join(eval.source, Some(note));
            }
            let reading = Reading {
                value: eval.value.clone(),
                warning: eval.warning(),
                line: line_of(doc.node(found.key).start),
            };
            (key, reading, eval)
        })
        .collect();
    let index = entries
        .iter()
        .enumerate()
        .map(|(i, (key, _, _))| (key.clone(), i))
        .collect();
    Ok(Values { entries, index })
}
