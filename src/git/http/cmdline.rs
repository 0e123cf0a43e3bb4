//! git's command-line settings as git hands them to the programs it
//! runs, read after every config file (as git reads them).

/// The settings given on git's command line, as git hands them to the
/// programs it runs (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_<n>`/
/// `GIT_CONFIG_VALUE_<n>`, then `git -c`'s `GIT_CONFIG_PARAMETERS`):
/// after every file, in that order. Section and name lowercased as git
/// does (a URL subsection as given).
pub(crate) fn command_line() -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let count = env("GIT_CONFIG_COUNT").and_then(|c| c.trim().parse::<usize>().ok());
    for i in 0..count.unwrap_or(0) {
        if let Some(key) = env(&format!("GIT_CONFIG_KEY_{i}")) {
            out.push((canonical(&key), env(&format!("GIT_CONFIG_VALUE_{i}"))));
        }
    }
    if let Some(text) = env("GIT_CONFIG_PARAMETERS") {
        out.extend(parameters(&text));
    }
    out
}

/// `section.sub.name` with the section and name lowercased.
fn canonical(key: &str) -> String {
    match (key.find('.'), key.rfind('.')) {
        (Some(first), Some(last)) if first != last => format!(
            "{}{}{}",
            key[..first].to_ascii_lowercase(),
            &key[first..last],
            key[last..].to_ascii_lowercase()
        ),
        _ => key.to_ascii_lowercase(),
    }
}

/// git's quoting of `GIT_CONFIG_PARAMETERS`: `'key'='value'`, `'key'`
/// (no value) or the older `'key=value'`, separated by blanks; a quote
/// inside a word is `'\''`.
fn parameters(text: &str) -> Vec<(String, Option<String>)> {
    // Words as (text, whether an `=` follows it directly).
    let mut words: Vec<(String, bool)> = Vec::new();
    let mut chars = text.chars().peekable();
    let mut current: Option<String> = None;
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let word = current.get_or_insert_with(String::new);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '\\' => {
                if let Some(next) = chars.next() {
                    current.get_or_insert_with(String::new).push(next);
                }
            }
            '=' if current.is_some() => {
                words.push((current.take().unwrap_or_default(), true));
            }
            c if c.is_whitespace() => {
                if let Some(word) = current.take() {
                    words.push((word, false));
                }
            }
            c => current.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(word) = current.take() {
        words.push((word, false));
    }
    let mut out = Vec::new();
    let mut words = words.into_iter();
    while let Some((key, assigned)) = words.next() {
        if assigned {
            let value = words.next().map(|(v, _)| v);
            out.push((canonical(&key), value));
        } else if let Some((k, v)) = key.split_once('=') {
            out.push((canonical(k), Some(v.to_string())));
        } else {
            out.push((canonical(&key), None));
        }
    }
    out
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_git_c_parameters() {
        let given = parameters(
            "'http.sslVerify'='false' 'http.https://h/X.extraHeader'='A: it'\\''s' 'core.x=1' 'http.emptyauth'",
        );
        let owned = |k: &str, v: Option<&str>| (k.to_string(), v.map(str::to_string));
        assert_eq!(
            given,
            [
                owned("http.sslverify", Some("false")),
                owned("http.https://h/X.extraheader", Some("A: it's")),
                owned("core.x", Some("1")),
                owned("http.emptyauth", None),
            ]
        );
    }
}
