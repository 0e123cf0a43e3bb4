//! The repository's hooks, found and run as git 2.39 finds and runs them
//! (`git commit`, `git push`): in `core.hooksPath` (relative to the work
//! tree's top, where hooks run) or else the common git folder's `hooks/`
//! (for a linked worktree, the main repository's), a file that is not
//! executable ignored with git's hint, no stdin unless the hook takes
//! lines (pre-push), the hook's stdout and stderr both shown on stderr as
//! they come (control characters masked), cwd the work tree's top, and
//! `GIT_DIR` set where git sets it (a linked worktree, a `.git` file).
//!
//! Which hook runs when, and on what, is in [`commit`]: `pre-commit`,
//! `prepare-commit-msg`, `commit-msg`, `post-commit` and `pre-push`.
//! `git hook run` is not used: in 2.39 it cannot feed a hook's stdin
//! (pre-push needs it), so git's lookup, environment and arguments are
//! reproduced here, and tested beside git.

mod commit;
mod output;

use std::ffi::{CString, OsString};
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use git2::Repository;

use super::Workspace;
use crate::git::error::{self, Error, Result};

/// `core.hooksPath` as git reads it (`~` expanded), `None` when unset or
/// empty. The one place the setting is read, so another configuration
/// reader can take its place.
pub(crate) fn configured_hooks_path(repo: &Repository) -> Option<PathBuf> {
    let path = super::config::of(repo).path("core.hooksPath")?;
    (!path.as_os_str().is_empty()).then_some(path)
}

/// Whether git's hint about an ignored hook is wanted
/// (`advice.ignoredHook`, true unless set false).
fn advice_ignored_hook(repo: &Repository) -> bool {
    super::config::of(repo)
        .bool("advice.ignoredHook")
        .unwrap_or(true)
}

/// The hooks of one repository, and how they are run.
pub(crate) struct Hooks {
    /// Where hooks are looked up, and how git names that folder in its
    /// hint; `None`: no hook runs (a temporary clone has git's samples
    /// only, which are not hooks).
    dir: Option<(PathBuf, String)>,
    /// The work tree's top: the hooks' cwd.
    top: PathBuf,
    /// The git folder (for a linked worktree, its own).
    git_dir: PathBuf,
    /// The git folder is `<top>/.git`: git names paths in it `.git/…`
    /// and sets no `GIT_DIR`.
    plain: bool,
    /// Not `--no-verify`: pre-commit, commit-msg and pre-push run.
    verify: bool,
    advice: bool,
    /// Shows what hooks print, and git's hint.
    renderer: super::progress::Renderer,
}

impl Workspace {
    /// The hooks that run for this workspace's commit and push: the
    /// repository's in a checkout (also for a review branch composed
    /// without touching it), none in a temporary clone.
    pub(crate) fn hooks(&self) -> Hooks {
        let repo = &self.repo;
        let git_dir = trimmed(repo.path());
        let top = repo
            .workdir()
            .map(trimmed)
            .unwrap_or_else(|| git_dir.clone());
        let plain = same_file(&git_dir, &top.join(".git"));
        let dir = match (self.temp.is_some(), configured_hooks_path(repo)) {
            (true, _) => None,
            (false, Some(path)) => Some((top.join(&path), path.display().to_string())),
            (false, None) => {
                let dir = trimmed(repo.commondir()).join("hooks");
                let shown = match plain {
                    true => ".git/hooks".to_string(),
                    false => dir.display().to_string(),
                };
                Some((dir, shown))
            }
        };
        Hooks {
            dir,
            top,
            git_dir,
            plain,
            verify: !self.options.no_verify,
            advice: advice_ignored_hook(repo),
            renderer: self.options.renderer,
        }
    }
}

/// A hook that was found, ready to run.
struct Hook {
    name: &'static str,
    path: PathBuf,
}

impl Hooks {
    /// `name`'s file when it is there and executable; one that is there
    /// but not executable is ignored with git's hint (once per name).
    fn find(&self, name: &'static str) -> Option<Hook> {
        let (dir, shown) = self.dir.as_ref()?;
        let path = dir.join(name);
        let c_path = CString::new(path.as_os_str().as_bytes()).ok()?;
        // SAFETY: a valid NUL-terminated path; access(2) only reads it.
        if unsafe { libc::access(c_path.as_ptr(), libc::X_OK) } == 0 {
            return Some(Hook { name, path });
        }
        let denied = std::io::Error::last_os_error().raw_os_error() == Some(libc::EACCES);
        if denied && self.advice {
            // git hints once per hook name.
            let hinted = &super::run::run().hinted_hooks;
            let mut hinted = hinted.lock().unwrap_or_else(|e| e.into_inner());
            if !hinted.iter().any(|h| h == name) {
                hinted.push(name.to_string());
                let hint = format!(
                    "hint: The '{shown}/{name}' hook was ignored because it's not set as executable.\n\
                     hint: You can disable this warning with `git config advice.ignoredHook false`."
                );
                self.renderer
                    .start(false)
                    .event(super::progress::Event::Said(&hint));
            }
        }
        None
    }

