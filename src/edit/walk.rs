//! Following a Helm path down the file to the one place its value is
//! written (or the mapping where it is missing), refusing every step where
//! "that value" is not one clear span of this file alone: a scalar on the
//! way, a list element that does not exist, an alias or an anchored node
//! used elsewhere, a flow collection over several lines, a key written
//! twice, a mapping that only a merge key provides.

use super::events::Style;
use super::helm;
use super::insert::Home;
use super::locate;
use super::path::{Path, Step};
use super::tree::{Doc, Id, NodeKind};
use super::{line_of, Refusal};

/// Where the value of a path is, or would go.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place {
    /// Written in the file: the value node, its key (`None` for a list
    /// element) and whether the collection holding it is a flow one.
    Found {
        key: Option<Id>,
        value: Id,
        flow: bool,
    },
    /// The last key is absent from mapping `map`, but a merge key (`<<`)
    /// gives it the value `value`.
    Merged { map: Id, value: Id },
    /// Steps `from..` (all keys) are missing, to be added at `home`.
    Missing { home: Home, from: usize },
}

fn refuse(input: &[u8], at: usize, reason: String, hint: String) -> Refusal {
    Refusal {
        line: Some(line_of(input, at)),
        reason,
        hint,
    }
}

/// Follows `path` from the top-level mapping `top`.
pub(crate) fn find(
    input: &[u8],
    doc: &Doc,
    top: Option<Id>,
    path: &Path,
) -> Result<Place, Refusal> {
    let steps = path.steps();
    let Some(mut cur) = top else {
        return missing(input, doc, Home::Doc, path, 0);
    };
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        let here = path.prefix(i);
        let node = doc.node(cur);
        let through = |what: &str, needs: &str, hint: String| {
            let name = if i == 0 {
                "the top level".to_string()
            } else {
                format!("`{here}`")
            };
            refuse(
                input,
                node.start,
                format!("{name} is {what}, not {needs}: `{path}` cannot go through it"),
                hint,
            )
        };
        match (step, &node.kind) {
            (Step::Key(key), NodeKind::Mapping(_)) => {
                let place = if i == 0 {
                    "at the top level".to_string()
                } else {
                    format!("in `{here}`")
                };
                let entries = locate::entries_in(input, doc, cur, &place)?;
                if let Some((_, entry)) = entries.iter().find(|(k, _)| k == key) {
                    if last {
                        return Ok(Place::Found {
                            key: Some(entry.key),
                            value: entry.value,
                            flow: node.flow,
                        });
                    }
                    // `key:` with no value at all in a block mapping: the
                    // missing mapping goes right below it, as Helm fills it.
                    if !node.flow && bare_empty(doc, entry.value) {
                        locate::check_key_layout(input, doc, entry.key, key)?;
                        return missing(input, doc, Home::Under(entry.key), path, i + 1);
                    }
                    cur = descend(input, doc, entry.value, &path.prefix(i + 1))?;
                    continue;
                }
                if let Some(found) = helm::lookup(input, doc, cur, key)? {
                    if last {
                        return Ok(Place::Merged {
                            map: cur,
                            value: found.value,
                        });
                    }
                    let name = path.prefix(i + 1);
                    return Err(refuse(
                        input,
                        doc.node(found.key).start,
                        format!(
                            "`{name}` comes from a merge key (`<<`, line {}): setting `{path}` here would replace all of it",
                            found.merge_line.unwrap_or_else(|| line_of(input, node.start))
                        ),
                        format!("write `{name}` out in this mapping by hand, then set `{path}`"),
                    ));
                }
                return missing(input, doc, Home::Map(cur), path, i);
            }
            (Step::Index(n), NodeKind::Sequence(items)) => {
                let Some(&item) = items.get(*n) else {
                    return Err(refuse(
                        input,
                        node.start,
                        format!(
                            "`{here}` has {} element{}: `{}` does not exist",
                            items.len(),
                            if items.len() == 1 { "" } else { "s" },
                            path.prefix(i + 1)
                        ),
                        "a path indexes only existing list elements: add the element by hand, or pick one that exists".into(),
                    ));
                };
                if last {
                    return Ok(Place::Found {
                        key: None,
                        value: item,
                        flow: node.flow,
                    });
                }
                cur = descend(input, doc, item, &path.prefix(i + 1))?;
            }
            (Step::Key(_), NodeKind::Sequence(_)) => {
                let hint = format!("index one of its elements: `{here}[0]`…");
                return Err(through("a list", "a mapping", hint));
            }
            (Step::Index(_), NodeKind::Mapping(_)) => {
                let hint = format!("name one of its keys: `{here}.KEY`");
                return Err(through("a mapping", "a list", hint));
            }
            _ => {
                let value = helm::evaluate(doc, cur).value.display();
                let hint = format!(
                    "`{here}` holds {value}: set `{here}` itself, or make it a mapping by hand first"
                );
                return Err(through("a single value", "a mapping", hint));
            }
        }
    }
    unreachable!("a path has at least one step and every step returns or descends")
}

