//! The self-check: the edited file must parse, by YAML 1.2 (serde_yaml)
//! and by the engine's YAML 1.1 model of what Helm's chart reads, to the
//! old data with only the asked paths changed (missing mappings on the
//! way created), each reading exactly as asked. The whole document is
//! compared, at every depth. Anything else is a bug in the engine or a
//! shape it misjudged, and becomes a refusal: nothing is written.

use super::path::Step;
use super::set::Want;
use super::value::{file_tree, Tree};
use super::Refusal;
use serde_yaml::{Mapping, Value};

pub(crate) fn check(
    input: &[u8],
    output: &[u8],
    wants: &[Want],
    line: usize,
) -> Result<(), Refusal> {
    let old: Value = serde_yaml::from_slice(input).map_err(|e| Refusal {
        line: e.location().map(|l| l.line()),
        reason: format!("the file cannot be read as YAML data: {e}"),
        hint: "fix the file so that a YAML parser accepts it, then run the command again".into(),
    })?;
    let mut expected = match old {
        Value::Null => Value::Mapping(Mapping::new()),
        m @ Value::Mapping(_) => m,
        _ => return Err(mismatch(line, wants)),
    };
    for want in wants {
        if !set12(&mut expected, want.path.steps(), want.yaml12.clone()) {
            return Err(mismatch(line, wants));
        }
    }
    match serde_yaml::from_slice::<Value>(output) {
        Ok(new @ Value::Mapping(_)) if new == expected => {}
        _ => return Err(mismatch(line, wants)),
    }
    let mut expected = file_tree(input)?;
    for want in wants {
        if !expected.set(want.path.steps(), Tree::Leaf(want.chart.clone())) {
            return Err(mismatch(line, wants));
        }
    }
    match file_tree(output) {
        Ok(new) if new == expected => Ok(()),
        _ => Err(mismatch(line, wants)),
    }
}

/// [`Tree::set`] for YAML 1.2 data: keys are strings.
fn set12(data: &mut Value, steps: &[Step], value: Value) -> bool {
    let Some((first, rest)) = steps.split_first() else {
        *data = value;
        return true;
    };
    if let (Value::Null, Step::Key(_)) = (&*data, first) {
        *data = Value::Mapping(Mapping::new());
    }
    let child = match (data, first) {
        (Value::Mapping(map), Step::Key(k)) => {
            let key = Value::String(k.clone());
            if rest.is_empty() {
                map.insert(key, value);
                return true;
            }
            map.entry(key)
                .or_insert_with(|| Value::Mapping(Mapping::new()))
        }
        (Value::Sequence(items), Step::Index(n)) => match items.get_mut(*n) {
            Some(item) => item,
            None => return false,
        },
        _ => return false,
    };
    set12(child, rest, value)
}

fn mismatch(line: usize, wants: &[Want]) -> Refusal {
    let by_hand: Vec<String> = wants.iter().map(|w| w.key.clone()).collect();
    Refusal {
        line: Some(line),
        reason: "the edit could not be made without changing other data (its self-check failed)"
            .into(),
        hint: format!("set `{}` by hand", by_hand.join("`, `")),
    }
}
