//! Unified diffs of a file before and after the edit, with paths relative
//! to the repository root, coloured only when the Ui says so.

use console::Style;
use similar::{ChangeTag, TextDiff};

use super::Ui;

/// The unified diff (3 lines of context) of one file, `git diff` style.
pub fn render(ui: &Ui, path: &str, old: &[u8], new: &[u8]) -> String {
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    let diff = TextDiff::from_lines(old.as_ref(), new.as_ref());
    let mut out = String::new();
    out.push_str(&ui.out_style(Style::new().bold(), &format!("--- a/{path}\n+++ b/{path}")));
    out.push('\n');
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        out.push_str(&ui.out_style(Style::new().cyan(), &hunk.header().to_string()));
        out.push('\n');
        for change in hunk.iter_changes() {
            let (sign, style) = match change.tag() {
                ChangeTag::Delete => ('-', Style::new().red()),
                ChangeTag::Insert => ('+', Style::new().green()),
                ChangeTag::Equal => (' ', Style::new()),
            };
            // Show line endings the way git does: CR as ^M would be noise,
            // so strip the line break and mark a missing final newline.
            let value = change.value();
            let line = value.trim_end_matches(['\n', '\r']);
            out.push_str(&ui.out_style(style, &format!("{sign}{line}")));
            out.push('\n');
            if change.missing_newline() {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
    out
}
