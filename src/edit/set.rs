//! [`set`]: values at Helm paths to new values, byte-exact, in one go.

use super::events::{self, Style};
use super::insert::{Home, Plan};
use super::locate::{self, Top};
use super::path::{Path, Step};
use super::splice::{self, Splice};
use super::tree::{Doc, Id, NodeKind};
use super::walk::{self, Place};
use super::{helm, line_of, quote, split_bom, verify};
use super::{Assign, ChartValue, NewValue, Outcome, Refusal};

/// One asked value, with how each reader must read it afterwards.
pub(crate) struct Want {
    /// The path as given (`image.tag`).
    pub key: String,
    pub path: Path,
    pub value: NewValue,
    /// What the chart must read (YAML 1.1, go-yaml v2).
    pub chart: ChartValue,
    /// What a YAML 1.2 reader (serde_yaml) must read.
    pub yaml12: serde_yaml::Value,
    /// How a typed value is written (`None` for a string).
    typed_style: Option<Style>,
}

/// Sets the value at each path of `assigns` (`image.tag`, `env[0].value`;
/// a plain key is a top-level one), in one edit of the file: only the
/// values' own bytes change (or new entries, with the mappings missing on
/// the way, are added after the last entry of the mapping they go into);
/// the result is parsed again, by YAML 1.2 and by the chart's YAML 1.1
/// rules, and compared with the old data, at every depth, before it is
/// returned. `Unchanged` when the chart already reads every value as asked
/// (a typed value: spelled exactly as given).
pub fn set(input: &[u8], assigns: &[Assign]) -> Result<Outcome, Refusal> {
    let (bom, body) = split_bom(input);
    Ok(match set_body(body, assigns)? {
        Outcome::Changed { bytes, line } => Outcome::Changed {
            bytes: [bom, &bytes[..]].concat(),
            line,
        },
        Outcome::Unchanged => Outcome::Unchanged,
    })
}

fn set_body(input: &[u8], assigns: &[Assign]) -> Result<Outcome, Refusal> {
    let wants = wants(assigns)?;
    let doc = locate::load(input)?;
    let map = match locate::top(input, &doc)? {
        Top::Empty => None,
        Top::Mapping(map) => Some(map),
    };
    if let Some(m) = map {
        locate::entries(input, &doc, m)?;
    }
    let mut splices = Vec::new();
    let mut plan = Plan::default();
    for want in &wants {
        let steps = want.path.steps();
        match walk::find(input, &doc, map, &want.path)? {
            Place::Found { key, value, flow } => {
                splices.extend(replace(input, &doc, key, value, want, flow)?);
            }
            // Only a merge key (`<<`) provides it: an explicit entry
            // overrides the merge for this mapping alone (the anchored
            // mapping and its other users keep their value).
            Place::Merged { map, value } => {
                if !in_place(input, &doc, value, want) {
                    let adds = plan.to(&doc, Home::Map(map), steps.len() - 1);
                    let text = text(want, None, adds.flow(), None)?;
                    adds.add(&keys(&steps[steps.len() - 1..]), text);
                }
            }
            Place::Missing { home, from } => {
                let adds = plan.to(&doc, home, from);
                let text = text(want, None, adds.flow(), None)?;
                adds.add(&keys(&steps[from..]), text);
            }
        }
    }
    splices.extend(plan.splices(input, &doc)?);
    if splices.is_empty() {
        return Ok(Outcome::Unchanged);
    }
    let (bytes, line) = splice::apply(input, splices);
    verify::check(input, &bytes, &wants, line)?;
    Ok(Outcome::Changed { bytes, line })
}

/// The keys of steps that are all keys (a missing part of a path).
fn keys(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|s| match s {
            Step::Key(k) => Some(k.clone()),
            Step::Index(_) => None,
        })
        .collect()
}

