//! The sparse set of a checkout, as git reads `info/sparse-checkout`:
//! cone mode (git's default: folders, recursive or with their files
//! only) or gitignore-style patterns (git's `path_in_sparse_checkout`,
//! wildmatch with `WM_PATHNAME`).

use std::fs;

use git2::Repository;

/// The sparse set of a checkout: `core.sparseCheckout` on, the patterns
/// of `info/sparse-checkout` read in cone mode (`core.sparseCheckoutCone`,
/// git's default) or as gitignore-style patterns.
pub(crate) enum Patterns {
    Cone {
        /// Folders included with everything below them.
        recursive: Vec<String>,
        /// Folders whose files (not sub-folders) are included.
        parents: Vec<String>,
    },
    Full(Vec<Pattern>),
}

pub(crate) struct Pattern {
    negated: bool,
    only_dir: bool,
    anchored: bool,
    glob: String,
}

impl Patterns {
    /// The sparse set of `repo`'s checkout, `None` when it is not sparse.
    pub(crate) fn of(repo: &Repository) -> Option<Patterns> {
        let file = repo.path().join("info/sparse-checkout");
        if !file.is_file() {
            return None;
        }
        let config = repo.config().ok()?;
        if !config.get_bool("core.sparseCheckout").unwrap_or(false) {
            return None;
        }
        let text = fs::read_to_string(file).ok()?;
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let cone = config.get_bool("core.sparseCheckoutCone").unwrap_or(true);
        Some(match cone.then(|| cone_patterns(&lines)).flatten() {
            Some(cone) => cone,
            None => Patterns::Full(lines.iter().map(|l| Pattern::new(l)).collect()),
        })
    }

    /// Whether the file `path` is in the sparse set.
    pub(crate) fn includes(&self, path: &str) -> bool {
        match self {
            Patterns::Cone { recursive, parents } => {
                let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                dir.is_empty()
                    || parents.iter().any(|p| p == dir)
                    || recursive
                        .iter()
                        .any(|r| path.starts_with(r.as_str()) && path[r.len()..].starts_with('/'))
            }
            Patterns::Full(patterns) => {
                // git's path_in_sparse_checkout: the path, then each of its
                // folders upward; the first one a pattern decides (the
                // last matching pattern) wins; nothing matched: excluded.
                let mut end = path.len();
                let mut is_dir = false;
                loop {
                    let part = &path[..end];
                    if let Some(p) = patterns.iter().rev().find(|p| p.matches(part, is_dir)) {
                        return !p.negated;
                    }
                    match part.rfind('/') {
                        Some(at) => (end, is_dir) = (at, true),
                        None => return false,
                    }
                }
            }
        }
    }
}

/// The cone-mode patterns git writes (`/*`, `!/*/`, then `/a/`,
/// `!/a/*/`, `/a/b/` …), or `None` when they are not in that form (git
/// then falls back to full patterns too).
fn cone_patterns(lines: &[&str]) -> Option<Patterns> {
    let mut dirs: Vec<String> = Vec::new();
    let mut parents = Vec::new();
    for line in lines {
        match *line {
            "/*" | "!/*/" => {}
            l if l.starts_with("!/") && l.ends_with("/*/") => {
                parents.push(l[2..l.len() - 3].to_string());
            }
            l if l.starts_with('/') && l.ends_with('/') && !l.contains('*') && l.len() > 2 => {
                dirs.push(l[1..l.len() - 1].to_string());
            }
            _ => return None,
        }
    }
    let recursive = dirs.into_iter().filter(|d| !parents.contains(d)).collect();
    Some(Patterns::Cone { recursive, parents })
}

impl Pattern {
    fn new(line: &str) -> Pattern {
        let (negated, rest) = match line.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, line.strip_prefix('\\').unwrap_or(line)),
        };
        let (only_dir, rest) = match rest.strip_suffix('/') {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let anchored = rest.contains('/');
        Pattern {
            negated,
            only_dir,
            anchored,
            glob: rest.trim_start_matches('/').to_string(),
        }
    }

    /// Whether `path` (a folder when `is_dir`) matches, as gitignore
    /// patterns do: anchored ones against the whole path, others against
    /// its last part.
    fn matches(&self, path: &str, is_dir: bool) -> bool {
        if self.only_dir && !is_dir {
            return false;
        }
        match self.anchored {
            true => wildmatch(self.glob.as_bytes(), path.as_bytes()),
            false => {
                let name = path.rsplit_once('/').map_or(path, |(_, n)| n);
                wildmatch(self.glob.as_bytes(), name.as_bytes())
            }
        }
    }
}

