//! The fetch a checkout behind its remote makes after the push listing:
//! mlops's own one-request fetch of the branch's tip ([`super::upload`])
//! where it can, libgit2's otherwise.

use git2::Oid;

use super::session::Session;
use super::transport;
use super::upload;
use super::url::redact;
use super::Workspace;

impl Workspace {
    /// Fetches `refs/heads/{branch}` of `remote` (reached through the
    /// program at `url`: a path or SSH) in one request, moves
    /// `refs/remotes/{remote}/{branch}` to it as a fetch would, and returns
    /// the tip the remote's fetch service advertised. `None` when this way
    /// does not apply (a shallow repository, a remote that can't send a
    /// side band) or failed before anything was stored: the caller fetches
    /// through libgit2 then, which reports any failure in its words.
    pub(super) fn fetch_tip(
        &self,
        session: &Session,
        remote: &str,
        url: &str,
        branch: &str,
    ) -> Option<Oid> {
        if self.repo.is_shallow() {
            return None;
        }
        let tracking = format!("refs/remotes/{remote}/{branch}");
        let mut conversation = transport::upload_pack(url).ok()?;
        let (heads, offered) = upload::read_advertisement(&mut conversation).ok()?;
        let name = format!("refs/heads/{branch}");
        let tip = heads.iter().find(|(n, _)| *n == name).map(|(_, o)| *o)?;
        let capabilities = upload::capabilities(&offered)?;
        let known: Vec<Oid> = self.repo.refname_to_id(&tracking).into_iter().collect();
        let haves = upload::haves(&self.repo, &known);
        session.phase(&format!("Fetching {branch} from {}", redact(url)));
        let request = upload::request(tip, &haves, &capabilities);
        let sent = std::io::Write::write_all(&mut conversation, &request)
            .and_then(|()| std::io::Write::flush(&mut conversation));
        let received = sent.ok().and_then(|()| {
            upload::receive(&self.repo, &mut conversation, &mut |d| {
                session.remote_said(d)
            })
            .ok()
        });
        session.done();
        let bytes = received?;
        self.repo
            .reference(&tracking, tip, true, "mlops: fetch")
            .ok()?;
        self.step(|| format!("fetched {tip:.10} in one request ({bytes} bytes of pack)"));
        Some(tip)
    }
}
