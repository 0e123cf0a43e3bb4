//! The session whose credentials and settings libgit2's HTTP requests use
//! ([`super::subtransport`]): libgit2 hands a subtransport only the URL,
//! so the session making a connection is recorded here, on its thread,
//! for as long as the callbacks it gave libgit2 live
//! ([`crate::git::session::Session::callbacks`]).

use std::cell::RefCell;
use std::marker::PhantomData;

use crate::git::session::Session;

thread_local! {
    /// The sessions with live callbacks on this thread, newest last.
    static CURRENT: RefCell<Vec<(u64, *const Session)>> = const { RefCell::new(Vec::new()) };
    static NEXT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Keeps `'s`'s session current until dropped.
pub(crate) struct Current<'s> {
    id: u64,
    _session: PhantomData<&'s Session>,
    /// Not `Send`: it is removed on the thread it was made on.
    _thread: PhantomData<*const ()>,
}

/// Makes `session` the current one until the guard is dropped.
pub(crate) fn enter(session: &Session) -> Current<'_> {
    let id = NEXT.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    });
    CURRENT.with(|c| c.borrow_mut().push((id, session as *const Session)));
    Current {
        id,
        _session: PhantomData,
        _thread: PhantomData,
    }
}

impl Drop for Current<'_> {
    fn drop(&mut self) {
        CURRENT.with(|c| c.borrow_mut().retain(|(id, _)| *id != self.id));
    }
}

/// Calls `f` with the newest current session, if any.
pub(crate) fn with<R>(f: impl FnOnce(Option<&Session>) -> R) -> R {
    let newest = CURRENT.with(|c| c.borrow().last().map(|(_, s)| *s));
    // SAFETY: a pointer is in the list only while the `Current` guard made
    // from a borrow of that session lives (its drop removes it, whatever
    // the order guards are dropped in), so the session is alive; it is
    // only read through a shared reference, on the thread that borrowed it.
    let session = newest.map(|s| unsafe { &*s });
    f(session)
}
