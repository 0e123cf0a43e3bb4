//! Gitea on 127.0.0.1 with sqlite, an admin user and an API token, its
//! repositories made through its API.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{call, free_port, gitea_binary, Result, Running};
use crate::git::basic::basic;

/// The admin user.
pub const ADMIN: &str = "root";
const PASSWORD: &str = "gitea-test-pass-1";

/// A Gitea, killed on drop.
pub struct Gitea {
    pub port: u16,
    /// The admin's API token (scopes: repository and user, write).
    pub token: String,
    _server: Running,
}

impl Gitea {
    /// Starts Gitea with its data under `dir/gitea`.
    pub fn start(dir: &Path) -> Result<Gitea> {
        let bin = gitea_binary();
        let home = bin.parent().unwrap_or(Path::new("."));
        let port = free_port()?;
        let work = dir.join("gitea");
        fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
        let ini = work.join("app.ini");
        let w = work.display();
        // Without the bindata tag Gitea reads its templates from the
        // release's source tree (scripts/test-servers.sh links it as src).
        let settings = format!(
            "APP_NAME = mlops demo\nRUN_MODE = prod\nWORK_PATH = {w}\nI_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true\n\
             [server]\nHTTP_ADDR = 127.0.0.1\nHTTP_PORT = {port}\nROOT_URL = http://127.0.0.1:{port}/\n\
             DISABLE_SSH = true\nOFFLINE_MODE = true\nLFS_START_SERVER = false\n\
             STATIC_ROOT_PATH = {src}\nAPP_DATA_PATH = {w}/data\n\
             [database]\nDB_TYPE = sqlite3\nPATH = {w}/gitea.db\n\
             [repository]\nROOT = {w}/repos\n\
             [security]\nINSTALL_LOCK = true\nSECRET_KEY = test-secret-key-0123456789\n\
             [service]\nDISABLE_REGISTRATION = true\n\
             [cron]\nENABLED = false\n\
             [log]\nMODE = file\nROOT_PATH = {w}/log\nLEVEL = Warn\n",
            src = home.join("src").display()
        );
        fs::write(&ini, settings).map_err(|e| format!("{}: {e}", ini.display()))?;
        let gitea = |args: &[&str]| {
            let mut cmd = Command::new(&bin);
            cmd.arg("--config")
                .arg(&ini)
                .arg("--work-path")
                .arg(&work)
                .args(args)
                .env("GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT", "true")
                .env("HOME", &work)
                .env("GITEA_WORK_DIR", &work)
                .current_dir(&work);
            cmd
        };
        super::run(&mut gitea(&["migrate"]))?;
        super::run(&mut gitea(&[
            "admin",
            "user",
            "create",
            "--admin",
            "--username",
            ADMIN,
            "--password",
            PASSWORD,
            "--email",
            "root@example.com",
            "--must-change-password=false",
        ]))?;
        let log = work.join("web.log");
        let mut server = super::spawn(&mut gitea(&["web"]), &log)?;
        let version = format!("http://127.0.0.1:{port}/api/v1/version");
        super::wait_until("gitea", &mut server, &log, Duration::from_secs(120), || {
            call("GET", &version, None, None, None).is_ok()
        })?;
        let basic = basic(ADMIN, PASSWORD);
        let token = call(
            "POST",
            &format!("http://127.0.0.1:{port}/api/v1/users/{ADMIN}/tokens"),
            None,
            Some(&basic),
            Some(&json!({"name": "mlops", "scopes": ["write:repository", "write:user"]})),
        )?;
        let token = token["sha1"]
            .as_str()
            .ok_or("gitea made no token")?
            .to_string();
        Ok(Gitea {
            port,
            token,
            _server: server,
        })
    }

    /// The API URL of `path` (`/repos/…`).
    pub fn api(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/api/v1{path}", self.port)
    }

    /// The clone URL of the admin's repository `name` (no secret in it).
    pub fn repo_url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{ADMIN}/{name}.git", self.port)
    }

    /// One API call with the admin's token: the answer's JSON (2xx).
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let auth = format!("token {}", self.token);
        call(method, &self.api(path), None, Some(&auth), body)
    }

    /// The bytes of `path` in the admin's repository `repo` at `commit`.
    pub fn raw(&self, repo: &str, path: &str, commit: &str) -> Result<Vec<u8>> {
        let url = self.api(&format!("/repos/{ADMIN}/{repo}/raw/{path}?ref={commit}"));
        let auth = format!("token {}", self.token);
        super::call_raw("GET", &url, None, Some(&auth), None)
    }

    /// An empty repository `name` of the admin, main as its default branch.
    pub fn create_repo(&self, name: &str, private: bool) -> Result<Value> {
        let ask = json!({"name": name, "private": private, "default_branch": "main"});
        self.call("POST", "/user/repos", Some(&ask))
    }

    /// Waits until Gitea no longer calls `name` empty: it takes a pushed
    /// branch in through its hooks.
    pub fn wait_filled(&self, name: &str) -> Result<()> {
        let start = Instant::now();
        while self.call("GET", &format!("/repos/{ADMIN}/{name}"), None)?["empty"] != false {
            if start.elapsed() > Duration::from_secs(60) {
                return Err(format!("gitea still calls {name} empty after 60 s"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }
}
