//! Publishing a commit: push without force, trusting only the remote's
//! per-ref report, and when someone else pushed first, rebuild on the new
//! tip and retry with jittered backoff, at most `--retries` times. Nothing
//! local moves until a push succeeded, so any failure leaves the checkout
//! as it was.

use std::time::Duration;

use git2::Oid;

use super::fail::{self, Failure, UNCHANGED_CHECKOUT};
use super::link;
use super::push::{self, ReceivePack, Report};
use super::session::{Listing, Session};
use super::transport::local;
use super::url::redact;
use super::{Target, Workspace};
use crate::git::error::{self, Error, Result};

/// What a successful push did.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The commit now at the tip of the remote branch.
    pub commit: Oid,
    /// `origin/main`-style name of the branch that moved.
    pub remote_branch: String,
    /// How many push attempts it took (1 when nobody else pushed first).
    pub attempts: u32,
    /// The branch did not exist on the remote and was created from this one.
    pub created_from: Option<String>,
    /// The remote's URL, userinfo redacted.
    pub url: String,
}

/// How one push attempt ended, short of success.
enum Refused {
    /// The remote moved under us: fetch, rebuild, retry.
    Stale(String),
    /// Anything else: give up now.
    Failed(Failure),
}

impl Workspace {
    /// Pushes `commit`; when the remote moved, `rebuild` composes the change
    /// again on the new base and returns the new commit (or `None` when the
    /// change is no longer needed).
    ///
    /// `rebuild` belongs to the caller and may fail in the caller's terms
    /// (`E`); the git layer's own errors convert into `E` on the way out.
    pub fn publish<E: From<Error>>(
        &mut self,
        commit: Oid,
        rebuild: &mut dyn FnMut(&Workspace) -> Result<Option<Oid>, E>,
    ) -> Result<Option<Pushed>, E> {
        let Some(mut target) = self.target.clone() else {
            return Err(error::repository("internal: publish before sync").into());
        };
        let session = Session::new(self);
        let max = self.options.retries.saturating_add(1);
        let mut commit = commit;
        let mut attempt = 1;
        let hooks = self.hooks();
        loop {
            // Everything the checkout update will rewrite must be clean
            // now, before anything is pushed.
            self.check_can_advance(commit)?;
            hooks.before_push(self, &target, commit)?;
            crate::interrupt::state(fail::while_pushing(self, &target, commit));
            match self.push_once(&session, &target, commit) {
                Ok(pushed_to) => {
                    crate::interrupt::state(fail::after_push(self, &target, commit));
                    self.step(|| format!("the remote accepted {commit:.10} for refs/heads/{} (attempt {attempt})", target.branch));
                    if self.head.is_some() {
                        self.track(&target);
                    }
                    let pushed = Pushed {
                        commit,
                        remote_branch: format!("{}/{}", target.remote, target.branch),
                        attempts: attempt,
                        created_from: target.from.clone(),
                        // The URL pushed to (a `pushurl`, `pushInsteadOf`).
                        url: redact(&pushed_to),
                    };
                    target.tip = Some(commit);
                    target.from = None;
                    self.target = Some(target);
                    return Ok(Some(pushed));
                }
                Err(Refused::Failed(failure)) => {
                    return Err(failure
                        .into_error(
                            &format!("could not push to {}/{}", target.remote, target.branch),
                            &self.state_after_failed_push(&target),
                        )
                        .into())
                }
                Err(Refused::Stale(why)) if attempt >= max => {
                    return Err(error::remote(format!(
                        "gave up after {attempt} attempt(s): {}/{} kept moving while mlops pushed ({why})",
                        target.remote, target.branch
                    ))
                    .advised(self.state_after_failed_push(&target))
                    .advised(format!(
                        "run the same command again (raise --retries, now {}), when fewer pushes happen at once",
                        self.options.retries
                    ))
                    .into());
                }
                Err(Refused::Stale(why)) => {
                    let wait = backoff(attempt);
                    self.step(|| format!(
                        "push rejected, the remote moved ({why}); fetching again in {} ms (attempt {} of {max})",
                        wait.as_millis(),
                        attempt + 1
                    ));
                    std::thread::sleep(wait);
                    attempt += 1;
                    let fallback = target.from.clone().unwrap_or_else(|| target.branch.clone());
                    let depth = if self.workdir.is_some() { 0 } else { 1 };
                    // A branch created meanwhile by someone else is now the base.
                    let mut choose = |listing: &Listing| -> Result<Option<String>> {
                        Ok(Some(match listing.tip(&target.branch) {
                            Some(_) => target.branch.clone(),
                            None => fallback.clone(),
                        }))
                    };
                    let relinked =
                        self.link_and_sync(&target.remote, &target.branch, Some(&fallback), depth)?;
                    let (from, tip) = match relinked {
                        Some((from, tip, _)) => (from, tip),
                        None => {
                            let (_, fetched) =
                                self.list_and_fetch(&session, &target.remote, depth, &mut choose)?;
                            let Some((from, tip)) = fetched else {
                                return Err(
                                    error::repository("internal: nothing was fetched").into()
                                );
                            };
                            (from, tip)
                        }
                    };
                    if from == target.branch {
                        target.tip = Some(tip);
                        target.from = None;
                    }
                    self.base = tip;
                    match rebuild(self)? {
                        Some(next) => commit = next,
                        None => {
                            self.step(|| {
                                format!("{tip:.10} already has the change: nothing to push")
                            });
                            return Ok(None);
                        }
                    }
                }
            }
        }
    }

