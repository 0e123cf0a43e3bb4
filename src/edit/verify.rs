//! The self-check: the edited file must parse, by YAML 1.2 (serde_yaml)
//! and by the engine's YAML 1.1 model of what Helm's chart reads, to the
//! old data with only the asked keys changed, each reading exactly as
//! asked. Anything else is a bug in the engine or a shape it misjudged, and
//! becomes a refusal: nothing is written.

use super::set::Want;
use super::{read, Refusal};
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
        Value::Null => Mapping::new(),
        Value::Mapping(m) => m,
        _ => return Err(mismatch(line, wants)),
    };
    for want in wants {
        expected.insert(Value::String(want.key.clone()), want.yaml12.clone());
    }
    match serde_yaml::from_slice::<Value>(output) {
        Ok(Value::Mapping(new)) if new == expected => {}
        _ => return Err(mismatch(line, wants)),
    }
    let before = read(input)?;
    let after = read(output).map_err(|_| mismatch(line, wants))?;
    let wanted = |key: &str| wants.iter().find(|w| w.key == key);
    let kept = before
        .keys()
        .filter(|(key, _)| wanted(key).is_none())
        .all(|(key, old)| after.get(key).map(|r| &r.value) == Some(&old.value));
    let asked = wants
        .iter()
        .all(|w| after.get(&w.key).map(|r| &r.value) == Some(&w.chart));
    let no_other = after
        .keys()
        .all(|(key, _)| wanted(key).is_some() || before.get(key).is_some());
    if kept && asked && no_other {
        Ok(())
    } else {
        Err(mismatch(line, wants))
    }
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
