//! Which Argo CD applications will deploy a changed file.
//!
//! The mlops-gitops repository holds one ApplicationSet per environment at
//! its top level (`appset-*.yaml`). Its git files generator's path glob
//! (`model-deployments/test/**/config.yaml`) says which files it turns into
//! applications, and its template name (`{{ .path.basename }}-test`) what
//! each application is called, `path.basename` being the name of the folder
//! holding the file. A changed file that no ApplicationSet covers is never
//! deployed by Argo CD: worth a warning.

use serde::Deserialize;

use super::local::TreeSnapshot;
use crate::error::Result;

/// One application that deploys a changed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// The application's name, e.g. `jukebox-test`.
    pub name: String,
    /// The ApplicationSet that generates it.
    pub appset: String,
    /// The changed file.
    pub path: String,
    /// The branch Argo CD reads the file from (the generator's
    /// `revision`), when the ApplicationSet names one.
    pub revision: Option<String>,
}

/// Per changed path: the applications that deploy it (empty: none does).
pub fn coverage(tree: &TreeSnapshot<'_>, paths: &[String]) -> Result<Vec<(String, Vec<App>)>> {
    let appsets = load(tree)?;
    Ok(paths
        .iter()
        .map(|path| {
            let apps = appsets
                .iter()
                .filter(|set| set.globs.iter().any(|g| glob_match(g, path)))
                .map(|set| App {
                    name: render(&set.template, path),
                    appset: set.name.clone(),
                    path: path.clone(),
                    revision: set.revision.clone(),
                })
                .collect();
            (path.clone(), apps)
        })
        .collect())
}

struct AppSet {
    name: String,
    globs: Vec<String>,
    revision: Option<String>,
    template: String,
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
}

#[derive(Deserialize)]
struct GitGenerator {
    revision: Option<String>,
    #[serde(default)]
    files: Vec<PathItem>,
}

#[derive(Deserialize)]
struct PathItem {
    path: String,
    #[serde(default)]
    exclude: bool,
}

#[derive(Deserialize)]
struct Template {
    metadata: Option<Meta>,
}

/// The ApplicationSets in the top-level YAML files of the tree. Files that
/// don't parse, or documents of other kinds, are skipped: they are not
/// ours to judge.
fn load(tree: &TreeSnapshot<'_>) -> Result<Vec<AppSet>> {
    let mut sets = Vec::new();
    for name in tree.files("")? {
        if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
            continue;
        }
        let Some(bytes) = tree.read(&name)? else {
            continue;
        };
        for doc in serde_yaml::Deserializer::from_slice(&bytes) {
            let Ok(doc) = Doc::deserialize(doc) else {
                continue;
            };
            if doc.kind.as_deref() != Some("ApplicationSet") {
                continue;
            }
            let Some(spec) = doc.spec else { continue };
            let globs = spec
                .generators
                .iter()
                .filter_map(|g| g.git.as_ref())
                .flat_map(|g| g.files.iter())
                .filter(|f| !f.exclude)
                .map(|f| f.path.clone())
                .collect();
            let revision = spec
                .generators
                .iter()
                .filter_map(|g| g.git.as_ref())
                .find_map(|g| g.revision.clone())
                .filter(|r| r != "HEAD");
            sets.push(AppSet {
                name: doc.metadata.and_then(|m| m.name).unwrap_or_default(),
                globs,
                revision,
                template: spec
                    .template
                    .and_then(|t| t.metadata)
                    .and_then(|m| m.name)
                    .unwrap_or_default(),
            });
        }
    }
    Ok(sets)
}

/// Fills the git files generator's `path.*` parameters, in both template
/// spellings (`{{ .path.basename }}` with goTemplate, `{{path.basename}}`).
fn render(template: &str, file: &str) -> String {
    let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
    let basename = dir.rsplit('/').next().unwrap_or(dir);
    let filename = file.rsplit('/').next().unwrap_or(file);
    let normalized: String = basename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let expr = rest[start + 2..start + len].trim().trim_start_matches('.');
        let value = match expr {
            "path.basename" => Some(basename),
            "path.basenameNormalized" => Some(normalized.as_str()),
            "path.path" | "path" => Some(dir),
            "path.filename" => Some(filename),
            _ => None,
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
pub fn glob_match(glob: &str, path: &str) -> bool {
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
        assert_eq!(render("{{ .path.basename }}-test", f), "jukebox-test");
        assert_eq!(render("{{path.basename}}", f), "jukebox");
        assert_eq!(render("{{ .other }}-x", f), "{{ .other }}-x");
    }
}
