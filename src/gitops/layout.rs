//! Where things are in an mlops-gitops repository, and the one rule for
//! names.
//!
//! One Helm values file per model and environment:
//! `model-deployments/<env>/<model>/config.yaml`. Argo CD names each
//! application after the folder (`{{ .path.basename }}-test`), and an
//! application name is a Kubernetes object name, a DNS-1123 subdomain: so
//! that is what a model or environment name is, everywhere (status,
//! enable/disable/set, log, completion, picking).

use std::fmt;

use crate::error::{self, Result};

/// The folder that holds one folder per environment.
pub(crate) const DEPLOYMENTS: &str = "model-deployments";
/// The values file of one model in one environment.
pub(crate) const CONFIG: &str = "config.yaml";

/// One model in one environment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Target {
    pub env: String,
    pub model: String,
}

impl Target {
    pub fn new(env: &str, model: &str) -> Target {
        Target {
            env: env.to_string(),
            model: model.to_string(),
        }
    }

    /// The config file's path relative to the repository root, with `/`.
    pub fn path(&self) -> String {
        format!("{}/{CONFIG}", self.dir())
    }

    /// The model's folder relative to the repository root.
    pub fn dir(&self) -> String {
        format!("{DEPLOYMENTS}/{}/{}", self.env, self.model)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.env, self.model)
    }
}

/// Why `name` cannot be a model or environment name, or `None` when it
/// can: a DNS-1123 subdomain (lowercase letters, digits, `-` and `.`,
/// each dot-separated part starting and ending with a letter or digit, at
/// most 253 characters). `..`, `/`, spaces or an empty name never pass, so
/// no such name can reach a path.
pub(crate) fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    if name.len() > 253 {
        return Some("it is longer than 253 characters");
    }
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        return Some("it has upper-case letters");
    }
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.';
    if !name.bytes().all(allowed) {
        return Some("it has characters other than a-z, 0-9, '-' and '.'");
    }
    let edges_ok = name.split('.').all(|part| {
        let b = part.as_bytes();
        !b.is_empty() && b[0].is_ascii_alphanumeric() && b[b.len() - 1].is_ascii_alphanumeric()
    });
    if !edges_ok {
        return Some("a part between dots is empty or starts or ends with '-'");
    }
    None
}

/// [`name_problem`] as an error (exit 3) naming the rule.
pub(crate) fn check_name(what: &str, name: &str) -> Result<()> {
    match name_problem(name) {
        None => Ok(()),
        Some(why) => Err(error::config(format!(
            "{what} name {name:?} is not a valid name: {why}"
        ))
        .hinted(format!(
            "{what} names are folder names under {DEPLOYMENTS}/ and become Argo CD application names: lowercase letters, digits, '-' and '.'"
        ))),
    }
}

/// The targets a command line names: `--env ENV... MODEL...` (every model
/// in every environment) or `ENV/MODEL...` (exactly those), not both.
/// Names are checked here, before anything else happens.
pub(crate) fn targets(envs: &[String], models: &[String]) -> Result<Vec<Target>> {
    let qualified = models.iter().filter(|m| m.contains('/')).count();
    let mut out: Vec<Target> = Vec::new();
    if qualified > 0 {
        if !envs.is_empty() || qualified < models.len() {
            return Err(error::usage(
                "ENV/MODEL arguments can't be mixed with --env or with plain MODEL names",
            )
            .hinted("name every model as ENV/MODEL (test/jukebox prod/jukebox-ui), or use --env ENV MODEL..."));
        }
        for word in models {
            let (env, model) = word.split_once('/').unwrap_or((word, ""));
            check_name("environment", env)?;
            check_name("model", model)?;
            push_new(&mut out, Target::new(env, model));
        }
        return Ok(out);
    }
    for env in envs {
        check_name("environment", env)?;
    }
    for model in models {
        check_name("model", model)?;
    }
    for env in envs {
        for model in models {
            push_new(&mut out, Target::new(env, model));
        }
    }
    Ok(out)
}

fn push_new(out: &mut Vec<Target>, target: Target) {
    if !out.contains(&target) {
        out.push(target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_subdomains() {
        for ok in [
            "test",
            "jukebox-ui",
            "a",
            "m2",
            "jukebox.v2",
            "a.b-c.d",
            &"a".repeat(253),
        ] {
            assert_eq!(name_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "..",
            ".a",
            "a.",
            "a..b",
            "a/b",
            "has space",
            "-a",
            "a-",
            "Jukebox",
            "Jukebox_Old",
            "a_b",
            &"a".repeat(254),
        ] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn env_model_arguments_name_exactly_those_targets() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let got = targets(&[], &s(&["test/jukebox", "prod/jukebox-ui"])).unwrap();
        assert_eq!(
            got,
            [
                Target::new("test", "jukebox"),
                Target::new("prod", "jukebox-ui")
            ]
        );
        let cross = targets(&s(&["test", "prod"]), &s(&["a", "b"])).unwrap();
        assert_eq!(cross.len(), 4);
        assert!(targets(&s(&["test"]), &s(&["test/jukebox"])).is_err());
        assert!(targets(&[], &s(&["test/jukebox", "jukebox"])).is_err());
        assert!(targets(&[], &s(&["test/../x"])).is_err());
    }
}
