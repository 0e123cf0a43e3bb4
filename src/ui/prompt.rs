//! Questions on the terminal (stderr), through dialoguer. Callers decide
//! whether asking is allowed ([`super::Ui::interactive`]). Esc or an EOF
//! counts as "no"; Ctrl-C ends the question as a refusal too. Whatever
//! way a question ends, the cursor dialoguer hid is shown again.

use dialoguer::theme::ColorfulTheme;
use dialoguer::Confirm;

use crate::error::{failure, Error, Kind, Result};

/// While a question is on the terminal: dialoguer hides the cursor, and
/// Ctrl-C (a signal, since the terminal keeps ISIG) would end the process
/// with it hidden, so `crate::interrupt` shows it again; when the question
/// ends any other way, the drop does.
struct CursorGuard;

impl CursorGuard {
    fn new() -> CursorGuard {
        crate::interrupt::prompting(true);
        CursorGuard
    }
}

impl Drop for CursorGuard {
    fn drop(&mut self) {
        crate::interrupt::prompting(false);
        let _ = console::Term::stderr().show_cursor();
    }
}

fn asked<T>(answer: std::io::Result<T>, what: &str) -> Result<T> {
    answer.map_err(|e| match e.kind() {
        std::io::ErrorKind::Interrupted => {
            Error::new(Kind::Declined, "Interrupted: nothing was written.")
        }
        _ => failure(format!("could not read the {what} from the terminal")).caused_by(e),
    })
}

fn dialoguer_io<T>(answer: dialoguer::Result<T>) -> std::io::Result<T> {
    answer.map_err(|dialoguer::Error::IO(e)| e)
}

/// Asks a yes/no question, default no.
pub fn confirm(question: &str) -> Result<bool> {
    let _guard = CursorGuard::new();
    let answer = Confirm::with_theme(&ColorfulTheme::default())
        .with_prompt(question)
        .default(false)
        .interact_opt();
    asked(dialoguer_io(answer), "answer").map(|a| a.unwrap_or(false))
}

/// Picks one of `items` by typing part of it; `None` when the user
/// cancels (Esc).
pub fn fuzzy_select(prompt: &str, items: &[String]) -> Result<Option<usize>> {
    let _guard = CursorGuard::new();
    let answer = dialoguer::FuzzySelect::with_theme(&ColorfulTheme::default())
        .with_prompt(prompt)
        .items(items)
        .default(0)
        .interact_opt();
    asked(dialoguer_io(answer), "choice")
}

/// Picks any of `items` (space toggles, enter accepts); `None` when the
/// user cancels (Esc).
pub fn multi_select(prompt: &str, items: &[String]) -> Result<Option<Vec<usize>>> {
    let _guard = CursorGuard::new();
    let answer = dialoguer::MultiSelect::with_theme(&ColorfulTheme::default())
        .with_prompt(prompt)
        .items(items)
        .interact_opt();
    asked(dialoguer_io(answer), "choice")
}
