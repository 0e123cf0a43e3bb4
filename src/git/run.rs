//! What one run carries from one git step to the next, in one object.
//!
//! A run makes several connections (the listing started ahead, the fetch,
//! the push, a retry), each through its own [`super::session::Session`];
//! between them it keeps: the configuration git sees, the credentials
//! that worked and who was asked, client keys' passphrases, the hints
//! already given, the
//! connections and programs started ahead of need, and the threads still
//! finishing. All of it is here, each part beside the others, owned by
//! the module that uses it (its fields are that module's types) and
//! ended in one place ([`Run::end_transfers`]) when the workspace goes.
//!
//! Why it is reached through [`run`] rather than handed down: libgit2's
//! transport registry is process-wide (`git2::transport::register`), so
//! the transports it creates for mlops (src/git/transport, src/git/http)
//! are called with a remote and nothing of ours; a process runs one
//! command, so the run is the process's. The thread-local state left in
//! the layer is not the run's but a call's: which session a transport on
//! this thread serves (src/git/http/current.rs), libgit2's last error on
//! this thread (src/git/http/mod.rs), and whether a session is being
//! started ahead (src/git/transport/mux.rs).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::config::Snapshot;
use super::credentials::Memory;
use super::push::http::Early as HttpEarly;
use super::transport::{early, mux, Ended, Settings};

/// The run's state between its git steps (see the module's text).
pub(crate) struct Run {
    /// The configuration read for each git directory, by its path.
    pub(in crate::git) config: Mutex<Vec<(PathBuf, Arc<Snapshot>)>>,
    /// Credentials that worked, the origins that asked for them and the
    /// URLs the helpers were asked about.
    pub(in crate::git) credentials: Mutex<Memory>,
    /// The hooks git's ignored-hook hint was given for (once a name).
    pub(in crate::git) hinted_hooks: Mutex<Vec<String>>,
    /// What the program transports need from the repository and the
    /// command line, set before each network operation.
    pub(in crate::git) transport: Mutex<Option<Settings>>,
    /// How the last program that failed mid-conversation ended.
    pub(in crate::git) last_program: Mutex<Option<Ended>>,
    /// The shared SSH connection's socket folder and who may share.
    pub(in crate::git) mux: Mutex<mux::Shared>,
    /// The receive-pack program and upload-pack session started ahead.
    pub(in crate::git) early: early::Started,
    /// The HTTP(S) push listing started ahead.
    pub(in crate::git) http_early: Mutex<Option<HttpEarly>>,
    /// A `git credential approve` still running.
    pub(in crate::git) approving: Mutex<Option<JoinHandle<()>>>,
    /// Client keys' passphrases given in this run, by certificate.
    pub(in crate::git) passphrases: Mutex<Vec<(PathBuf, String)>>,
}

static RUN: Run = Run {
    config: Mutex::new(Vec::new()),
    credentials: Mutex::new(Memory::new()),
    hinted_hooks: Mutex::new(Vec::new()),
    transport: Mutex::new(None),
    last_program: Mutex::new(None),
    mux: Mutex::new(mux::Shared::new()),
    early: early::Started::new(),
    http_early: Mutex::new(None),
    approving: Mutex::new(None),
    passphrases: Mutex::new(Vec::new()),
};

/// This run.
pub(in crate::git) fn run() -> &'static Run {
    &RUN
}

impl Run {
    /// Ends what the run's transfers left behind, when its workspace
    /// goes: what was started ahead and not taken (the run stopped
    /// before it pushed), the shared SSH connection's folder, and the
    /// helpers' `approve`, waited for.
    pub(in crate::git) fn end_transfers(&self) {
        super::transport::forget_early();
        super::push::http::forget_early();
        super::transport::mux::finish();
        super::helper::settle();
    }
}