    fn push_once(
        &mut self,
        session: &Session,
        target: &Target,
        commit: Oid,
    ) -> Result<String, Refused> {
        let named = self
            .repo
            .find_remote(&target.remote)
            .map_err(|e| Refused::Failed(Failure::from_git(&e)))?;
        let url = named
            .pushurl()
            .ok()
            .flatten()
            .or_else(|| named.url().ok())
            .unwrap_or("")
            .to_string();
        // The connection the branch was listed on, when it is recent.
        if let Some(mut link) = self.link.take().filter(|l| l.fresh() && l.url == url) {
            let (wire, session) = link.parts();
            return self
                .push_wire(wire, session, &url, target, commit)
                .map(|()| url);
        }
        let remote = local::anonymous(&self.repo, &url, self.workdir.as_deref())
            .map_err(|e| Refused::Failed(Failure::from_git(&e)))?
            .unwrap_or(named);
        let program = remote.url().unwrap_or(&url).to_string();
        drop(remote);
        let mut wire = link::receive_pack(&program, &url, Some(&target.remote), session)
            .map_err(|e| Refused::Failed(session.failure(&url, &e)))?;
        self.push_wire(&mut wire, session, &url, target, commit)
            .map(|()| url)
    }

    /// Pushes `commit` over mlops's own receive-pack conversation
    /// (src/git/push/: a program's, or smart HTTP), with a pack of what
    /// it adds.
    fn push_wire(
        &self,
        wire: &mut ReceivePack,
        session: &Session,
        url: &str,
        target: &Target,
        commit: Oid,
    ) -> Result<(), Refused> {
        let refname = format!("refs/heads/{}", target.branch);
        let old = wire
            .heads
            .iter()
            .find(|(name, _)| *name == refname)
            .map_or(Oid::ZERO_SHA1, |(_, oid)| *oid);
        // Without force, as libgit2 checks it: the remote's tip must be
        // in the commit's history, or the remote moved.
        if !old.is_zero() && old != commit {
            match self.repo.graph_descendant_of(commit, old) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(Refused::Stale(
                        "cannot push non-fastforwardable reference".into(),
                    ))
                }
                Err(_) => {
                    return Err(Refused::Stale(
                        "the remote's branch has commits that are not here".into(),
                    ))
                }
            }
        }
        let fail = |e: &git2::Error| Refused::Failed(session.failure(url, e));
        // What the commit adds to its parent, when the remote has the
        // parent (its tip, or the branch a new one starts from); else
        // libgit2's walk from everything the remote advertised.
        let parent = self
            .repo
            .find_commit(commit)
            .ok()
            .and_then(|c| c.parent_id(0).ok());
        let advertised = |oid: Oid| oid == old || wire.heads.iter().any(|(_, o)| *o == oid);
        let pack = match parent.filter(|p| advertised(*p)) {
            Some(_) => {
                // `no-thin`: every object whole, as `git send-pack` without --thin.
                let thin = wire.takes_thin();
                push::new_objects(&self.repo, commit)
                    .map(|o| o.into_iter().map(|(id, base)| (id, base.filter(|_| thin))))
                    .and_then(|o| push::thin_pack(&self.repo, &o.collect::<Vec<_>>()))
            }
            None => {
                let hidden: Vec<Oid> = wire.heads.iter().map(|(_, o)| *o).collect();
                push::pack_walk(&self.repo, commit, &hidden)
            }
        }
        .map_err(|e| fail(&e))?;
        if link::is_http(url) {
            self.step(|| "the pack goes over mlops's own smart-HTTP client (libcurl, with git's http.* settings)".into());
        }
        pushing(session, target, commit, url);
        let report = wire.push(old, commit, &refname, &pack, session);
        session.done();
        if report.is_ok() {
            session.worked();
        }
        match report.map_err(|e| fail(&e))? {
            Report::Updated => {
                local::track(&self.repo, &target.remote, &refname, commit);
                Ok(())
            }
            Report::Refused(message) if is_stale(&message) => Err(Refused::Stale(message)),
            Report::Refused(message) => {
                Err(Refused::Failed(Failure::Rejected { refname, message }))
            }
        }
    }

    /// Makes a branch created on the remote the local branch's upstream,
    /// so `git status` and `git pull` in the checkout know about it.
    fn track(&self, target: &Target) {
        if let Ok(mut branch) = self.repo.find_branch(&self.branch, git2::BranchType::Local) {
            if branch.upstream().is_err() {
                let _ = branch.set_upstream(Some(&format!("{}/{}", target.remote, target.branch)));
            }
        }
    }

    /// In words: the checkout is unchanged and where the remote is.
    fn state_after_failed_push(&self, target: &Target) -> String {
        let remote = match target.tip {
            Some(tip) => format!(
                "{}/{} is at {:.10} as far as mlops saw",
                target.remote,
                target.branch,
                tip.to_string()
            ),
            None => format!("{}/{} was not created", target.remote, target.branch),
        };
        let local = if self.temp.is_none() {
            UNCHANGED_CHECKOUT
        } else {
            "the temporary clone is removed"
        };
        format!("nothing of this change was pushed: {remote}; {local}")
    }
}

/// Says that the push of `commit` begins (a progress phase).
fn pushing(session: &Session, target: &Target, commit: Oid, url: &str) {
    session.phase(&format!(
        "Pushing {:.10} to {}/{} ({})",
        commit.to_string(),
        target.remote,
        target.branch,
        redact(url)
    ));
}

/// A rejection that a fetch and rebuild can fix: the remote's branch moved
/// between our fetch and our push.
fn is_stale(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "non-fast-forward",
        "fetch first",
        "failed to update ref",
        "cannot lock ref",
        "stale info",
        "failed to lock",
    ]
    .iter()
    .any(|s| m.contains(s))
}

/// 100 ms doubling per attempt up to 3.2 s, each with ±50 % jitter, so
/// racing pushers spread out instead of colliding again.
fn backoff(attempt: u32) -> Duration {
    let base = 100u64 << attempt.saturating_sub(1).min(5);
    Duration::from_millis(base / 2 + fastrand::u64(0..=base))
}