fn refusal(line: Option<usize>, reason: String, hint: impl Into<String>) -> Refusal {
    Refusal {
        line,
        reason,
        hint: hint.into(),
    }
}

/// Checks the asked paths and values, before the file is looked at.
fn wants(assigns: &[Assign]) -> Result<Vec<Want>, Refusal> {
    let mut wants: Vec<Want> = Vec::new();
    for Assign { key, value } in assigns {
        let path = Path::parse(key).map_err(|e| {
            refusal(
                None,
                e,
                "write the path as Helm does: `image.tag`, `podAnnotations.prometheus\\.io/scrape`, `env[0].value`",
            )
        })?;
        if let Some(other) = wants.iter().find(|w| w.path == path) {
            if other.value == *value {
                continue;
            }
            return Err(refusal(
                None,
                format!("`{key}` is asked twice, with different values"),
                format!("give `{key}` one value"),
            ));
        }
        if let Some(other) = wants
            .iter()
            .find(|w| w.path.is_prefix_of(&path) || path.is_prefix_of(&w.path))
        {
            return Err(refusal(
                None,
                format!(
                    "`{}` and `{key}` are both asked: one holds the other",
                    other.key
                ),
                "set either the value or the values inside it, not both",
            ));
        }
        let (chart, yaml12, typed_style) = match value {
            NewValue::Str(s) => (
                ChartValue::Str(s.clone()),
                serde_yaml::Value::String(s.clone()),
                None,
            ),
            NewValue::Typed(t) => {
                let (text, style) = typed_scalar(key, t)?;
                let yaml12 = serde_yaml::from_str(t).map_err(|e| {
                    refusal(None, format!("`{key}:={t}`: {e}"), "give a YAML scalar")
                })?;
                (helm::scalar(&text, style, None).0, yaml12, Some(style))
            }
        };
        wants.push(Want {
            key: key.clone(),
            path,
            value: value.clone(),
            chart,
            yaml12,
            typed_style,
        });
    }
    Ok(wants)
}

/// A typed value must be one YAML scalar on one line, plain or completely
/// quoted, with no tag, anchor or comment: its text and style.
fn typed_scalar(key: &str, t: &str) -> Result<(String, Style), Refusal> {
    let hint = "give one value on one line: `true`, `3`, `null`, `\"text\"`, `'text'`";
    if t.contains(['\n', '\r']) {
        let reason = format!("the value of `{key}` cannot be written on one line");
        return Err(refusal(
            None,
            reason,
            "use KEY=STRING, which writes line breaks as `\\n`",
        ));
    }
    let events = events::parse(t.as_bytes()).ok();
    let scalar = events.as_deref().and_then(|evs| match evs {
        [_, _, e, _, _]
            if e.anchor.is_none() && e.tag.is_none() && (e.start, e.end) == (0, t.len()) =>
        {
            match &e.kind {
                events::Kind::Scalar { value, style } => Some((value.clone(), *style)),
                _ => None,
            }
        }
        _ => None,
    });
    match scalar {
        Some((text, style @ (Style::Plain | Style::SingleQuoted | Style::DoubleQuoted)))
            if style != Style::Plain || quote::plain_syntax_ok(t, false) =>
        {
            Ok((text, style))
        }
        _ => Err(refusal(
            None,
            format!("`{key}:={t}` is not a single one-line YAML scalar"),
            hint,
        )),
    }
}

/// The text that writes `want` where a value of style `old` stood.
fn text(
    want: &Want,
    old: Option<Style>,
    flow: bool,
    line: Option<usize>,
) -> Result<String, Refusal> {
    match &want.value {
        NewValue::Str(s) => Ok(quote::render(s, old, flow)),
        NewValue::Typed(t)
            if want.typed_style == Some(Style::Plain) && !quote::plain_syntax_ok(t, flow) =>
        {
            Err(refusal(
                line,
                format!("`{t}` cannot stand unquoted inside a flow mapping (`{{...}}`)"),
                format!("quote it: `{}:='{}'`", want.key, t.replace('\'', "''")),
            ))
        }
        NewValue::Typed(t) => Ok(t.clone()),
    }
}

