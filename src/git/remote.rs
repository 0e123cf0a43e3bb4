//! Talking to the remote: list, fetch, push, and the retry loop.
//!
//! The sequence (issue 3): fetch the branch's tip, compose the commit on
//! it in the object database, push without force. A push is only trusted
//! when the remote reported our ref as updated (`push_update_reference`),
//! not because `push()` returned Ok. When someone else pushed first, the
//! change is rebuilt on the new tip and pushed again, with jittered backoff,
//! at most `--retries` times. Nothing local moves until a push succeeded, so
//! any failure leaves the checkout as it was.

use std::time::Duration;

use git2::{
    AutotagOption, Direction, ErrorCode, FetchOptions, Oid, PushOptions, Remote, RemoteRedirect,
};

use super::fail::{Failure, UNCHANGED_CHECKOUT};
use super::link::{self, Link, Parts};
use super::push::{self, ReceivePack, Report};
use super::session::{Listing, Session};
use super::transport;
use super::transport::local;
use super::url::redact;
use super::{Target, Workspace};
use crate::error::{self, Result};

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
    /// The remote's URL (after `url.<base>.insteadOf`), redacted.
    pub(crate) fn remote_url(&self, remote: &str) -> String {
        self.repo
            .find_remote(remote)
            .ok()
            .and_then(|r| r.url().ok().map(redact))
            .unwrap_or_else(|| remote.to_string())
    }

    /// "Nothing changed" in this workspace's terms.
    pub(crate) fn unchanged(&self) -> &'static str {
        if self.temp.is_none() {
            UNCHANGED_CHECKOUT
        } else {
            "nothing was changed (the temporary clone is removed)"
        }
    }

    /// Lists the remote's branches and, when `choose` names one, fetches it
    /// into `refs/remotes/<remote>/<branch>` over the same connection: one
    /// TLS or SSH handshake instead of two. `depth` 1 for the temporary
    /// clone, 0 (everything) otherwise. Returns the listing and, when a
    /// branch was fetched, its name and tip.
    pub(crate) fn list_and_fetch(
        &self,
        session: &Session,
        remote: &str,
        depth: i32,
        choose: &mut dyn FnMut(&Listing) -> Result<Option<String>>,
    ) -> Result<(Listing, Option<(String, Oid)>)> {
        let named = self.repo.find_remote(remote).map_err(|e| {
            error::git(format!("there is no remote {remote:?} in this repository"))
                .caused_by(e)
                .hinted("name one with --remote NAME, or add it: git remote add origin URL")
                .hinted("or commit locally only, with --no-push")
        })?;
        let url = named.url().unwrap_or("").to_string();
        let fail = |e: &git2::Error, doing: String| {
            session
                .failure(&url, e)
                .into_error(&doing, self.unchanged())
        };
        super::tls::prepare(&url);
        let reach = || format!("could not reach {}", redact(&url));
        let mut handle = local::anonymous(&self.repo, &url, self.workdir.as_deref())
            .map_err(|e| fail(&e, reach()))?
            .unwrap_or(named);
        let conn = link::connect(&mut handle, session, &url, Direction::Fetch)
            .map_err(|e| fail(&e, reach()))?;
        let default = conn
            .remote
            .default_branch()
            .ok()
            .and_then(|b| b.as_str().ok().map(str::to_string))
            .and_then(|b| b.strip_prefix("refs/heads/").map(str::to_string));
        let heads = conn
            .remote
            .list()
            .map_err(|e| fail(&e, reach()))?
            .iter()
            .filter(|h| h.name().starts_with("refs/heads/"))
            .map(|h| (h.name().to_string(), h.oid()))
            .collect();
        let listing = Listing { heads, default };
        let Some(branch) = choose(&listing)? else {
            return Ok((listing, None));
        };
        let tracking = format!("refs/remotes/{remote}/{branch}");
        let spec = format!("+refs/heads/{branch}:{tracking}");
        let mut opts = FetchOptions::new();
        opts.remote_callbacks(session.callbacks())
            .download_tags(AutotagOption::None)
            .update_fetchhead(false);
        if !conn.headers.is_empty() {
            let headers: Vec<&str> = conn.headers.iter().map(String::as_str).collect();
            opts.custom_headers(&headers)
                .follow_redirects(RemoteRedirect::None);
        }
        // A local remote's objects are read in place (clone.rs): a shallow
        // fetch would copy them instead.
        if depth > 0 && local::path(&url).is_none() {
            opts.depth(depth);
        }
        session.phase(&format!("Fetching {branch} from {}", redact(&url)));
        let fetched = conn
            .remote
            .fetch(&[&spec], Some(&mut opts), Some("mlops: fetch"));
        session.done();
        fetched.map_err(|e| {
            fail(
                &e,
                format!("could not fetch {branch} from {}", redact(&url)),
            )
        })?;
        drop(conn);
        let tip = self.repo.refname_to_id(&tracking).map_err(|e| {
            error::git(format!("{} has no branch {branch}", redact(&url))).caused_by(e)
        })?;
        Ok((listing, Some((branch, tip))))
    }

    /// Whether the base must be fetched before composing: always for a
    /// checkout that pushes, and for a review branch (`--branch` other
    /// than the checked-out one), which is composed on the remote's branch
    /// even for a dry run. A temporary clone fetched when it was made.
    pub fn needs_sync(&self, pushing: bool) -> bool {
        // A sync for a push lists the branch through the push service
        // and keeps that connection for the push (link.rs); a dry run
        // asks only for read access.
        self.pushing.set(pushing);
        self.temp.is_none() && (pushing || self.head.is_none())
    }

    /// Fetches the branch's upstream and moves [`Workspace::base`] to its
    /// tip. Refuses when the local branch has commits the remote does not,
    /// rather than pushing someone's unrelated work along.
    pub fn sync(&mut self) -> Result<()> {
        let upstream = self.fetch_upstream()?;
        if let Some(head) = self.head {
            self.refuse_local_commits(head, self.base, &upstream)?;
        }
        Ok(())
    }

    /// Fetches the branch's upstream (`--remote`, else the branch's
    /// upstream remote, else `origin`; a branch the remote lacks is read
    /// from `--base`, else the remote's default branch) and moves
    /// [`Workspace::base`] to its tip. Returns `remote/branch` as fetched.
    pub fn fetch_upstream(&mut self) -> Result<String> {
        let (remote, branch) = match (&self.options.remote, self.upstream()) {
            (Some(r), Some((ur, ub))) if *r == ur => (r.clone(), ub),
            (Some(r), _) => (r.clone(), self.branch.clone()),
            (None, Some((ur, ub))) => (ur, ub),
            (None, None) => ("origin".to_string(), self.branch.clone()),
        };
        if self.pushing.get() {
            let base = self.options.base.clone();
            if let Some((from, tip, exists)) =
                self.link_and_sync(&remote, &branch, base.as_deref(), 0)?
            {
                self.step(|| match exists {
                    true => format!("remote {remote} has {branch} at {tip:.10}"),
                    false => format!(
                        "remote {remote} has no branch {branch}: it will be created from {from}"
                    ),
                });
                self.step(|| {
                    format!("{remote}/{from} is at {tip:.10}; the change is composed on it")
                });
                self.base = tip;
                self.target = Some(Target {
                    url: self.remote_url(&remote),
                    remote: remote.clone(),
                    branch,
                    tip: exists.then_some(tip),
                    from: (!exists).then_some(from.clone()),
                });
                return Ok(format!("{remote}/{from}"));
            }
        }
        let session = Session::new(self);
        let mut exists = false;
        let mut choose = |listing: &Listing| -> Result<Option<String>> {
            exists = listing.tip(&branch).is_some();
            let from = if exists {
                branch.clone()
            } else {
                self.options
                    .base
                    .clone()
                    .or(listing.default.clone())
                    .unwrap_or_else(|| "main".to_string())
            };
            self.step(|| match exists {
                true => format!("remote {remote} has {branch}; fetching it"),
                false => {
                    format!(
                        "remote {remote} has no branch {branch}: it will be created from {from}"
                    )
                }
            });
            Ok(Some(from))
        };
        let (_, fetched) = self.list_and_fetch(&session, &remote, 0, &mut choose)?;
        let Some((from, tip)) = fetched else {
            return Err(error::git("internal: nothing was fetched"));
        };
        self.step(|| format!("{remote}/{from} is at {tip:.10}; the change is composed on it"));
        self.base = tip;
        self.target = Some(Target {
            url: self.remote_url(&remote),
            remote: remote.clone(),
            branch,
            tip: exists.then_some(tip),
            from: (!exists).then_some(from.clone()),
        });
        Ok(format!("{remote}/{from}"))
    }

    /// Lists `branch` through the push service and keeps the connection
    /// for the push ([`Link`]); the change is composed on the advertised
    /// tip, the one the push is checked against. Fetches (over another
    /// connection) only when the repository lacks that commit; otherwise
    /// the remote-tracking ref is moved to it, as a fetch would have.
    /// When `branch` is not on the remote, it is created from `fallback`.
    /// Returns the branch composed on, its tip, and whether `branch`
    /// exists; `None` when this way can't decide (no `fallback` for a new
    /// branch: the remote's default branch is only in the fetch service's
    /// listing; or a separate push URL), and the caller lists and fetches
    /// as before.
    fn link_and_sync(
        &mut self,
        remote: &str,
        branch: &str,
        fallback: Option<&str>,
        depth: i32,
    ) -> Result<Option<(String, Oid, bool)>> {
        self.link = None;
        let named = self.repo.find_remote(remote).map_err(|e| {
            error::git(format!("there is no remote {remote:?} in this repository"))
                .caused_by(e)
                .hinted("name one with --remote NAME, or add it: git remote add origin URL")
                .hinted("or commit locally only, with --no-push")
        })?;
        let url = named.url().unwrap_or("").to_string();
        if named.pushurl().ok().flatten().is_some_and(|p| p != url) {
            return Ok(None);
        }
        super::tls::prepare(&url);
        let session = Session::new(self);
        let reach = || format!("could not reach {}", redact(&url));
        let handle: Remote<'_> = match local::anonymous(&self.repo, &url, self.workdir.as_deref()) {
            Ok(anonymous) => anonymous.unwrap_or(named),
            Err(e) => {
                return Err(session
                    .failure(&url, &e)
                    .into_error(&reach(), self.unchanged()))
            }
        };
        // SAFETY: the link is kept in `self.link`, which the workspace
        // drops before its repository.
        let opened = unsafe { Link::open(handle, session, &url) };
        let link = match opened {
            Ok(link) => link,
            Err((e, session)) => {
                return Err(session
                    .failure(&url, &e)
                    .into_error(&reach(), self.unchanged()))
            }
        };
        let exists = link.tip(branch).is_some();
        let from = match (exists, fallback) {
            (true, _) => branch.to_string(),
            (false, Some(fallback)) => fallback.to_string(),
            (false, None) => return Ok(None),
        };
        let Some(advertised) = link.tip(&from) else {
            return Ok(None);
        };
        let tracking = format!("refs/remotes/{remote}/{from}");
        let tip = if self.repo.find_commit(advertised).is_ok() {
            self.step(|| format!("{advertised:.10} is here already: nothing to fetch"));
            self.repo
                .reference(&tracking, advertised, true, "mlops: listed on the remote")
                .map_err(|e| error::git(format!("could not update {tracking}")).caused_by(e))?;
            advertised
        } else {
            let wanted = from.clone();
            let (_, fetched) =
                self.list_and_fetch(link.session(), remote, depth, &mut |_: &Listing| {
                    Ok(Some(wanted.clone()))
                })?;
            match fetched {
                Some((_, tip)) => tip,
                None => return Err(error::git("internal: nothing was fetched")),
            }
        };
        self.link = Some(link);
        Ok(Some((from, tip, exists)))
    }

    fn refuse_local_commits(&self, head: Oid, tip: Oid, upstream: &str) -> Result<()> {
        let (ahead, _) = self
            .repo
            .graph_ahead_behind(head, tip)
            .map_err(|e| error::git("could not compare the branch with the remote").caused_by(e))?;
        if ahead == 0 {
            return Ok(());
        }
        let subject = self
            .repo
            .find_commit(head)
            .ok()
            .and_then(|c| c.summary().ok().flatten().map(str::to_string))
            .unwrap_or_default();
        Err(error::failure(format!(
            "the local branch {} has {ahead} commit(s) that are not on {upstream} (newest: {:.10} {subject:?}); mlops pushes only its own change and will not push them along",
            self.branch, head.to_string()
        ))
        .hinted(format!("nothing was changed: {UNCHANGED_CHECKOUT}, {upstream} is as it was"))
        .hinted(format!("push them first (git push), or set them aside (git switch -c my-work; git switch {}; git reset --keep {upstream}), then run mlops again", self.branch))
        .hinted("or commit locally only, with --no-push"))
    }

    /// Pushes `commit`; when the remote moved, `rebuild` composes the change
    /// again on the new base and returns the new commit (or `None` when the
    /// change is no longer needed).
    pub fn publish(
        &mut self,
        commit: Oid,
        rebuild: &mut dyn FnMut(&Workspace) -> Result<Option<Oid>>,
    ) -> Result<Option<Pushed>> {
        let Some(mut target) = self.target.clone() else {
            return Err(error::git("internal: publish before sync"));
        };
        let session = Session::new(self);
        let max = self.options.retries.saturating_add(1);
        let mut commit = commit;
        let mut attempt = 1;
        loop {
            // Everything the checkout update will rewrite must be clean
            // now, before anything is pushed.
            self.check_can_advance(commit)?;
            match self.push_once(&session, &target, commit) {
                Ok(()) => {
                    self.step(|| format!("the remote accepted {commit:.10} for refs/heads/{} (attempt {attempt})", target.branch));
                    if self.head.is_some() {
                        self.track(&target);
                    }
                    let pushed = Pushed {
                        commit,
                        remote_branch: format!("{}/{}", target.remote, target.branch),
                        attempts: attempt,
                        created_from: target.from.clone(),
                        url: target.url.clone(),
                    };
                    target.tip = Some(commit);
                    target.from = None;
                    self.target = Some(target);
                    return Ok(Some(pushed));
                }
                Err(Refused::Failed(failure)) => {
                    return Err(failure.into_error(
                        &format!("could not push to {}/{}", target.remote, target.branch),
                        &self.state_after_failed_push(&target),
                    ))
                }
                Err(Refused::Stale(why)) if attempt >= max => {
                    return Err(error::git(format!(
                        "gave up after {attempt} attempt(s): {}/{} kept moving while mlops pushed ({why})",
                        target.remote, target.branch
                    ))
                    .hinted(self.state_after_failed_push(&target))
                    .hinted(format!(
                        "run the same command again (raise --retries, now {}), when fewer pushes happen at once",
                        self.options.retries
                    )));
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
                    let relinked = match self.pushing.get() {
                        true => self.link_and_sync(
                            &target.remote,
                            &target.branch,
                            Some(&fallback),
                            depth,
                        )?,
                        false => None,
                    };
                    let (from, tip) = match relinked {
                        Some((from, tip, _)) => (from, tip),
                        None => {
                            let (_, fetched) =
                                self.list_and_fetch(&session, &target.remote, depth, &mut choose)?;
                            let Some((from, tip)) = fetched else {
                                return Err(error::git("internal: nothing was fetched"));
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
    ) -> Result<(), Refused> {
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
            let headers = link.headers.clone();
            return match link.parts() {
                (Parts::Git2(remote), session) => {
                    self.push_on(remote, session, Some(headers), &url, target, commit)
                }
                (Parts::Wire(wire), session) => self.push_wire(wire, session, &url, target, commit),
            };
        }
        let mut remote = local::anonymous(&self.repo, &url, self.workdir.as_deref())
            .map_err(|e| Refused::Failed(Failure::from_git(&e)))?
            .unwrap_or(named);
        let program = remote.url().unwrap_or(&url).to_string();
        if transport::is_program(&program) {
            drop(remote);
            let mut wire = ReceivePack::open(&program)
                .map_err(|e| Refused::Failed(session.failure(&url, &e)))?;
            return self.push_wire(&mut wire, session, &url, target, commit);
        }
        self.push_on(&mut remote, session, None, &url, target, commit)
    }

    /// Pushes `commit` over mlops's own receive-pack conversation
    /// (src/git/push.rs), with a pack of what it adds.
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
                push::new_objects(&self.repo, commit).and_then(|o| push::thin_pack(&self.repo, &o))
            }
            None => {
                let hidden: Vec<Oid> = wire.heads.iter().map(|(_, o)| *o).collect();
                push::pack_walk(&self.repo, commit, &hidden)
            }
        }
        .map_err(|e| fail(&e))?;
        session.phase(&format!(
            "Pushing {:.10} to {}/{} ({})",
            commit.to_string(),
            target.remote,
            target.branch,
            redact(url)
        ));
        let report = wire.push(old, commit, &refname, &pack, &mut |data| {
            session.remote_said(data)
        });
        session.done();
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

    /// Pushes `commit` over `remote` (connected already, or not).
    /// `headers`: those the connection was made with; `None` to send the
    /// credentials known ahead ([`Session::headers_ahead`]).
    fn push_on(
        &self,
        remote: &mut Remote<'_>,
        session: &Session,
        headers: Option<Vec<String>>,
        url: &str,
        target: &Target,
        commit: Oid,
    ) -> Result<(), Refused> {
        let refname = format!("refs/heads/{}", target.branch);
        let spec = format!("{commit}:{refname}");
        session.updates.borrow_mut().clear();
        let mut opts = PushOptions::new();
        session.aim(url);
        opts.remote_callbacks(session.callbacks());
        let headers = headers.unwrap_or_else(|| session.headers_ahead(url));
        if !headers.is_empty() {
            let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
            opts.custom_headers(&headers)
                .follow_redirects(RemoteRedirect::None);
        }
        session.phase(&format!(
            "Pushing {:.10} to {}/{} ({})",
            commit.to_string(),
            target.remote,
            target.branch,
            redact(url)
        ));
        super::tls::prepare(url);
        let result = remote.push(&[&spec], Some(&mut opts));
        session.done();
        if let Err(e) = result {
            return Err(match e.code() {
                ErrorCode::NotFastForward
                | ErrorCode::Modified
                | ErrorCode::Locked
                | ErrorCode::Exists => Refused::Stale(e.message().to_string()),
                _ => Refused::Failed(session.failure(url, &e)),
            });
        }
        let updates = session.updates.borrow();
        match updates.iter().find(|(name, _)| *name == refname) {
            Some((_, Some(message))) if is_stale(message) => Err(Refused::Stale(message.clone())),
            Some((_, Some(message))) => Err(Refused::Failed(Failure::Rejected {
                refname,
                message: message.clone(),
            })),
            _ => {
                if matches!(remote.name(), Ok(None)) {
                    local::track(&self.repo, &target.remote, &refname, commit);
                }
                Ok(())
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
