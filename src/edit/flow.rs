//! A flow mapping on one line, `{name: jukebox, version: v1}`:
//! new entries go before its `}`, written the way its entries are
//! (`, key: value`). A flow mapping over several lines is refused: where
//! and how to break it is a guess.

use super::splice::Splice;
use super::tree::{Doc, Id};
use super::{line_of, Refusal};

/// Inserts `entries` (`key: value` each) at the end of the one-line flow
/// mapping `map`.
pub(crate) fn insert(
    input: &[u8],
    doc: &Doc,
    map: Id,
    entries: &[String],
) -> Result<Splice, Refusal> {
    let node = doc.node(map);
    let span = &input[node.start..node.end];
    let one_line = !span.contains(&b'\n') && !span.contains(&b'\r');
    if !one_line || span.last() != Some(&b'}') {
        return Err(Refusal {
            line: Some(line_of(input, node.start)),
            reason: "the mapping is a flow mapping (`{...}`) over several lines: the engine adds keys only to one-line flow mappings and to block mappings".into(),
            hint: format!(
                "add `{}` to the mapping by hand, or rewrite it as `key: value` lines",
                entries.join(", ")
            ),
        });
    }
    let close = node.end - 1;
    // The last character before `}` that is not a blank: `{` when the
    // mapping is empty, `,` after a trailing comma, else the last value.
    let last = (node.start..close)
        .rev()
        .find(|&i| !matches!(input[i], b' ' | b'\t'))
        .unwrap_or(node.start);
    let lead = match input[last] {
        b'{' => "",
        b',' => " ",
        // An empty last value (`{a: }`): `a:,` would not read the same.
        b':' => " , ",
        _ => ", ",
    };
    Ok(Splice {
        start: last + 1,
        end: last + 1,
        text: format!("{lead}{}", entries.join(", ")),
    })
}
