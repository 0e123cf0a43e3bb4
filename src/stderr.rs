//! Lines for people on stderr. A closed stderr (a pipe whose reader left,
//! `mlops … 2>&1 | head`) must not end a run halfway: `eprintln!` panics
//! on a failed write, which after a push left the checkout behind the
//! commit it had just pushed. A failed write is ignored here, as git
//! ignores it for its progress and messages.

use std::fmt::Arguments;
use std::io::Write;

/// `text` and a newline.
pub(crate) fn line(text: Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// `text` as it is.
pub(crate) fn text(text: Arguments<'_>) {
    let _ = write!(std::io::stderr(), "{text}");
}
