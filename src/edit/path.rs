//! Helm `--set` paths: `image.tag`, `resources.limits.cpu`,
//! `podAnnotations.prometheus\.io/scrape` (a backslash escapes the next
//! character, so that key is `prometheus.io/scrape`), `env[0].value` (an
//! index into a list). One parser for every place a key is named (`set`,
//! `log --key`, the chart model). A plain `KEY` is a path of one step.

use std::fmt;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// A key of a mapping.
    Key(String),
    /// An element of a list (0-based).
    Index(usize),
}

/// A parsed path: at least one step, the first one a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Path {
    steps: Vec<Step>,
}

impl Path {
    /// Parses a Helm path; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Path, String> {
        let mut steps = Vec::new();
        let mut key = String::new();
        // Whether the current key has any character (or was escaped).
        let mut started = false;
        // After `]`: only `.`, `[` or the end may follow.
        let mut after_index = false;
        let mut chars = text.chars().peekable();
        let bad = |why: &str| Err(format!("`{text}` is not a path: {why}"));
        while let Some(c) = chars.next() {
            if after_index && !matches!(c, '.' | '[') {
                return bad("after `[N]` comes `.`, `[` or the end");
            }
            match c {
                '\\' => match chars.next() {
                    Some(e) => {
                        key.push(e);
                        started = true;
                    }
                    None => return bad("it ends with a lone `\\`"),
                },
                '.' => {
                    if !after_index {
                        if !started {
                            return bad("a key between two dots is empty");
                        }
                        steps.push(Step::Key(std::mem::take(&mut key)));
                    }
                    after_index = false;
                    started = false;
                    if chars.peek().is_none() {
                        return bad("it ends with `.`");
                    }
                }
                '[' => {
                    if !after_index {
                        if !started {
                            return bad("`[N]` must follow a key");
                        }
                        steps.push(Step::Key(std::mem::take(&mut key)));
                    }
                    let mut digits = String::new();
                    loop {
                        match chars.next() {
                            Some(']') => break,
                            Some(d) if d.is_ascii_digit() => digits.push(d),
                            _ => return bad("a list index is `[N]`, N a number from 0"),
                        }
                    }
                    let Ok(n) = digits.parse::<usize>() else {
                        return bad("a list index is `[N]`, N a number from 0");
                    };
                    steps.push(Step::Index(n));
                    after_index = true;
                    started = false;
                }
                ']' => return bad("`]` without `[` (write `\\]` for the character)"),
                c => {
                    key.push(c);
                    started = true;
                }
            }
        }
        if !after_index {
            if !started {
                return bad("it is empty");
            }
            steps.push(Step::Key(key));
        }
        Ok(Path { steps })
    }

    /// A path of one top-level key (no parsing: dots are part of the key).
    pub fn key(key: &str) -> Path {
        Path {
            steps: vec![Step::Key(key.to_string())],
        }
    }

    /// A path of these steps (at least one; the first a key).
    pub(crate) fn from_steps(steps: Vec<Step>) -> Path {
        Path { steps }
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The path of the first `n` steps.
    pub fn prefix(&self, n: usize) -> Path {
        Path {
            steps: self.steps[..n.min(self.steps.len())].to_vec(),
        }
    }

    /// Whether `self` leads to `other` or below it (`image` to `image.tag`).
    pub fn is_prefix_of(&self, other: &Path) -> bool {
        other.steps.starts_with(&self.steps)
    }
}

/// The path written back the way it is parsed (`a.b\.c[0]`).
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                Step::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    for c in k.chars() {
                        if matches!(c, '.' | '[' | ']' | '\\') {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                }
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Step {
        Step::Key(k.into())
    }

    #[track_caller]
    fn parses(text: &str, steps: &[Step]) {
        let path = Path::parse(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(path.steps(), steps, "{text}");
        // Written back, it parses to the same path.
        assert_eq!(Path::parse(&path.to_string()), Ok(path), "{text}");
    }

    #[test]
    fn helm_paths_parse() {
        parses("version", &[key("version")]);
        parses("image.tag", &[key("image"), key("tag")]);
        parses(
            "resources.limits.cpu",
            &[key("resources"), key("limits"), key("cpu")],
        );
        parses(
            "podAnnotations.prometheus\\.io/scrape",
            &[key("podAnnotations"), key("prometheus.io/scrape")],
        );
        parses("env[0].value", &[key("env"), Step::Index(0), key("value")]);
        parses("m[1][12]", &[key("m"), Step::Index(1), Step::Index(12)]);
        parses("a\\\\b", &[key("a\\b")]);
        parses("a\\[0\\]", &[key("a[0]")]);
        parses("image_repository", &[key("image_repository")]);
        parses("x-y", &[key("x-y")]);
    }

    #[test]
    fn bad_paths_are_refused_with_the_reason() {
        for (text, why) in [
            ("", "empty"),
            (".a", "empty"),
            ("a..b", "empty"),
            ("a.", "ends with `.`"),
            ("a\\", "lone"),
            ("[0]", "must follow a key"),
            ("a[x]", "list index"),
            ("a[]", "list index"),
            ("a[0", "list index"),
            ("a[0]b", "after `[N]`"),
            ("a]", "without `[`"),
            ("a[99999999999999999999999]", "list index"),
        ] {
            let err = Path::parse(text).expect_err(text);
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn a_prefix_is_known() {
        let p = |t: &str| Path::parse(t).unwrap();
        assert!(p("image").is_prefix_of(&p("image.tag")));
        assert!(p("image.tag").is_prefix_of(&p("image.tag")));
        assert!(!p("image.tag").is_prefix_of(&p("image")));
        assert!(!p("image\\.tag").is_prefix_of(&p("image.tag")));
        assert_eq!(Path::key("a.b").to_string(), "a\\.b");
    }
}
