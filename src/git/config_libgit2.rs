//! libgit2's own reads of the configuration (checkout filters such as
//! `core.autocrlf`, remotes, `url.<base>.insteadOf`) brought in line with
//! git's: what git sees and libgit2 does not is added to the repository's
//! configuration object (src/git/config.rs has git's view).

use git2::Repository;

use super::config::{normalise, Snapshot};

/// Teaches libgit2's own reads (checkout filters such as `core.autocrlf`,
/// remotes, `url.<base>.insteadOf`) what git sees and libgit2 does not:
/// the values of `GIT_CONFIG_GLOBAL`, `GIT_CONFIG_SYSTEM`,
/// `GIT_CONFIG_COUNT`, `git -c` and `includeIf "hasconfig:…"` are added to
/// `repo`'s configuration object at the highest level (`App`), from a file
/// read at once and removed. A value libgit2 read that git would not (a
/// `~/.gitconfig` that `GIT_CONFIG_GLOBAL` replaces) can't be taken away:
/// for a single-valued key git's winning value is put above it.
pub(crate) fn teach_libgit2(repo: &Repository) {
    let snapshot = super::config::of(repo);
    if !snapshot.from_git {
        return;
    }
    let Ok(mut config) = repo.config() else {
        return;
    };
    let mut known: Vec<(String, Option<String>)> = Vec::new();
    if let Ok(mut iter) = config.entries(None) {
        while let Some(Ok(entry)) = iter.next() {
            if let Ok(name) = entry.name() {
                known.push((normalise(name), entry.value().ok().map(str::to_string)));
            }
        }
    }
    let text = missing(&snapshot, known);
    if text.is_empty() {
        return;
    }
    let Ok(dir) = crate::interrupt::scratch_dir("mlops-config-") else {
        return;
    };
    let path = dir.path().join("config");
    if std::fs::write(&path, text).is_ok() {
        let _ = config.add_file(&path, git2::ConfigLevel::App, false);
    }
    crate::interrupt::forget(dir.path());
}

/// Keys that hold several values (each one counts), as opposed to keys
/// where the last value wins.
fn multi_valued(key: &str) -> bool {
    [
        ".fetch",
        ".push",
        ".extraheader",
        ".helper",
        ".insteadof",
        ".pushinsteadof",
        ".pushurl",
        "safe.directory",
    ]
    .iter()
    .any(|end| key.ends_with(end))
}

/// The config file text that gives libgit2 git's values it lacks.
fn missing(snapshot: &Snapshot, mut known: Vec<(String, Option<String>)>) -> String {
    let mut keys: Vec<&str> = Vec::new();
    for entry in &snapshot.entries {
        if !keys.contains(&entry.key.as_str()) {
            keys.push(&entry.key);
        }
    }
    let mut text = String::new();
    for key in keys {
        if key.starts_with("include.") || key.starts_with("includeif.") {
            continue;
        }
        let git: Vec<&Option<String>> = snapshot
            .entries
            .iter()
            .filter(|e| e.key == key)
            .map(|e| &e.value)
            .collect();
        let mut add: Vec<&Option<String>> = Vec::new();
        for value in &git {
            match known.iter().position(|(k, v)| k == key && v == *value) {
                Some(i) => {
                    known.remove(i);
                }
                None => add.push(value),
            }
        }
        // libgit2 reads the highest level's last value: git's must be it.
        let winner = git[git.len() - 1];
        let extra = known.iter().any(|(k, _)| k == key);
        if !multi_valued(key) && add.last() != Some(&winner) && (!add.is_empty() || extra) {
            add.push(winner);
        }
        for value in add {
            text.push_str(&entry_text(key, value.as_deref()));
        }
    }
    text
}

/// One `[section "subsection"] name = "value"` entry.
fn entry_text(key: &str, value: Option<&str>) -> String {
    let quote = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
            .replace('\t', "\\t")
    };
    let (section, name) = key.rsplit_once('.').unwrap_or((key, ""));
    let header = match section.split_once('.') {
        Some((section, sub)) => format!("[{section} \"{}\"]", quote(sub)),
        None => format!("[{section}]"),
    };
    match value {
        Some(value) => format!("{header}\n\t{name} = \"{}\"\n", quote(value)),
        None => format!("{header}\n\t{name}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::parse;
    use super::*;

    #[test]
    fn libgit2_is_given_what_it_lacks_and_git_wins() {
        let git = parse(b"global\0user.name\nA\0local\0user.name\nB\0command\0core.autocrlf\0command\0url.https://x.y/.insteadof\nz:\0");
        let known = |pairs: &[(&str, Option<&str>)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
                .collect::<Vec<_>>()
        };
        let all = known(&[
            ("user.name", Some("A")),
            ("user.name", Some("B")),
            ("core.autocrlf", None),
            ("url.https://x.y/.insteadof", Some("z:")),
        ]);
        assert_eq!(missing(&git, all), "");
        let text = missing(&git, known(&[("user.name", Some("B"))]));
        assert_eq!(
            text,
            "[user]\n\tname = \"A\"\n[user]\n\tname = \"B\"\n[core]\n\tautocrlf\n[url \"https://x.y/\"]\n\tinsteadof = \"z:\"\n"
        );
        // A value only libgit2 read: git's winner is put above it.
        let text = missing(
            &parse(b"local\0user.name\nB\0"),
            known(&[("user.name", Some("C")), ("user.name", Some("B"))]),
        );
        assert_eq!(text, "[user]\n\tname = \"B\"\n");
        assert_eq!(
            entry_text("a.b\"c.d", Some("x\ny")),
            "[a \"b\\\"c\"]\n\td = \"x\\ny\"\n"
        );
    }
}
