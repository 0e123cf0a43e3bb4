//! Property test at depth: generated nested values files (block mappings
//! indented by 2 or 4, one-line flow mappings and lists, block lists,
//! comments, LF/CRLF) and Helm paths into them: replacing an existing value at any
//! depth changes one line; inserting keys 1 to 4 levels below an existing
//! mapping only adds bytes in one place; every reader (serde_yaml, YAML
//! 1.2; the chart model's YAML 1.1 reading; Helm's own reader, built from
//! tests/helm-values when Go is there) sees the old data with exactly that
//! path set; a second edit is "unchanged".

use mlops::edit::{lookup, set, Assign, NewValue, Outcome, Path, Step};
use proptest::prelude::*;
use serde_yaml::{Mapping, Value};

/// A generated value: a scalar, a block mapping, a one-line flow mapping
/// of scalars or a block list of scalars.
#[derive(Debug, Clone)]
enum Node {
    Leaf(&'static str),
    Block(Vec<Node>),
    Flow(Vec<&'static str>),
    List(Vec<&'static str>),
    /// A one-line flow list, `[v1, 'q']`.
    FlowList(Vec<&'static str>),
}

const LEAVES: &[&str] = &["v1", "'q'", "\"dq\"", "3", "true", "~", "a b", ""];

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop::sample::select(LEAVES.to_vec());
    let base = prop_oneof![
        leaf.clone().prop_map(Node::Leaf),
        prop::collection::vec(leaf.clone(), 0..3).prop_map(Node::Flow),
        // An empty list element (`- `) is refused: not generated.
        prop::collection::vec(
            prop::sample::select(LEAVES[..LEAVES.len() - 1].to_vec()),
            1..3
        )
        .prop_map(Node::List),
        prop::collection::vec(
            prop::sample::select(LEAVES[..LEAVES.len() - 1].to_vec()),
            0..3
        )
        .prop_map(Node::FlowList),
    ];
    base.prop_recursive(4, 24, 4, |inner| {
        prop::collection::vec(inner, 1..4).prop_map(Node::Block)
    })
}

#[derive(Debug, Clone)]
struct File {
    top: Vec<Node>,
    unit: usize,
    crlf: bool,
    comments: bool,
}

fn file() -> impl Strategy<Value = File> {
    (
        prop::collection::vec(node(), 1..4),
        prop::sample::select(vec![2usize, 4]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(top, unit, crlf, comments)| File {
            top,
            unit,
            crlf,
            comments,
        })
}

fn key(i: usize) -> String {
    format!("k{i}")
}

fn lines(entries: &[Node], f: &File, level: usize, out: &mut Vec<String>) {
    let pad = " ".repeat(level * f.unit);
    for (i, n) in entries.iter().enumerate() {
        let k = key(i);
        let note = if f.comments && i % 2 == 1 {
            " # note"
        } else {
            ""
        };
        match n {
            Node::Leaf(v) => out.push(format!(
                "{pad}{k}:{}{v}{note}",
                if v.is_empty() { "" } else { " " }
            )),
            Node::Flow(items) => {
                let items: Vec<String> = items
                    .iter()
                    .enumerate()
                    .map(|(j, v)| format!("f{j}: {v}"))
                    .collect();
                out.push(format!("{pad}{k}: {{{}}}{note}", items.join(", ")));
            }
            Node::FlowList(items) => {
                out.push(format!("{pad}{k}: [{}]{note}", items.join(", ")));
            }
            Node::List(items) => {
                out.push(format!("{pad}{k}:{note}"));
                out.extend(items.iter().map(|v| format!("{pad}  - {v}")));
            }
            Node::Block(sub) => {
                out.push(format!("{pad}{k}:{note}"));
                lines(sub, f, level + 1, out);
                if f.comments {
                    out.push(format!("{pad}  # end of {k}"));
                }
            }
        }
    }
}

fn render(f: &File) -> String {
    let mut out = Vec::new();
    lines(&f.top, f, 0, &mut out);
    let eol = if f.crlf { "\r\n" } else { "\n" };
    out.join(eol) + eol
}

/// Every path to a scalar (replace) and to a mapping (insert below).
fn paths(entries: &[Node], at: &[Step], leaves: &mut Vec<Vec<Step>>, maps: &mut Vec<Vec<Step>>) {
    maps.push(at.to_vec());
    for (i, n) in entries.iter().enumerate() {
        let mut here = at.to_vec();
        here.push(Step::Key(key(i)));
        match n {
            Node::Leaf("") => {
                leaves.push(here.clone());
                maps.push(here);
            }
            Node::Leaf(_) => leaves.push(here),
            Node::Flow(items) => {
                maps.push(here.clone());
                for j in 0..items.len() {
                    let mut p = here.clone();
                    p.push(Step::Key(format!("f{j}")));
                    leaves.push(p);
                }
            }
            Node::List(items) | Node::FlowList(items) => {
                for j in 0..items.len() {
                    let mut p = here.clone();
                    p.push(Step::Index(j));
                    leaves.push(p);
                }
            }
            Node::Block(sub) => paths(sub, &here, leaves, maps),
        }
    }
}

fn text_of(steps: &[Step]) -> String {
    let mut out = String::new();
    for s in steps {
        match s {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => out.push_str(&format!(".{k}")),
            Step::Index(n) => out.push_str(&format!("[{n}]")),
        }
    }
    out
}

fn set12(data: &mut Value, steps: &[Step], value: Value) {
    let Some((first, rest)) = steps.split_first() else {
        *data = value;
        return;
    };
    if let (Value::Null, Step::Key(_)) = (&*data, first) {
        *data = Value::Mapping(Mapping::new());
    }
    let child = match (data, first) {
        (Value::Mapping(m), Step::Key(k)) => m
            .entry(Value::from(k.as_str()))
            .or_insert_with(|| Value::Mapping(Mapping::new())),
        (Value::Sequence(s), Step::Index(n)) => &mut s[*n],
        other => panic!("generated path goes through {other:?}"),
    };
    set12(child, rest, value)
}

fn set_json(data: &mut serde_json::Value, steps: &[Step], value: serde_json::Value) {
    use serde_json::Value as J;
    let Some((first, rest)) = steps.split_first() else {
        *data = value;
        return;
    };
    if let (J::Null, Step::Key(_)) = (&*data, first) {
        *data = J::Object(serde_json::Map::new());
    }
    let child = match (data, first) {
        (J::Object(m), Step::Key(k)) => m
            .entry(k.clone())
            .or_insert_with(|| J::Object(serde_json::Map::new())),
        (J::Array(s), Step::Index(n)) => &mut s[*n],
        other => panic!("generated path goes through {other:?}"),
    };
    set_json(child, rest, value)
}

#[path = "helm-values/reader.rs"]
mod helm_values;

fn value() -> impl Strategy<Value = NewValue> {
    prop_oneof![
        "[ -~]{0,10}".prop_map(NewValue::Str),
        any::<String>().prop_map(NewValue::Str),
        "(\u{85}|\u{2028}|\u{feff}|\u{7f}|\u{9f}|é|🚀|\t|\r|\n|\\\\|\"|'| |#|:|\\?|-|,|\\[|\\{|&|\\*|!|%|@|`|\\||>|=|<<|~|0|\\.){1,6}".prop_map(NewValue::Str),
        "(yes|no|0123|1e3|2024-01-01|a: b|x,y|\\{|#|v2){1,2}".prop_map(NewValue::Str),
        prop::sample::select(vec!["true", "3", "null", "\"x\"", "'it''s'"])
            .prop_map(|t| NewValue::Typed(t.into())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]
    #[test]
    fn nested_edits_are_exact(f in file(), pick in any::<usize>(), insert in any::<bool>(),
                              depth in 1usize..=4, value in value()) {
        let text = render(&f);
        let input = text.as_bytes();
        let (mut leaves, mut maps) = (Vec::new(), Vec::new());
        paths(&f.top, &[], &mut leaves, &mut maps);
        let steps: Vec<Step> = if insert || leaves.is_empty() {
            let mut p = maps[pick % maps.len()].clone();
            p.extend((0..depth).map(|d| Step::Key(format!("new{d}"))));
            p
        } else {
            leaves[pick % leaves.len()].clone()
        };
        let path_text = text_of(&steps);
        let path = Path::parse(&path_text).unwrap();
        prop_assert_eq!(path.steps(), &steps[..]);
        let assign = Assign { key: path_text.clone(), value: value.clone() };
        let outcome = set(input, std::slice::from_ref(&assign));
        let bytes = match outcome {
            Ok(Outcome::Changed { bytes, .. }) => bytes,
            Ok(Outcome::Unchanged) => input.to_vec(),
            // Only a plain typed value inside a flow mapping may be refused.
            Err(r) => {
                prop_assert!(r.reason.contains("flow mapping"), "{path_text} in {text:?}: {r:?}");
                return Ok(());
            }
        };
        let new_text = String::from_utf8(bytes.clone()).unwrap();
        // YAML 1.2: the old data with exactly that path set.
        let yaml12 = match &value {
            NewValue::Str(s) => Value::String(s.clone()),
            NewValue::Typed(t) => serde_yaml::from_str(t).unwrap(),
        };
        let mut want: Value = serde_yaml::from_str(&text).unwrap();
        set12(&mut want, &steps, yaml12);
        let got: Value = serde_yaml::from_str(&new_text).unwrap();
        prop_assert_eq!(got, want, "{} in {:?} -> {:?}", path_text, text, new_text);
        // The chart (YAML 1.1) reads a string as exactly that string.
        if let NewValue::Str(s) = &value {
            let found = lookup(&bytes, &path).unwrap().map(|f| f.json);
            prop_assert_eq!(found, Some(serde_json::json!(s)), "{:?}", new_text);
        }
        // Helm's own reader: the old values with exactly that path set to
        // what Helm reads for the value alone.
        if let Some(Ok(mut want)) = helm_values::read(input) {
            let asked = match &value {
                NewValue::Str(s) => serde_json::json!(s),
                NewValue::Typed(t) => {
                    let alone = helm_values::read(format!("v: {t}").as_bytes());
                    alone.unwrap().unwrap()["v"].clone()
                }
            };
            set_json(&mut want, &steps, asked);
            let got = helm_values::read(&bytes).unwrap();
            prop_assert_eq!(got, Ok(want), "Helm reads {:?}", new_text);
        }
        // Bytes: one place changed; a replacement stays on its line.
        let p = input.iter().zip(&bytes).take_while(|(a, b)| a == b).count();
        let room = input.len().min(bytes.len()) - p;
        let s = input.iter().rev().zip(bytes.iter().rev()).take(room).take_while(|(a, b)| a == b).count();
        let old_mid = &input[p..input.len() - s];
        if insert || leaves.is_empty() {
            prop_assert!(old_mid.is_empty(), "only added: {:?} -> {:?}", text, new_text);
        } else {
            prop_assert!(!old_mid.contains(&b'\n') && !bytes[p..bytes.len() - s].contains(&b'\n'),
                "one line: {:?} -> {:?}", text, new_text);
        }
        // Line breaks of the file kept.
        prop_assert_eq!(new_text.matches("\r\n").count(), new_text.matches('\n').count() * usize::from(f.crlf));
        prop_assert_eq!(set(&bytes, &[assign]), Ok(Outcome::Unchanged));
    }
}

#[path = "../fuzz/check.rs"]
mod check;

/// One line of a nested YAML-ish file: indentation, maybe a list dash,
/// a key, maybe a value (scalars, flow collections, anchors, aliases).
fn soup_line() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["", "  ", "    ", "   ", "      "]),
        prop::sample::select(vec!["", "", "- "]),
        prop::sample::select(vec!["a", "b", "c", "<<", "a.b", "'a'", "\"b\""]),
        prop::sample::select(vec![
            "",
            "",
            "x",
            "1",
            "{}",
            "{a: 1}",
            "[1, 2]",
            "&x 1",
            "&x\n",
            "*x",
            "'q'",
            "~",
            "{a: 1,\n  b: 2}",
            "x # c",
            "|\n  t",
            "!!str y",
            "[{a: 1}]",
        ]),
        prop::sample::select(vec!["\n", "\n", "\r\n", "\n\n", "\n# c\n"]),
    )
        .prop_map(|(pad, dash, key, value, eol)| {
            let sep = if value.is_empty() { ":" } else { ": " };
            format!("{pad}{dash}{key}{sep}{value}{eol}")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]
    /// The fuzz target's checks (fuzz/check.rs) on generated nested files
    /// and paths: no panic, and every edit made is exact.
    #[test]
    fn fuzz_checks_hold_at_depth(
        path in "(a|b|c|a\\.b|a\\[0\\]|a\\[0\\]\\.a|a\\.a\\.b|b\\.a\\[1\\]\\.c|a\\\\\\.b|c\\.b\\.a\\.d)(=|:=)(x|1|true|\\{\\}|'q'|)",
        lines in prop::collection::vec(soup_line(), 0..8),
    ) {
        let data = [&[0x80u8][..], path.as_bytes(), b"\n", lines.concat().as_bytes()].concat();
        check::check(&data);
    }
}
