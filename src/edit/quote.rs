//! How a string is written so that every reader reads exactly that string:
//! plain when YAML 1.1 (Helm's go-yaml), the 1.2 core schema (yq) and the
//! wider 1.1 types all read it as text and it cannot be mistaken for YAML
//! syntax; otherwise quoted, keeping the value's current quoting style when
//! that style can hold it.

use super::events::Style;
use super::resolve;
use super::ChartValue;

/// Characters that may stand as they are inside one line of a plain or
/// single-quoted scalar: YAML's printable set without tab, line breaks
/// (NEL, LS, PS) and the byte order mark.
fn inline_printable(c: char) -> bool {
    match c {
        ' ' => true,
        c if c.is_ascii() => c.is_ascii_graphic(),
        '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => false,
        c => matches!(c as u32, 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..),
    }
}

/// True when `s`, written plainly after `key: ` (inside `{...}` when
/// `flow`), is one plain scalar with exactly this text. In a flow
/// collection go-yaml v2 (Helm) also ends a plain scalar at `?`.
pub(crate) fn plain_syntax_ok(s: &str, flow: bool) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let second = chars.next();
    let indicator = " ?:,[]{}#&*!|>'\"%@`".contains(first)
        || (first == '-' && matches!(second, None | Some(' ')));
    !indicator
        && !s.starts_with("---")
        && !s.starts_with("...")
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && !(flow && s.contains([',', '[', ']', '{', '}', ':', '#', '?']))
        && s.chars().all(inline_printable)
}

/// Whether `s` must be quoted to be read as exactly this string.
pub(crate) fn needs_quotes(s: &str, flow: bool) -> bool {
    !plain_syntax_ok(s, flow)
        || resolve::go_yaml(s) != ChartValue::Str(s.into())
        || resolve::core12(s) != ChartValue::Str(s.into())
        || resolve::yaml11_other(s)
}

/// `s` in double quotes, every character that is not plainly printable on
/// one line escaped the way libyaml and go-yaml read it back.
pub(crate) fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if inline_printable(c) => out.push(c),
            c if (c as u32) <= 0xFF => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// The text to write for the string `s`, given how the value it replaces
/// was quoted (`None` for a new entry or an empty value).
pub(crate) fn render(s: &str, old: Option<Style>, flow: bool) -> String {
    match old {
        Some(Style::SingleQuoted) if s.chars().all(inline_printable) => {
            format!("'{}'", s.replace('\'', "''"))
        }
        Some(Style::SingleQuoted | Style::DoubleQuoted) => double_quoted(s),
        _ if needs_quotes(s, flow) => double_quoted(s),
        _ => s.to_string(),
    }
}