/// git's wildmatch with `WM_PATHNAME`: `*` and `?` stop at `/`, `**`
/// crosses folders, `[...]` is a class.
fn wildmatch(glob: &[u8], text: &[u8]) -> bool {
    match glob.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) if rest.first() == Some(&b'*') => {
            let rest = rest[1..].strip_prefix(b"/").unwrap_or(&rest[1..]);
            (0..=text.len()).any(|i| {
                (i == 0 || text[i - 1] == b'/' || rest.is_empty()) && wildmatch(rest, &text[i..])
            })
        }
        Some((b'*', rest)) => (0..=text.len())
            .take_while(|&i| i == 0 || text[i - 1] != b'/')
            .any(|i| wildmatch(rest, &text[i..])),
        Some((b'?', rest)) => {
            text.first().is_some_and(|c| *c != b'/') && wildmatch(rest, &text[1..])
        }
        Some((b'[', rest)) => match (rest.iter().position(|c| *c == b']'), text.first()) {
            (Some(close), Some(c)) if close > 0 => {
                let (class, negate) = match rest[0] {
                    b'!' | b'^' => (&rest[1..close], true),
                    _ => (&rest[..close], false),
                };
                let hit = class_has(class, *c);
                hit != negate && *c != b'/' && wildmatch(&rest[close + 1..], &text[1..])
            }
            _ => text.first() == Some(&b'[') && wildmatch(rest, &text[1..]),
        },
        Some((b'\\', rest)) if !rest.is_empty() => {
            text.first() == Some(&rest[0]) && wildmatch(&rest[1..], &text[1..])
        }
        Some((c, rest)) => text.first() == Some(c) && wildmatch(rest, &text[1..]),
    }
}

fn class_has(class: &[u8], c: u8) -> bool {
    let mut i = 0;
    while i < class.len() {
        if i + 2 < class.len() && class[i + 1] == b'-' {
            if (class[i]..=class[i + 2]).contains(&c) {
                return true;
            }
            i += 3;
        } else {
            if class[i] == c {
                return true;
            }
            i += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cone_patterns_include_as_git_does() {
        let lines = [
            "/*",
            "!/*/",
            "/model-deployments/",
            "!/model-deployments/*/",
            "/model-deployments/test/",
        ];
        let p = cone_patterns(&lines).unwrap();
        assert!(p.includes("appset-test.yaml"));
        assert!(p.includes("model-deployments/test/jukebox/config.yaml"));
        assert!(p.includes("model-deployments/README.md"));
        assert!(!p.includes("model-deployments/prod/jukebox/config.yaml"));
        assert!(!p.includes("model-deployments/testing/x/config.yaml"));
        assert!(!p.includes("toolings/minio/config.yaml"));
    }

    #[test]
    fn full_patterns_match_as_gitignore_patterns() {
        let p = Patterns::Full(
            ["/*", "!/*/", "/model-deployments/test/", "!*.md"]
                .iter()
                .map(|l| Pattern::new(l))
                .collect(),
        );
        assert!(p.includes("appset-test.yaml"));
        assert!(p.includes("model-deployments/test/jukebox/config.yaml"));
        assert!(!p.includes("model-deployments/test/jukebox/notes.md"));
        assert!(!p.includes("model-deployments/prod/jukebox/config.yaml"));
        let q = Patterns::Full(vec![Pattern::new("model-deployments/*/jukebox/")]);
        assert!(q.includes("model-deployments/prod/jukebox/config.yaml"));
        assert!(!q.includes("model-deployments/prod/jukebox-ui/config.yaml"));
        assert!(wildmatch(b"a/**/b", b"a/x/y/b"));
        assert!(wildmatch(b"**/b", b"x/b"));
        assert!(!wildmatch(b"a/*", b"a/x/y"));
        assert!(wildmatch(b"[a-c]x", b"bx"));
    }

    /// git decides, in a real repository, which files a sparse checkout
    /// keeps (`git ls-files -t`: `H` kept, `S` skipped), for each set of
    /// patterns in cone and non-cone mode; `includes` must agree on every
    /// file.
    #[test]
    fn the_sparse_set_is_the_one_git_checks_out() {
        use std::process::Command;
        let files = [
            "README.md",
            "appset-test.yaml",
            "docs/notes.md",
            "model-deployments/README.md",
            "model-deployments/test/jukebox/config.yaml",
            "model-deployments/test/jukebox/notes.md",
            "model-deployments/test/jukebox-ui/config.yaml",
            "model-deployments/testing/radio/config.yaml",
            "model-deployments/prod/jukebox/config.yaml",
            "model-deployments/prod/jukebox-ui/config.yaml",
            "model-deployments/prod/jukebox/deep/a/b.yaml",
            "toolings/minio/config.yaml",
        ];
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let git = |args: &[&str]| {
            let out = Command::new("git")
                .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
                .args(args)
                .current_dir(d)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", d)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        };
        git(&["init", "-q"]);
        for file in files {
            let path = d.join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, file).unwrap();
        }
        git(&["add", "-A"]);
        git(&["commit", "-qm", "files"]);
        let sets: [&[&str]; 7] = [
            &["--cone", "model-deployments/test"],
            &[
                "--cone",
                "model-deployments/test",
                "model-deployments/prod/jukebox",
            ],
            &["--cone", "docs", "toolings"],
            &["--no-cone", "/model-deployments/test/"],
            &[
                "--no-cone",
                "/*",
                "!/*/",
                "model-deployments/*/jukebox/",
                "!*.md",
            ],
            &["--no-cone", "*.yaml", "!deep/"],
            &[
                "--no-cone",
                "model-deployments/**/config.yaml",
                "/README.md",
            ],
        ];
        for set in sets {
            git(&[&["sparse-checkout", "set"][..], set].concat());
            let repo = Repository::open(d).unwrap();
            let patterns = Patterns::of(&repo).expect("a sparse checkout");
            let listed = git(&["ls-files", "-t"]);
            for line in listed.lines() {
                let (tag, path) = line.split_once(' ').unwrap();
                assert_eq!(patterns.includes(path), tag == "H", "{set:?}: {path}");
            }
            assert!(
                listed.contains("H ") && listed.contains("S "),
                "{set:?}: {listed}"
            );
        }
    }
}
