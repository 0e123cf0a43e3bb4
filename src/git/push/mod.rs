//! A push that sends only what the commit adds, in mlops's own words of
//! the receive-pack protocol: with the remotes reached through a program
//! (a path, `file://`, SSH: src/git/transport), and over smart HTTP(S)
//! ([`http`], on mlops's one HTTP client): the only push there is.
//!
//! Why: libgit2 builds a push's pack by marking every object of the
//! remote tip's tree as already present (`insert_walk`, libgit2 issue
//! 3364), a walk over the whole repository on every push (tens of
//! thousands of trees and blobs for 3 × 20,000 models), where git's
//! pack-objects walks only the changed paths. mlops knows what its commit
//! adds: the commit, the trees on the way to each changed file and the
//! new blobs. [`pack::new_objects`] finds them by comparing the commit's tree
//! with its parent's, descending only where the ids differ; the pack is
//! built from exactly those (`PackBuilder::insert_object`) and sent with
//! the command `old new ref`, asking for `report-status` and
//! `side-band-64k` as git does. The remote still checks everything: it
//! moves the ref only from `old` (the tip it advertised), and its
//! `fsck`/connectivity check refuses a pack that lacks an object.
//!
//! Over HTTP(S) the conversation is two requests ([`http`]); the
//! advertisement, the commands, the pack and the report are read and
//! written here for both channels.

use std::io::{Read, Write};

pub(crate) mod http;
mod pack;

use git2::Oid;

use super::pkt::{io_error, pkt, protocol, read_advertisement};
use super::session::Session;
use super::transport::{self, Conversation};
use super::wire::report;
pub(crate) use super::wire::report::Report;
pub(crate) use pack::{new_objects, pack_walk, thin_pack};

/// A receive-pack conversation: the advertisement read, the push to come.
pub(crate) struct ReceivePack {
    channel: Channel,
    /// The branches (and other refs) as advertised.
    pub heads: Vec<(String, Oid)>,
    capabilities: Vec<String>,
    /// Whether commands were sent (else a flush ends the conversation).
    spoken: bool,
}

/// What the conversation goes over.
enum Channel {
    /// A program's stdin and stdout (`git receive-pack`, `ssh`): one
    /// stateful conversation.
    Program(Conversation),
    /// Smart HTTP: the advertisement was the answer to a GET, the push
    /// is a POST (stateless: nothing to say when leaving).
    Http(Box<http::Service>),
}

impl Drop for ReceivePack {
    /// Leaves as git does when it has nothing to push: a flush, then the
    /// program's end (its stdin closed, src/git/transport).
    fn drop(&mut self) {
        if let (Channel::Program(c), false) = (&mut self.channel, self.spoken) {
            let _ = c.write_all(b"0000");
            let _ = c.flush();
        }
    }
}

impl ReceivePack {
    /// Starts `git receive-pack` for `url` and reads its advertisement.
    pub(crate) fn open(url: &str) -> Result<ReceivePack, git2::Error> {
        let mut conversation = transport::receive_pack(url)?;
        let (heads, capabilities) = read_advertisement(&mut conversation)?;
        Ok(ReceivePack {
            channel: Channel::Program(conversation),
            heads,
            capabilities,
            spoken: false,
        })
    }

    /// Asks the smart-HTTP server at `url` (of `remote`) for its push
    /// service's advertisement ([`http::Service::list`]).
    pub(crate) fn open_http(
        url: &str,
        remote: Option<&str>,
        session: &Session,
    ) -> Result<ReceivePack, git2::Error> {
        let (mut service, mut body) = http::Service::list(url, remote, session)?;
        // Bounded at the HTTP level too, whatever the parser reads.
        let mut limited = Read::take(&mut body, http::ADVERTISEMENT);
        let advertised = read_advertisement(&mut limited);
        if limited.limit() == 0 {
            return Err(protocol(&format!(
                "the server's ref advertisement is larger than {} MiB",
                http::ADVERTISEMENT >> 20
            )));
        }
        let (heads, capabilities) = advertised?;
        // Read to its end, so the connection is kept for the push.
        service.done_with(body);
        Ok(ReceivePack {
            channel: Channel::Http(Box::new(service)),
            heads,
            capabilities,
            spoken: false,
        })
    }

    /// The HTTP service the advertisement came from (its kept-alive
    /// connection serves the fetch too: src/git/fetch.rs).
    pub(crate) fn http(&mut self) -> Option<&mut http::Service> {
        match &mut self.channel {
            Channel::Http(service) => Some(service),
            Channel::Program(_) => None,
        }
    }

    /// Whether the remote takes a thin pack (it did not say `no-thin`).
    pub(crate) fn takes_thin(&self) -> bool {
        !self.can("no-thin")
    }

    fn can(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }

    /// Sends `old new refname` and `pack`, shows the remote's progress
    /// band as `remote:` lines through `session` (which also gives
    /// credentials, should an HTTP server ask again), and returns its
    /// verdict on `refname`.
    pub(crate) fn push(
        &mut self,
        old: Oid,
        new: Oid,
        refname: &str,
        pack: &[u8],
        session: &Session,
    ) -> Result<Report, git2::Error> {
        let sideband = self.can("side-band-64k");
        if !self.can("report-status") {
            return Err(protocol("the remote does not report the push's status"));
        }
        let mut caps = vec!["report-status"];
        if sideband {
            caps.push("side-band-64k");
        }
        let agent = format!("agent=mlops/{}", env!("CARGO_PKG_VERSION"));
        caps.push(&agent);
        let command = format!("{old} {new} {refname}\0{}\n", caps.join(" "));
        let mut request = pkt(command.as_bytes());
        request.extend_from_slice(b"0000");
        request.extend_from_slice(pack);
        self.spoken = true;
        let mut answer: Box<dyn Read + '_> = match &mut self.channel {
            Channel::Program(c) => {
                c.write_all(&request)
                    .and_then(|()| c.flush())
                    .map_err(io_error)?;
                Box::new(c)
            }
            Channel::Http(service) => Box::new(service.post(session, &request)?),
        };
        let report = report::collect(&mut answer, sideband, &mut |d| session.remote_said(d))?;
        report::parse(&report, refname)
    }
}
