//! A real Gitea for the `--pull-request` tests (tests/it/forge.rs),
//! built from its Go module by scripts/test-servers.sh and started by
//! the library's testbed (the one `mlops demo` uses) on 127.0.0.1 with
//! sqlite, an admin user and a token; repositories are made through its
//! API.

use std::ops::Deref;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::Env;

pub use mlops::testbed::ADMIN;

/// A Gitea on 127.0.0.1, killed on drop.
pub struct Gitea(mlops::testbed::Gitea);

impl Deref for Gitea {
    type Target = mlops::testbed::Gitea;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Gitea {
    /// Starts Gitea under `dir`; `None` (a SKIP note, a failure in CI)
    /// when scripts/test-servers.sh has not built it.
    pub fn start(dir: &Path) -> Option<Gitea> {
        let bin = mlops::testbed::gitea_binary();
        if !bin.exists() {
            crate::skipped::skip(&format!(
                "Gitea {} ({} not built: run scripts/test-servers.sh gitea)",
                mlops::testbed::GITEA_VERSION,
                bin.display()
            ));
            return None;
        }
        Some(Gitea(mlops::testbed::Gitea::start(dir).unwrap()))
    }

    pub fn get(&self, path: &str) -> Value {
        self.call("GET", path, None)
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// A repository `name` of the admin, holding the fixture's main
    /// (pushed with git), and a checkout of it whose origin is Gitea's
    /// URL (no secret in it).
    pub fn gitops(&self, env: &Env, name: &str, private: bool) -> PathBuf {
        self.create_repo(name, private).unwrap();
        let (_remote, work) = env.gitops(|_| {});
        let url = self.repo_url(name);
        let with_auth = format!(
            "http://{ADMIN}:{}@127.0.0.1:{}/{ADMIN}/{name}.git",
            self.token, self.port
        );
        env.git(&work, &["push", "-q", &with_auth, "main"]);
        env.git(&work, &["remote", "set-url", "origin", &url]);
        self.wait_filled(name).unwrap();
        work
    }

    /// `git fetch` of `repo`'s branches into `work`'s `origin/*`, with
    /// the token in the URL (the checkout's origin has none).
    pub fn fetch(&self, env: &Env, work: &Path, repo: &str) {
        let url = format!(
            "http://{ADMIN}:{}@127.0.0.1:{}/{ADMIN}/{repo}.git",
            self.token, self.port
        );
        env.git(
            work,
            &["fetch", "-q", &url, "+refs/heads/*:refs/remotes/origin/*"],
        );
    }

    /// The open pull requests of `repo`.
    pub fn open_pulls(&self, repo: &str) -> Vec<Value> {
        self.get(&format!("/repos/{ADMIN}/{repo}/pulls?state=open"))
            .as_array()
            .unwrap()
            .clone()
    }
}
