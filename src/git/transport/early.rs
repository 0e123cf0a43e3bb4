//! Programs started before they are needed, so their connection is made
//! while mlops works on the change: the push service's receive-pack
//! (its listing says whether the checkout is up to date), and, over an
//! SSH connection mlops shares (see [`super::mux`]), an upload-pack
//! session joining it as soon as it is up, in case the listing names a
//! tip the checkout lacks.
//!
//! Why the second one: a checkout behind its remote fetches after the
//! listing. A session started only then costs a channel open and an
//! exec (two round trips) and the program's start before its first
//! byte; started alongside the push session's, that is paid while the
//! key exchange's last round trips and the listing go on (at 40 ms,
//! behind: a traced run 0.96-0.99 -> 0.87-0.88 s; bench/transports.py's
//! ratio to git 0.65 -> 0.55). An up-to-date run ends it at once with a
//! flush-pkt ("no wants"), on a thread, while it goes on pushing: the
//! master ssh waits for its sessions before it exits, so the push session
//! is never left before this one is (see [`settle`]).

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{mux, start, Conversation};

/// What was started ahead (kept in the run, src/git/run.rs).
pub(crate) struct Started {
    /// The receive-pack program started for a URL, whose advertisement
    /// nobody has read yet.
    receive: Mutex<Option<(String, Conversation)>>,
    /// The upload-pack session on its way for a URL, or being left.
    upload: Mutex<Upload>,
}

impl Started {
    pub(crate) const fn new() -> Started {
        Started {
            receive: Mutex::new(None),
            upload: Mutex::new(Upload::None),
        }
    }
}

fn kept() -> &'static Started {
    &crate::git::run::run().early
}

enum Upload {
    None,
    /// A thread waiting for the shared connection, then starting the
    /// session; `stop` tells it not to.
    Coming {
        url: String,
        stop: Arc<AtomicBool>,
        thread: JoinHandle<Option<Conversation>>,
    },
    /// A thread ending a session nobody needed.
    Leaving(JoinHandle<()>),
}

/// How long the connection may take to come up before the upload-pack
/// session is given up (the push's own connection reports any failure).
const PATIENCE: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(2);

/// Starts the receive-pack program for `url` now; the next
/// [`receive_pack`] for `url` takes it. Over a shared SSH connection the
/// upload-pack session follows once the connection is up. False when it
/// could not be started (the later call starts it again and reports why).
pub(crate) fn start_receive_pack(url: &str) -> bool {
    let Ok(started) = super::spawn(url, "git-receive-pack") else {
        return false;
    };
    let Ok(mut early) = kept().receive.lock() else {
        return false;
    };
    *early = Some((url.to_string(), started));
    if let Some(folder) = mux::shared_folder() {
        start_upload_pack(url, folder);
    }
    true
}

/// The receive-pack program started ahead for `url`, else a new one.
pub(crate) fn receive_pack(url: &str) -> Result<Conversation, git2::Error> {
    let early = kept().receive.lock().ok().and_then(|mut e| e.take());
    match early {
        Some((started_for, conversation)) if started_for == url => Ok(conversation),
        _ => super::spawn(url, "git-receive-pack"),
    }
}

/// The upload-pack session started ahead for `url`, when it has been
/// started, else a new one (which joins the shared connection too).
pub(crate) fn upload_pack(url: &str) -> Result<Conversation, git2::Error> {
    let coming = match kept().upload.lock() {
        Ok(mut upload) => match std::mem::replace(&mut *upload, Upload::None) {
            Upload::Coming {
                url: u,
                stop,
                thread,
            } if u == url => {
                stop.store(true, Ordering::SeqCst);
                Some(thread)
            }
            other => {
                *upload = other;
                None
            }
        },
        Err(_) => None,
    };
    match coming.and_then(|thread| thread.join().ok().flatten()) {
        Some(conversation) => Ok(conversation),
        None => super::spawn(url, "git-upload-pack"),
    }
}

/// The listing showed nothing to fetch: the upload-pack session started
/// ahead, if any, is ended on a thread ([`settle`] waits for it).
pub(crate) fn leave_upload_pack() {
    let Ok(mut upload) = kept().upload.lock() else {
        return;
    };
    if let Upload::Coming { stop, thread, .. } = std::mem::replace(&mut *upload, Upload::None) {
        stop.store(true, Ordering::SeqCst);
        *upload = Upload::Leaving(std::thread::spawn(move || {
            if let Ok(Some(mut conversation)) = thread.join() {
                // A flush-pkt instead of wants: upload-pack ends cleanly.
                let _ = conversation.write_all(b"0000");
                drop(conversation);
            }
        }));
    }
}

/// Ends the upload-pack session started ahead and waits until it has
/// ended: before the push session is left (its ssh is the master, which
/// waits for this one), and when the run ends.
pub(crate) fn settle() {
    leave_upload_pack();
    let leaving = kept()
        .upload
        .lock()
        .ok()
        .map(|mut u| std::mem::replace(&mut *u, Upload::None));
    if let Some(Upload::Leaving(thread)) = leaving {
        let _ = thread.join();
    }
}

/// Ends what was started ahead and not taken (the run stopped before it
/// pushed): the upload-pack session first, then the receive-pack program.
pub(crate) fn forget() {
    settle();
    let taken = kept().receive.lock().ok().and_then(|mut e| e.take());
    drop(taken);
}

fn start_upload_pack(url: &str, folder: std::path::PathBuf) {
    let stop = Arc::new(AtomicBool::new(false));
    let (owned, stopped) = (url.to_string(), Arc::clone(&stop));
    let thread = std::thread::spawn(move || {
        let deadline = Instant::now() + PATIENCE;
        while !listening(&folder) {
            if stopped.load(Ordering::SeqCst) || Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(POLL);
        }
        match stopped.load(Ordering::SeqCst) {
            true => None,
            false => mux::ahead(|| start(&owned, "git-upload-pack")).ok(),
        }
    });
    if let Ok(mut upload) = kept().upload.lock() {
        *upload = Upload::Coming {
            url: url.to_string(),
            stop,
            thread,
        };
    }
}

/// Whether the master has put its socket into `folder` (ssh binds it
/// under a name with a random `.` suffix, then links it to its name: a
/// name without a dot is a master that listens).
fn listening(folder: &Path) -> bool {
    std::fs::read_dir(folder).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| !e.file_name().to_string_lossy().contains('.'))
    })
}