/// Steps `from..` are absent below `map`: fine when they are all keys (the
/// mappings are created); a list element cannot be created.
fn missing(
    input: &[u8],
    doc: &Doc,
    home: Home,
    path: &Path,
    from: usize,
) -> Result<Place, Refusal> {
    let steps = path.steps();
    if let Some(at) = steps[from..]
        .iter()
        .position(|s| matches!(s, Step::Index(_)))
    {
        let list = path.prefix(from + at);
        let start = match home {
            Home::Doc => 0,
            Home::Map(id) | Home::Under(id) => doc.node(id).start,
        };
        return Err(refuse(
            input,
            start,
            format!(
                "`{list}` does not exist, so `{}` does not either",
                path.prefix(from + at + 1)
            ),
            "a path indexes only existing list elements: add the list by hand first".into(),
        ));
    }
    Ok(Place::Missing { home, from })
}

/// A value with no text at all (`key:` and the end of the line): a null
/// that a mapping may take the place of.
fn bare_empty(doc: &Doc, id: Id) -> bool {
    let node = doc.node(id);
    matches!(&node.kind, NodeKind::Scalar { value, style: Style::Plain } if value.is_empty())
        && node.start == node.end
        && node.tag.is_none()
        && node.anchor.is_none()
}

/// The collection under `name` that the path goes on into, refused when
/// changing something in it is not changing one place of this file.
fn descend(input: &[u8], doc: &Doc, id: Id, name: &Path) -> Result<Id, Refusal> {
    let node = doc.node(id);
    let refused = |reason: String, hint: String| Err(refuse(input, node.start, reason, hint));
    if let NodeKind::Alias { name: alias, .. } = &node.kind {
        return refused(
            format!("`{name}` is the alias `*{alias}`: it takes its value from another place"),
            format!("change the anchored value, or write `{name}` out by hand"),
        );
    }
    if let (Some(anchor), Some(used)) = (&node.anchor, node.aliased_at) {
        return refused(
            format!(
                "`{name}` is anchored as `&{anchor}` and used again by `*{anchor}` on line {}: changing it would change that too",
                line_of(input, used)
            ),
            "give the other place its own copy, or edit both by hand".into(),
        );
    }
    let standard = matches!(
        node.tag.as_deref(),
        None | Some("tag:yaml.org,2002:map" | "tag:yaml.org,2002:seq")
    );
    if let (false, NodeKind::Mapping(_) | NodeKind::Sequence(_)) = (standard, &node.kind) {
        return refused(
            format!(
                "`{name}` carries the tag `{}`",
                node.tag.as_deref().unwrap_or("")
            ),
            format!("remove the tag, or edit `{name}` by hand"),
        );
    }
    if node.flow && input[node.start..node.end].contains(&b'\n') {
        return refused(
            format!("`{name}` is a flow collection (`{{...}}` or `[...]`) over several lines"),
            format!("write `{name}` on one line or as block lines, or edit it by hand"),
        );
    }
    Ok(id)
}
