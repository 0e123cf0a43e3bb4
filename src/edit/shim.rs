//! TEMPORARY: the new engine API over the old engine, until the
//! generalized engine lands. Only `autoscaling` can be set.

use super::locate::{self, Top};
use super::{helm, load, split_bom, Outcome, Refusal};

pub enum NewValue {
    Str(String),
    Typed(String),
}

pub struct Assign {
    pub key: String,
    pub value: NewValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartValue {
    Null,
    Bool(bool),
    Int(String),
    Float(String),
    Str(String),
    List(usize),
    Map(usize),
}

impl ChartValue {
    pub fn truthy(&self) -> bool {
        match self {
            ChartValue::Null => false,
            ChartValue::Bool(b) => *b,
            ChartValue::Int(s) | ChartValue::Float(s) => s.parse::<f64>().is_ok_and(|f| f != 0.0),
            ChartValue::Str(s) => !s.is_empty(),
            ChartValue::List(n) | ChartValue::Map(n) => *n > 0,
        }
    }

    pub fn display(&self) -> String {
        match self {
            ChartValue::Null => "null".into(),
            ChartValue::Bool(b) => b.to_string(),
            ChartValue::Int(s) | ChartValue::Float(s) | ChartValue::Str(s) => s.clone(),
            ChartValue::List(n) => format!("[list of {n}]"),
            ChartValue::Map(n) => format!("{{map of {n}}}"),
        }
    }
}

pub struct Reading {
    pub value: ChartValue,
    pub warning: Option<String>,
    pub line: usize,
}

pub struct Values {
    keys: Vec<(String, Reading)>,
}

impl Values {
    pub fn get(&self, key: &str) -> Option<&Reading> {
        self.keys.iter().find(|(k, _)| k == key).map(|(_, r)| r)
    }

    pub fn keys(&self) -> impl Iterator<Item = (&str, &Reading)> {
        self.keys.iter().map(|(k, r)| (k.as_str(), r))
    }
}

pub fn read(input: &[u8]) -> Result<Values, Refusal> {
    let input = split_bom(input).1;
    let doc = load(input)?;
    let Top::Mapping(map) = locate::top(input, &doc)? else {
        return Ok(Values { keys: Vec::new() });
    };
    locate::entry(input, &doc, map)?;
    let mut keys = Vec::new();
    for key in ["autoscaling", "keda", "version"] {
        if let Some(found) = helm::lookup(input, &doc, map, key)? {
            let r = helm::evaluate(&doc, found.value);
            let value = match (key, r.effective) {
                ("version", _) => match doc.resolve(found.value).map(|id| &doc.node(id).kind) {
                    Some(super::tree::NodeKind::Scalar { value, .. }) => {
                        ChartValue::Str(value.clone())
                    }
                    _ => ChartValue::Null,
                },
                (_, Some(b)) => ChartValue::Bool(b),
                (_, None) => ChartValue::Null,
            };
            keys.push((
                key.to_string(),
                Reading {
                    value,
                    warning: r.warning,
                    line: 0,
                },
            ));
        }
    }
    Ok(Values { keys })
}

pub fn set(input: &[u8], assigns: &[Assign]) -> Result<Outcome, Refusal> {
    let mut bytes = input.to_vec();
    let mut changed = None;
    for a in assigns {
        let value = match &a.value {
            NewValue::Typed(v) | NewValue::Str(v) => v == "true",
        };
        if a.key != "autoscaling" {
            return Err(Refusal {
                line: None,
                reason: format!("shim cannot set {}", a.key),
                hint: String::new(),
            });
        }
        if let Outcome::Changed { bytes: b, line } = super::set_autoscaling(&bytes, value)? {
            bytes = b;
            changed.get_or_insert(line);
        }
    }
    Ok(match changed {
        Some(line) => Outcome::Changed { bytes, line },
        None => Outcome::Unchanged,
    })
}

pub fn parse_assign(arg: &str) -> Option<Assign> {
    let (key, value) = arg.split_once('=')?;
    Some(match key.strip_suffix(':') {
        Some(k) => Assign {
            key: k.into(),
            value: NewValue::Typed(value.into()),
        },
        None => Assign {
            key: key.into(),
            value: NewValue::Str(value.into()),
        },
    })
}
