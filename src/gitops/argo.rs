//! Which Argo CD applications will deploy a changed file.
//!
//! Every YAML document of kind `ApplicationSet` in the repository counts,
//! wherever its file is (`appset-test.yaml` at the top, `argocd/…`), except
//! inside model folders, which hold Helm values. Its git generators say
//! which files become applications: `files` globs match the file itself,
//! `directories` globs match a folder holding it, each with its `exclude`
//! entries; nested `matrix`/`merge` generators are followed. The template's
//! `metadata.name` (`{{ .path.basename }}-test`) says what the application
//! is called. A changed file that no ApplicationSet covers is never
//! deployed by Argo CD: worth a warning before anything is pushed.

use serde::{Deserialize, Serialize};

use super::layout::DEPLOYMENTS;
use super::snapshot::{EntryKind, Snapshot};
use crate::error::Result;

/// One application that deploys a changed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct App {
    /// The application's name, e.g. `jukebox-test`; `None` when the
    /// ApplicationSet's template has no `metadata.name`.
    pub name: Option<String>,
    /// The ApplicationSet that generates it.
    pub appset: String,
    /// The file holding that ApplicationSet.
    pub file: String,
    /// The branch Argo CD reads from (the generator's `revision`), when
    /// the ApplicationSet names one other than HEAD.
    pub revision: Option<String>,
    /// The ApplicationSet's `metadata.namespace` (where Argo CD keeps its
    /// applications), when it names one.
    #[serde(skip)]
    pub namespace: Option<String>,
}

/// Each path with the applications that deploy it (none: uncovered).
pub(crate) type Coverage = Vec<(String, Vec<App>)>;

/// Per changed path: the applications that deploy it (empty: none does).
pub(crate) fn coverage(snap: &dyn Snapshot, paths: &[String]) -> Result<Coverage> {
    let sets = load(snap)?;
    Ok(paths
        .iter()
        .map(|path| {
            let apps = sets.iter().filter_map(|set| set.app_for(path)).collect();
            (path.clone(), apps)
        })
        .collect())
}

struct AppSet {
    name: String,
    namespace: Option<String>,
    file: String,
    template: Option<String>,
    revision: Option<String>,
    files: Vec<PathItem>,
    dirs: Vec<PathItem>,
}

impl AppSet {
    /// The application this set makes of `path`, if it covers it.
    fn app_for(&self, path: &str) -> Option<App> {
        let dir = if covered(&self.files, path) {
            parent(path)
        } else {
            ancestors(path).find(|d| covered(&self.dirs, d))?
        };
        Some(App {
            name: self.template.as_deref().map(|t| render(t, dir, path)),
            appset: self.name.clone(),
            file: self.file.clone(),
            revision: self.revision.clone(),
            namespace: self.namespace.clone(),
        })
    }
}

/// Included by some glob and excluded by none.
fn covered(items: &[PathItem], path: &str) -> bool {
    let hit = |exclude: bool| {
        items
            .iter()
            .any(|i| i.exclude == exclude && glob_match(&i.path, path))
    };
    hit(false) && !hit(true)
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// `a/b/c/file` -> `a/b/c`, `a/b`, `a`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(parent(path)), |d| Some(parent(d))).take_while(|d| !d.is_empty())
}

#[derive(Deserialize)]
struct Doc {
    kind: Option<String>,
    metadata: Option<Meta>,
    spec: Option<Spec>,
}

#[derive(Deserialize)]
struct Meta {
    name: Option<String>,
    namespace: Option<String>,
}

#[derive(Deserialize)]
struct Spec {
    #[serde(default)]
    generators: Vec<Generator>,
    template: Option<Template>,
}

#[derive(Deserialize)]
struct Generator {
    git: Option<GitGenerator>,
    matrix: Option<Nested>,
    merge: Option<Nested>,
}

#[derive(Deserialize)]
struct Nested {
    #[serde(default)]
    generators: Vec<Generator>,
}

#[derive(Deserialize)]
struct GitGenerator {
    revision: Option<String>,
    #[serde(default)]
    files: Vec<PathItem>,
    #[serde(default)]
    directories: Vec<PathItem>,
}

#[derive(Deserialize, Clone)]
struct PathItem {
    path: String,
    #[serde(default)]
    exclude: bool,
}

#[derive(Deserialize)]
struct Template {
    metadata: Option<Meta>,
}

/// The git generators of `generators`, nested ones included.
fn git_generators(generators: Vec<Generator>, out: &mut Vec<GitGenerator>) {
    for g in generators {
        if let Some(git) = g.git {
            out.push(git);
        }
        for nested in [g.matrix, g.merge].into_iter().flatten() {
            git_generators(nested.generators, out);
        }
    }
}

/// The ApplicationSets in the YAML files of the tree. Files that don't
/// parse, or documents of other kinds, are skipped: they are not ours to
/// judge.
fn load(snap: &dyn Snapshot) -> Result<Vec<AppSet>> {
    let mut sets = Vec::new();
    for file in yaml_files(snap)? {
        let Some(bytes) = snap.read(&file).ok().flatten() else {
            continue;
        };
        if !contains(&bytes, b"ApplicationSet") {
            continue;
        }
        for doc in serde_yaml::Deserializer::from_slice(&bytes) {
            let Ok(doc) = Doc::deserialize(doc) else {
                continue;
            };
            if doc.kind.as_deref() != Some("ApplicationSet") {
                continue;
            }
            let Some(spec) = doc.spec else { continue };
            let mut gits = Vec::new();
            git_generators(spec.generators, &mut gits);
            let (name, namespace) = doc.metadata.map_or((None, None), |m| (m.name, m.namespace));
            sets.push(AppSet {
                name: name.unwrap_or_default(),
                namespace,
                file: file.clone(),
                template: spec.template.and_then(|t| t.metadata).and_then(|m| m.name),
                revision: gits
                    .iter()
                    .find_map(|g| g.revision.clone())
                    .filter(|r| r != "HEAD"),
                files: gits.iter().flat_map(|g| g.files.clone()).collect(),
                dirs: gits.iter().flat_map(|g| g.directories.clone()).collect(),
            });
        }
    }
    Ok(sets)
}

