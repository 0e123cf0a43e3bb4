//! Talking to the remote before a push: list, fetch, and the sync that
//! finds the tip a change is composed on (`publish.rs` pushes it).

use git2::{AutotagOption, Direction, FetchOptions, Oid, Remote};

use super::fail::UNCHANGED_CHECKOUT;
use super::link::{self, Link};
pub use super::publish::Pushed;
use super::push::http;
use super::session::{Listing, Session};
use super::transport::{self, local};
use super::url::redact;
use super::{Target, Workspace};
use crate::git::error::{self, Result};

impl Workspace {
    /// The remote called `remote`, or an error saying there is none.
    fn named_remote(&self, remote: &str) -> Result<Remote<'_>> {
        self.repo.find_remote(remote).map_err(|e| {
            error::remote(format!("there is no remote {remote:?} in this repository"))
                .caused_by(e)
                .advised("name one with --remote NAME, or add it: git remote add origin URL")
                .advised("or commit locally only, with --no-push")
        })
    }

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
        let named = self.named_remote(remote)?;
        let url = named.url().unwrap_or("").to_string();
        let fail = |e: &git2::Error, doing: String| {
            session
                .failure(&url, e)
                .into_error(&doing, self.unchanged())
        };
        let reach = || format!("could not reach {}", redact(&url));
        let mut handle = local::anonymous(&self.repo, &url, self.workdir.as_deref())
            .map_err(|e| fail(&e, reach()))?
            .unwrap_or(named);
        let mut conn = link::connect(&mut handle, session, &url, Direction::Fetch)
            .map_err(|e| fail(&e, reach()))?;
        let default = conn
            .default_branch()
            .ok()
            .and_then(|b| b.as_str().ok().map(str::to_string))
            .and_then(|b| b.strip_prefix("refs/heads/").map(str::to_string));
        let heads = conn
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
        // A local remote's objects are read in place (clone.rs): a shallow
        // fetch would copy them instead.
        if depth > 0 && local::path(&url).is_none() {
            opts.depth(depth);
        }
        session.phase(&format!("Fetching {branch} from {}", redact(&url)));
        let fetched = conn
            .remote()
            .fetch(&[&spec], Some(&mut opts), Some("mlops: fetch"));
        session.done();
        if fetched.is_ok() {
            session.worked();
        }
        fetched.map_err(|e| {
            fail(
                &e,
                format!("could not fetch {branch} from {}", redact(&url)),
            )
        })?;
        drop(conn);
        let tip = self.repo.refname_to_id(&tracking).map_err(|e| {
            error::remote(format!("{} has no branch {branch}", redact(&url))).caused_by(e)
        })?;
        Ok((listing, Some((branch, tip))))
    }

    /// Whether the base must be fetched before composing: always for a
    /// checkout that pushes, and for a review branch (`--branch` other
    /// than the checked-out one), which is composed on the remote's branch
    /// even for a dry run. A temporary clone fetched when it was made.
    pub fn needs_sync(&self, pushing: bool) -> bool {
        self.temp.is_none() && (pushing || self.head.is_none())
    }

    /// Fetches the branch's upstream and moves [`Workspace::base`] to its
    /// tip. Refuses when the local branch has commits the remote does not,
    /// rather than pushing someone's unrelated work along. `for_push`: see
    /// [`Workspace::fetch_upstream`].
    pub fn sync(&mut self, for_push: bool) -> Result<()> {
        let upstream = self.fetch_upstream(for_push)?;
        if let Some(head) = self.head {
            self.refuse_local_commits(head, self.base, &upstream)?;
        }
        Ok(())
    }

    /// Fetches the branch's upstream (`--remote`, else the branch's
    /// upstream remote, else `origin`; a branch the remote lacks is read
    /// from `--base`, else the remote's default branch) and moves
    /// [`Workspace::base`] to its tip. Returns `remote/branch` as fetched.
    /// `for_push`: the branch is listed through the push service and that
    /// connection kept for the push (link.rs); otherwise (a dry run,
    /// status) only read access is asked for.
    pub fn fetch_upstream(&mut self, for_push: bool) -> Result<String> {
        let (remote, branch) = match for_push {
            true => self.push_target()?,
            false => self.pushed_to(),
        };
        if for_push {
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
                return Ok(self.compose_on(remote, branch, from, tip, exists));
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
            return Err(error::repository("internal: nothing was fetched"));
        };
        Ok(self.compose_on(remote, branch, from, tip, exists))
    }

    /// The remote and branch a sync reads when it does not push (status,
    /// a dry run): `--remote`, else the branch's upstream remote, else
    /// `origin`.
    fn pushed_to(&self) -> (String, String) {
        match (&self.options.remote, self.upstream()) {
            (Some(r), Some((ur, ub))) if *r == ur => (r.clone(), ub),
            (Some(r), _) => (r.clone(), self.branch.clone()),
            (None, Some((ur, ub))) => (ur, ub),
            (None, None) => ("origin".to_string(), self.branch.clone()),
        }
    }

    /// Starts listing the push service of the remote a sync for a push
    /// will read: a path or SSH remote's program starts now, or the own
    /// HTTP client's first request goes out on a thread; the connection is
    /// made while the caller works on (the plan of a change), and the sync
    /// reads the advertisement. True when it was started (not through
    /// libgit2's HTTP client, which lists at the sync).
    pub fn start_listing(&mut self) -> bool {
        if !self.needs_sync(true) {
            return false;
        }
        let Ok((remote, _)) = self.push_target() else {
            return false;
        };
        let session = Session::new(self);
        match self.push_program(&remote) {
            Ok(Some(url)) => transport::start_receive_pack(&url),
            Ok(None) => match self.plain_push_url(&remote) {
                Ok(Some(url)) if link::is_http(&url) => http::start(&url, &remote, &session),
                _ => false,
            },
            Err(_) => false,
        }
    }

    /// `remote`'s URL when it is also its push URL (no `pushurl` of its
    /// own), else `None`.
    fn plain_push_url(&self, remote: &str) -> Result<Option<String>> {
        let named = self.named_remote(remote)?;
        let url = named.url().unwrap_or("").to_string();
        let separate = named.pushurl().ok().flatten().is_some_and(|p| p != url);
        Ok((!separate).then_some(url))
    }

    /// The URL of `remote`'s push service as its program is given it (a
    /// path made a `file://` URL), when one program serves it (no
    /// separate push URL) and it is a path or SSH.
    pub(super) fn push_program(&self, remote: &str) -> Result<Option<String>> {
        let Some(url) = self.plain_push_url(remote)? else {
            return Ok(None);
        };
        let target = match local::anonymous(&self.repo, &url, self.workdir.as_deref()) {
            Ok(Some(anonymous)) => anonymous.url().unwrap_or(&url).to_string(),
            _ => url,
        };
        Ok(transport::is_program(&target).then_some(target))
    }

    /// The change is composed on `tip` (of `remote`/`from`) and pushed to
    /// `remote`/`branch` (which exists there or will be created from
    /// `from`); returns `remote/from`.
    fn compose_on(
        &mut self,
        remote: String,
        branch: String,
        from: String,
        tip: Oid,
        exists: bool,
    ) -> String {
        self.step(|| format!("{remote}/{from} is at {tip:.10}; the change is composed on it"));
        self.base = tip;
        let upstream = format!("{remote}/{from}");
        self.target = Some(Target {
            url: self.remote_url(&remote),
            remote,
            branch,
            tip: exists.then_some(tip),
            from: (!exists).then_some(from),
        });
        upstream
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
    pub(super) fn link_and_sync(
        &mut self,
        remote: &str,
        branch: &str,
        fallback: Option<&str>,
        depth: i32,
    ) -> Result<Option<(String, Oid, bool)>> {
        self.link = None;
        let named = self.named_remote(remote)?;
        let url = named.url().unwrap_or("").to_string();
        if named.pushurl().ok().flatten().is_some_and(|p| p != url) {
            return Ok(None);
        }
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
        let target = handle.url().unwrap_or(&url).to_string();
        drop(handle);
        let opened = Link::open(&target, Some(remote), session, &url);
        let mut link = match opened {
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
            transport::leave_upload_pack();
            self.repo
                .reference(&tracking, advertised, true, "mlops: listed on the remote")
                .map_err(|e| {
                    error::repository(format!("could not update {tracking}")).caused_by(e)
                })?;
            advertised
        } else if let Some(tip) = (depth == 0)
            .then(|| self.fetch_tip(&mut link, remote, &from, advertised))
            .flatten()
        {
            tip
        } else {
            let wanted = from.clone();
            let (_, fetched) =
                self.list_and_fetch(link.session(), remote, depth, &mut |_: &Listing| {
                    Ok(Some(wanted.clone()))
                })?;
            match fetched {
                Some((_, tip)) => tip,
                None => return Err(error::repository("internal: nothing was fetched")),
            }
        };
        self.link = Some(link);
        Ok(Some((from, tip, exists)))
    }

    fn refuse_local_commits(&self, head: Oid, tip: Oid, upstream: &str) -> Result<()> {
        let (ahead, _) = self.repo.graph_ahead_behind(head, tip).map_err(|e| {
            error::repository("could not compare the branch with the remote").caused_by(e)
        })?;
        if ahead == 0 {
            return Ok(());
        }
        let subject = self
            .repo
            .find_commit(head)
            .ok()
            .and_then(|c| c.summary().ok().flatten().map(str::to_string))
            .unwrap_or_default();
        Err(error::checkout(format!(
            "the local branch {} has {ahead} commit(s) that are not on {upstream} (newest: {:.10} {subject:?}); mlops pushes only its own change and will not push them along",
            self.branch, head.to_string()
        ))
        .advised(format!("nothing was changed: {UNCHANGED_CHECKOUT}, {upstream} is as it was"))
        .advised(format!("push them first (git push), or set them aside (git switch -c my-work; git switch {}; git reset --keep {upstream}), then run mlops again", self.branch))
        .advised("or commit locally only, with --no-push"))
    }
}
