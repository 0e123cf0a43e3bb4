//! How readers resolve an untagged plain scalar: go-yaml v2 (what Helm's
//! chart sees), the YAML 1.2 core schema (serde_yaml, yq) and the wider
//! YAML 1.1 types (PyYAML-style), which only the quoting rules consult.

use super::ChartValue;

/// YAML 1.1 booleans as go-yaml v2 resolves them.
pub(crate) fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            Some(false)
        }
        _ => None,
    }
}

pub(crate) fn is_null_word(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// The words both schemas give a fixed meaning (besides booleans, nulls).
fn special_float(s: &str) -> Option<&'static str> {
    match s {
        ".nan" | ".NaN" | ".NAN" => Some("NaN"),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Some("+Inf"),
        "-.inf" | "-.Inf" | "-.INF" => Some("-Inf"),
        _ => None,
    }
}

/// go-yaml v2's `yamlStyleFloat` (also the YAML 1.2 core float):
/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn float_syntax(s: &str) -> bool {
    let digits = |t: &str| t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && digits(frac) == frac.len(),
        Some((int, frac)) => {
            !int.is_empty() && digits(int) == int.len() && digits(frac) == frac.len()
        }
        None => !mantissa.is_empty() && digits(mantissa) == mantissa.len(),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e) == e.len()
    });
    mantissa_ok && exponent_ok
}

/// Go's `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint`: sign,
/// then `0x`/`0o`/`0b` or a leading `0` (octal) or decimal.
fn go_int(s: &str) -> Option<i128> {
    let (negative, t) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = t.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &t[2..]),
        Some("0o") => (8, &t[2..]),
        Some("0b") => (2, &t[2..]),
        _ if t.len() > 1 && t.starts_with('0') => (8, &t[1..]),
        _ => (10, t),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let n = i128::from_str_radix(digits, radix).ok()?;
    let n = if negative { -n } else { n };
    let fits = if negative || s.starts_with('+') {
        i64::try_from(n).is_ok()
    } else {
        i64::try_from(n).is_ok() || u64::try_from(n).is_ok()
    };
    fits.then_some(n)
}

/// A float as Go's `%v` would show it, near enough for people.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if f != 0.0 && (f.abs() >= 1e21 || f.abs() < 1e-4) {
        format!("{f:e}")
    } else {
        format!("{f}")
    }
}

fn finite_float(s: &str) -> Option<ChartValue> {
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(|f| ChartValue::Float(float_text(f)))
}

/// What go-yaml v2 (Helm) makes of an untagged plain scalar.
pub(crate) fn go_yaml(s: &str) -> ChartValue {
    if is_null_word(s) {
        return ChartValue::Null;
    }
    if let Some(b) = yaml11_bool(s) {
        return ChartValue::Bool(b);
    }
    if let Some(f) = special_float(s) {
        return ChartValue::Float(f.into());
    }
    match s.as_bytes()[0] {
        b'.' if float_syntax(s) => finite_float(s).unwrap_or_else(|| ChartValue::Str(s.into())),
        b'+' | b'-' | b'0'..=b'9' => {
            // go-yaml drops every `_` before it parses a number; a
            // timestamp stays the string it was (decoded into interface{}).
            let plain = s.replace('_', "");
            if let Some(n) = go_int(&plain) {
                return ChartValue::Int(n.to_string());
            }
            match float_syntax(&plain).then(|| finite_float(&plain)).flatten() {
                Some(f) => f,
                None => ChartValue::Str(s.into()),
            }
        }
        _ => ChartValue::Str(s.into()),
    }
}

/// What a YAML 1.2 core-schema reader (serde_yaml, yq) makes of an
/// untagged plain scalar.
pub(crate) fn core12(s: &str) -> ChartValue {
    if is_null_word(s) {
        return ChartValue::Null;
    }
    match s {
        "true" | "True" | "TRUE" => return ChartValue::Bool(true),
        "false" | "False" | "FALSE" => return ChartValue::Bool(false),
        _ => {}
    }
    if let Some(f) = special_float(s) {
        return ChartValue::Float(f.into());
    }
    let radix = |prefix: &str, radix: u32| {
        s.strip_prefix(prefix)
            .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_digit(radix)))
            .and_then(|d| i128::from_str_radix(d, radix).ok())
    };
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let decimal = !unsigned.is_empty() && unsigned.chars().all(|c| c.is_ascii_digit());
    let int = if decimal {
        s.parse::<i128>().ok()
    } else {
        radix("0o", 8).or_else(|| radix("0x", 16))
    };
    if let Some(n) = int {
        return ChartValue::Int(n.to_string());
    }
    match float_syntax(s).then(|| finite_float(s)).flatten() {
        Some(f) => f,
        None => ChartValue::Str(s.into()),
    }
}

/// Plain text that a YAML 1.1 reader may take for a number, a date or a
/// special key, beyond what go-yaml and the 1.2 core schema resolve:
/// `1_000`, `12:30` (sexagesimal), `2024-01-01`, `0b101`, `=`. Errs on the
/// side of quoting (`1-2` counts), while `1.2.3` or `4562a17c17` do not.
pub(crate) fn yaml11_other(s: &str) -> bool {
    if matches!(s, "=" | "<<") {
        return true;
    }
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let prefixed = ["0x", "0X", "0o", "0O", "0b", "0B"].iter().any(|p| {
        t.strip_prefix(p)
            .is_some_and(|d| d.chars().all(|c| c.is_ascii_hexdigit() || c == '_'))
    });
    let numberish = t.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && t.chars().any(|c| c.is_ascii_digit())
        && t.chars().filter(|c| *c == '.').count() <= 1
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '_' | '.' | ':' | 'e' | 'E' | '+' | '-'));
    let b = s.as_bytes();
    let date = b.len() > 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-';
    prefixed || numberish || date
}