/// Whether the value node `id` already reads as asked: for a string, the
/// chart reads exactly it; a typed value is spelled exactly as given.
fn in_place(input: &[u8], doc: &Doc, id: Id, want: &Want) -> bool {
    match &want.value {
        NewValue::Str(s) => helm::evaluate(doc, id).value == ChartValue::Str(s.clone()),
        NewValue::Typed(t) => {
            let node = doc.node(id);
            &input[node.start..node.end] == t.as_bytes()
        }
    }
}

/// Rewrites an existing value (`None`: it is already as asked), refusing
/// values that are not one piece of text on one line owned by this entry
/// alone. `key` is the entry's key (`None` for a list element); `flow`
/// whether the value stands in a flow collection.
fn replace(
    input: &[u8],
    doc: &Doc,
    key: Option<Id>,
    value: Id,
    want: &Want,
    flow: bool,
) -> Result<Option<Splice>, Refusal> {
    let name = &want.key;
    let node = doc.node(value);
    let line = line_of(input, node.start);
    let refuse = |reason: String, hint: &str| refusal(Some(line), reason, hint);
    let by_hand = format!("edit the value of `{name}` by hand");
    if let Some(tag) = node
        .tag
        .as_deref()
        .filter(|t| !helm::is_simple_tag(Some(t)))
    {
        return Err(refuse(
            format!("the value of `{name}` carries the tag `{tag}`"),
            &by_hand,
        ));
    }
    // What is already as asked needs no edit, whatever its shape.
    if in_place(input, doc, value, want) {
        return Ok(None);
    }
    if let (Some(k), Some(Step::Key(last))) = (key, want.path.steps().last()) {
        locate::check_key_layout(input, doc, k, last)?;
    }
    let style = match &node.kind {
        NodeKind::Alias { name: alias, .. } => {
            return Err(refuse(
                format!("the value of `{name}` is the alias `*{alias}`: it takes its value from another place"),
                "change the anchored value, or replace the alias by hand",
            ))
        }
        NodeKind::Mapping(_) => {
            return Err(refuse(format!("the value of `{name}` is a mapping, not a single value"), &by_hand))
        }
        NodeKind::Sequence(_) => {
            return Err(refuse(format!("the value of `{name}` is a list, not a single value"), &by_hand))
        }
        NodeKind::Scalar { style, .. } => *style,
    };
    if let (Some(anchor), Some(used)) = (&node.anchor, node.aliased_at) {
        return Err(refuse(
            format!(
                "the value is anchored as `&{anchor}` and used again by `*{anchor}` on line {}: changing it would change that too",
                line_of(input, used)
            ),
            "give the other place its own value, or edit both by hand",
        ));
    }
    let multi_line = matches!(style, Style::Literal | Style::Folded)
        || input[node.start..node.end].contains(&b'\n');
    if multi_line {
        return Err(refuse(
            format!("the value of `{name}` spans several lines"),
            &by_hand,
        ));
    }
    let text = text(want, Some(style), flow, Some(line))?;
    if node.start == node.end {
        let slot = key.and_then(|k| splice::empty_value_slot(input, doc.node(k).end, &text));
        return match slot {
            Some(splice) => Ok(Some(splice)),
            None if key.is_none() => Err(refuse(
                format!("the list element `{name}` is empty (a bare `-`)"),
                &by_hand,
            )),
            None => Err(refuse(
                "could not find where the empty value goes".into(),
                &by_hand,
            )),
        };
    }
    // An anchor nobody aliases names nothing: it goes with the old value
    // (as does a `!!str` tag), so the line reads exactly `key: value`.
    Ok(Some(Splice {
        start: node.start,
        end: node.end,
        text,
    }))
}
