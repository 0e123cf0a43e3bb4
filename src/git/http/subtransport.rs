//! libgit2's `http://` and `https://` transport: the smart protocol over
//! mlops's curl client ([`super::client`]), so libgit2's own HTTP and
//! TLS are not used. Stateless (`rpc`): each action is one request; the
//! actions of one connection share a [`Client`] (its connections, its
//! credentials, the base a redirect led to).

use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream};

use super::client::{Client, Response};
use super::config::Settings;
use super::current;

/// The most a ref advertisement may hold (libgit2 keeps it whole).
use crate::git::push::http::ADVERTISEMENT;

/// One libgit2 connection to an HTTP(S) remote.
pub(crate) struct Curl {
    remote: Option<String>,
    client: Arc<Mutex<Option<Client>>>,
}

impl Curl {
    pub(crate) fn new(remote: Option<String>) -> Curl {
        Curl {
            remote,
            client: Arc::new(Mutex::new(None)),
        }
    }
}

impl SmartSubtransport for Curl {
    fn action(
        &self,
        url: &str,
        action: Service,
    ) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        Ok(Box::new(Stream {
            client: Arc::clone(&self.client),
            remote: self.remote.clone(),
            url: url.to_string(),
            action,
            request: Vec::new(),
            response: None,
            read: 0,
        }))
    }

    fn close(&self) -> Result<(), git2::Error> {
        Ok(())
    }
}

/// One request: what libgit2 writes is its body, what it reads the answer.
struct Stream {
    client: Arc<Mutex<Option<Client>>>,
    remote: Option<String>,
    url: String,
    action: Service,
    request: Vec<u8>,
    response: Option<Response>,
    read: u64,
}

fn lost() -> git2::Error {
    git2::Error::from_str("the HTTP client was lost")
}

impl Stream {
    fn send(&mut self) -> Result<Response, git2::Error> {
        let mut guard = self.client.lock().map_err(|_| lost())?;
        current::with(|session| {
            let client = match guard.as_mut() {
                Some(client) => client,
                None => {
                    let settings = match session {
                        Some(s) => s.http_settings(&self.url, self.remote.as_deref()),
                        None => Settings::read(None, &self.url, None),
                    };
                    let mut client = Client::new(&self.url, settings);
                    if let Some(s) = session {
                        let push = self.action == Service::ReceivePackLs;
                        client.authorize(s.start_http(&self.url, push));
                    }
                    guard.insert(client)
                }
            };
            match self.action {
                Service::UploadPackLs => client.list(session, "git-upload-pack", None),
                Service::ReceivePackLs => client.list(session, "git-receive-pack", None),
                Service::UploadPack => client.post(session, "git-upload-pack", &self.request),
                Service::ReceivePack => client.post(session, "git-receive-pack", &self.request),
            }
        })
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.response.is_none() {
            let response = self.send().map_err(|e| {
                super::failed(&e);
                io::Error::other(e.message().to_string())
            })?;
            self.response = Some(response);
        }
        let Some(response) = self.response.as_mut() else {
            return Ok(0);
        };
        let listing = matches!(self.action, Service::UploadPackLs | Service::ReceivePackLs);
        if listing && self.read > ADVERTISEMENT {
            return Err(io::Error::other(format!(
                "the server's ref advertisement is larger than {} MiB",
                ADVERTISEMENT >> 20
            )));
        }
        let n = response.read(buf).inspect_err(|e| {
            super::failed(&git2::Error::from_str(&e.to_string()));
        })?;
        self.read += n as u64;
        Ok(n)
    }
}

impl Write for Stream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.request.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Stream {
    /// The response's connection goes back to the client.
    fn drop(&mut self) {
        if let (Some(response), Ok(mut guard)) = (self.response.take(), self.client.lock()) {
            if let Some(client) = guard.as_mut() {
                client.recycle(response);
            }
        }
    }
}
