//! The fetch a checkout behind its remote makes after the push listing:
//! mlops's own one-request fetch of the branch's tip ([`super::upload`])
//! where it can, libgit2's otherwise. Over HTTP(S) it goes on the push
//! listing's kept-alive connection; to a path or over SSH through a
//! `git-upload-pack` program (over SSH, a second session of the same
//! connection: src/git/transport/mux.rs).

use git2::Oid;

use super::link::Link;
use super::pkt::read_advertisement;
use super::upload;
use super::url::redact;
use super::{transport, Workspace};

/// What a smart-HTTP upload-pack is asked for without its listing (the
/// push listing named the tip): capabilities every git server has
/// offered since git 1.6; one it lacks makes the fetch fail, and
/// libgit2's fetch is used instead.
const HTTP_OFFERED: [&str; 4] = ["side-band-64k", "ofs-delta", "thin-pack", "no-progress"];

impl Workspace {
    /// Fetches `tip`, the tip of `refs/heads/{branch}` of `remote` as the
    /// push listing on `link` advertised it, in one request; moves
    /// `refs/remotes/{remote}/{branch}` to the tip fetched, as a fetch
    /// would, and returns it. `None` when this way does not apply (a
    /// shallow repository, a remote that
    /// can't send a side band) or failed before anything was stored: the
    /// caller fetches through libgit2 then, which reports any failure in
    /// its words.
    pub(super) fn fetch_tip(
        &self,
        link: &mut Link,
        remote: &str,
        branch: &str,
        tip: Oid,
    ) -> Option<Oid> {
        if self.repo.is_shallow() {
            return None;
        }
        match self.fetch_in_one(link, remote, branch, tip) {
            Ok(Some((bytes, fetched))) => {
                self.step(|| {
                    format!("fetched {fetched:.10} in one request ({bytes} bytes of pack)")
                });
                Some(fetched)
            }
            Ok(None) => None,
            Err(why) => {
                self.step(|| format!("the one-request fetch failed ({why}); libgit2 fetches"));
                None
            }
        }
    }

    /// [`Workspace::fetch_tip`]'s work: the bytes of pack received and
    /// the tip fetched; `Ok(None)` when this way does not apply.
    fn fetch_in_one(
        &self,
        link: &mut Link,
        remote: &str,
        branch: &str,
        tip: Oid,
    ) -> Result<Option<(usize, Oid)>, String> {
        let tracking = format!("refs/remotes/{remote}/{branch}");
        let known: Vec<Oid> = self.repo.refname_to_id(&tracking).into_iter().collect();
        let haves = upload::haves(&self.repo, &known);
        let url = redact(&link.url);
        let (wire, session) = link.parts();
        let text = |e: git2::Error| e.message().to_string();
        let unbanded = || "the remote offers no side band".to_string();
        let mut said = |d: &[u8]| session.remote_said(d);
        let phase = || session.phase(&format!("Fetching {branch} from {url}"));
        let received = match wire.http() {
            Some(service) => {
                let offered: Vec<String> = HTTP_OFFERED.iter().map(|c| c.to_string()).collect();
                let asked = upload::capabilities(&offered).ok_or_else(unbanded)?;
                phase();
                service
                    .upload(session, &upload::request(tip, &haves, &asked), |body| {
                        upload::receive(&self.repo, body, &mut said)
                    })
                    .map(|bytes| (bytes, tip))
            }
            None => {
                let program = self
                    .push_program(remote)
                    .map_err(|e| e.message)?
                    .ok_or("not reached through a program")?;
                let mut conversation = transport::upload_pack(&program).map_err(text)?;
                let (heads, offered) = read_advertisement(&mut conversation).map_err(text)?;
                let name = format!("refs/heads/{branch}");
                let tip = heads
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, o)| *o)
                    .ok_or_else(|| format!("the fetch service does not list {name}"))?;
                let asked = upload::capabilities(&offered).ok_or_else(unbanded)?;
                phase();
                let request = upload::request(tip, &haves, &asked);
                std::io::Write::write_all(&mut conversation, &request)
                    .and_then(|()| std::io::Write::flush(&mut conversation))
                    .map_err(|e| git2::Error::from_str(&e.to_string()))
                    .and_then(|()| upload::receive(&self.repo, &mut conversation, &mut said))
                    .map(|bytes| (bytes, tip))
            }
        };
        session.done();
        let (bytes, fetched) = received.map_err(text)?;
        self.repo
            .reference(&tracking, fetched, true, "mlops: fetch")
            .map_err(text)?;
        Ok(Some((bytes, fetched)))
    }
}