    /// [`Hooks::find`] for a hook `--no-verify` skips: not even looked
    /// up then (no hint), as with git.
    fn find_verified(&self, name: &'static str) -> Option<Hook> {
        self.verify.then(|| self.find(name)).flatten()
    }

    /// A path in the git folder as git gives it to hooks: `.git/NAME`
    /// beside the work tree, else absolute.
    fn in_git_dir(&self, name: &str) -> PathBuf {
        match self.plain {
            true => Path::new(".git").join(name),
            false => self.git_dir.join(name),
        }
    }

    /// Runs `hook` with `args`, `env` on top of git's own variables and
    /// `stdin` (else none), showing what it prints. Returns how it ended:
    /// `Ok(())` when it exited 0, else the words for an error.
    fn run(
        &self,
        hook: &Hook,
        args: &[&str],
        env: &[(&str, OsString)],
        stdin: Option<&[u8]>,
    ) -> Result<(), String> {
        let (reader, writer) = output::pipe().map_err(|e| e.to_string())?;
        let spawned = self.command(hook, args, env, stdin.is_some(), &writer, false);
        // A script without `#!` is run by sh, as git runs it.
        let spawned = match spawned {
            Err(e) if e.raw_os_error() == Some(libc::ENOEXEC) => {
                self.command(hook, args, env, stdin.is_some(), &writer, true)
            }
            other => other,
        };
        // The pipe's writing end must close here, so that the reader sees
        // the end once the hook's copies close.
        drop(writer);
        let mut child = spawned.map_err(|e| format!("cannot run {}: {e}", hook.path.display()))?;
        let feeder = match (child.stdin.take(), stdin) {
            (Some(mut pipe), Some(bytes)) => {
                let bytes = bytes.to_vec();
                // A hook that does not read its lines is no error (git
                // ignores the broken pipe too).
                Some(std::thread::spawn(move || {
                    let _ = pipe.write_all(&bytes);
                }))
            }
            _ => None,
        };
        let mut shown = self.renderer.start(false);
        let status = output::show(reader, &mut child, &mut *shown).map_err(|e| e.to_string());
        if let Some(feeder) = feeder {
            let _ = feeder.join();
        }
        let status = status?;
        match status.code() {
            Some(0) => Ok(()),
            Some(code) => Err(format!("exit status {code}")),
            None => Err(format!("{status}")),
        }
    }

    /// Starts `hook` (through `sh` when `shell`) with its output going to
    /// `out`.
    fn command(
        &self,
        hook: &Hook,
        args: &[&str],
        env: &[(&str, OsString)],
        stdin: bool,
        out: &OwnedFd,
        shell: bool,
    ) -> std::io::Result<std::process::Child> {
        let mut cmd = match shell {
            true => {
                let mut sh = Command::new("/bin/sh");
                sh.arg(&hook.path);
                sh
            }
            false => Command::new(&hook.path),
        };
        cmd.args(args)
            .current_dir(&self.top)
            .env("GIT_PREFIX", prefix(&self.top))
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(out.try_clone()?)
            .stderr(out.try_clone()?);
        if !self.plain {
            cmd.env("GIT_DIR", &self.git_dir);
        }
        for (key, value) in env {
            cmd.env(key, value);
        }
        cmd.spawn()
    }

    /// The error for a hook that refused ([`error::Kind::Hook`]), with what
    /// did not happen.
    fn refused(&self, hook: &Hook, what: &str, how: String, state: &str) -> Error {
        error::hook(format!("the {} hook refused {what} ({how})", hook.name))
            .advised(state.to_string())
            .advised(format!(
                "the hook is {}; what it printed is above. --no-verify skips pre-commit, commit-msg and pre-push, as with git",
                hook.path.display()
            ))
    }
}

/// The current folder below the work tree's top, with a trailing `/`
/// (git's `GIT_PREFIX`); empty at the top or outside it.
fn prefix(top: &Path) -> OsString {
    let here = std::env::current_dir()
        .ok()
        .and_then(|d| d.canonicalize().ok());
    let top = top.canonicalize().unwrap_or_else(|_| top.to_path_buf());
    match here.as_deref().and_then(|h| h.strip_prefix(&top).ok()) {
        Some(rest) if !rest.as_os_str().is_empty() => {
            let mut p = rest.as_os_str().to_os_string();
            p.push("/");
            p
        }
        _ => OsString::new(),
    }
}

/// `path` without the trailing `/` libgit2 gives folders.
fn trimmed(path: &Path) -> PathBuf {
    path.components().collect()
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