/// Every `.yaml`/`.yml` file of the tree, not descending into model
/// folders (`model-deployments/<env>/<model>/`: Helm values, thousands of
/// them in a large repository) nor hidden folders.
fn yaml_files(snap: &dyn Snapshot) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut pending = vec![String::new()];
    while let Some(dir) = pending.pop() {
        let depth = dir.split('/').count();
        let in_models = dir.starts_with(&format!("{DEPLOYMENTS}/")) && depth >= 2;
        for entry in snap.entries(&dir, "")? {
            let path = if dir.is_empty() {
                entry.name.clone()
            } else {
                format!("{dir}/{}", entry.name)
            };
            match entry.kind {
                EntryKind::Dir if !in_models => pending.push(path),
                EntryKind::File if path.ends_with(".yaml") || path.ends_with(".yml") => {
                    out.push(path)
                }
                _ => {}
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Whether [`coverage`] may read the file at `path`: a `.yaml`/`.yml`
/// file outside model folders, as [`yaml_files`] lists them (a file
/// directly in an environment's folder is read, one in a model's is not).
pub(crate) fn may_read(path: &str) -> bool {
    let yaml = path.ends_with(".yaml") || path.ends_with(".yml");
    let in_model = path.starts_with(&format!("{DEPLOYMENTS}/")) && path.split('/').count() >= 4;
    yaml && !in_model
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Fills the git generator's `path.*` parameters, in both template
/// spellings (`{{ .path.basename }}` with goTemplate, `{{path.basename}}`):
/// `dir` is the folder the application is made of, `file` the file.
fn render(template: &str, dir: &str, file: &str) -> String {
    let basename = dir.rsplit('/').next().unwrap_or(dir);
    let filename = file.rsplit('/').next().unwrap_or(file);
    let normalized: String = basename
        .chars()
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() || c == '-' || c == '.' => c.to_ascii_lowercase(),
            _ => '-',
        })
        .collect();
    let segments: Vec<&str> = dir.split('/').collect();
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let expr = rest[start + 2..start + len].trim().trim_start_matches('.');
        let segment = |i: &str| {
            i.trim()
                .parse::<usize>()
                .ok()
                .and_then(|i| segments.get(i).copied())
        };
        let value = match expr {
            "path.basename" => Some(basename),
            "path.basenameNormalized" => Some(normalized.as_str()),
            "path.path" | "path" => Some(dir),
            "path.filename" => Some(filename),
            e => e
                .strip_prefix("path[")
                .and_then(|i| i.strip_suffix(']'))
                .or_else(|| e.strip_prefix("index .path.segments "))
                .and_then(segment),
        };
        match value {
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// A path glob as Argo CD's git generator reads it: `**` spans folders,
/// `*` and `?` stay within one name.
fn glob_match(glob: &str, path: &str) -> bool {
    let g: Vec<&str> = glob.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    segments(&g, &p)
}

fn segments(g: &[&str], p: &[&str]) -> bool {
    match (g.first(), p.first()) {
        (None, None) => true,
        (Some(&"**"), _) => segments(&g[1..], p) || (!p.is_empty() && segments(g, &p[1..])),
        (Some(pat), Some(name)) => {
            name_match(pat.as_bytes(), name.as_bytes()) && segments(&g[1..], &p[1..])
        }
        _ => false,
    }
}

fn name_match(pat: &[u8], name: &[u8]) -> bool {
    match (pat.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            name_match(&pat[1..], name) || (!name.is_empty() && name_match(pat, &name[1..]))
        }
        (Some(b'?'), Some(_)) => name_match(&pat[1..], &name[1..]),
        (Some(a), Some(b)) if a == b => name_match(&pat[1..], &name[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let g = "model-deployments/test/**/config.yaml";
        assert!(glob_match(g, "model-deployments/test/jukebox/config.yaml"));
        assert!(glob_match(g, "model-deployments/test/config.yaml"));
        assert!(!glob_match(g, "model-deployments/prod/jukebox/config.yaml"));
        assert!(glob_match(
            "toolings/*/config.y?ml",
            "toolings/minio/config.yaml"
        ));
    }

    #[test]
    fn renders_names() {
        let f = "model-deployments/test/jukebox/config.yaml";
        let d = parent(f);
        assert_eq!(render("{{ .path.basename }}-test", d, f), "jukebox-test");
        assert_eq!(render("{{path.basename}}", d, f), "jukebox");
        assert_eq!(
            render("{{ index .path.segments 1 }}-{{path[2]}}", d, f),
            "test-jukebox"
        );
        assert_eq!(render("{{ .other }}-x", d, f), "{{ .other }}-x");
    }

    #[test]
    fn excludes_win_over_includes() {
        let items = vec![
            PathItem {
                path: "model-deployments/test/*".into(),
                exclude: false,
            },
            PathItem {
                path: "model-deployments/test/old*".into(),
                exclude: true,
            },
        ];
        assert!(covered(&items, "model-deployments/test/jukebox"));
        assert!(!covered(&items, "model-deployments/test/old-jukebox"));
        let path = "model-deployments/test/jukebox/config.yaml";
        assert_eq!(
            ancestors(path).find(|d| covered(&items, d)),
            Some("model-deployments/test/jukebox")
        );
    }
}
