//! Questions on the terminal (stderr), through dialoguer. Callers decide
//! whether asking is allowed ([`super::Ui::interactive`]); an EOF or an
//! interrupted prompt counts as "no".

use dialoguer::theme::ColorfulTheme;
use dialoguer::Confirm;

use crate::error::{failure, Result};

/// Asks a yes/no question, default no.
pub fn confirm(question: &str) -> Result<bool> {
    Confirm::with_theme(&ColorfulTheme::default())
        .with_prompt(question)
        .default(false)
        .interact_opt()
        .map(|answer| answer.unwrap_or(false))
        .map_err(|e| failure("could not read the answer from the terminal").caused_by(e))
}

/// Picks one of `items` by typing part of it; `None` when the user
/// cancels (Esc).
pub fn fuzzy_select(prompt: &str, items: &[String]) -> Result<Option<usize>> {
    dialoguer::FuzzySelect::with_theme(&ColorfulTheme::default())
        .with_prompt(prompt)
        .items(items)
        .default(0)
        .interact_opt()
        .map_err(|e| failure("could not read the choice from the terminal").caused_by(e))
}

/// Picks any of `items` (space toggles, enter accepts); `None` when the
/// user cancels (Esc).
pub fn multi_select(prompt: &str, items: &[String]) -> Result<Option<Vec<usize>>> {
    dialoguer::MultiSelect::with_theme(&ColorfulTheme::default())
        .with_prompt(prompt)
        .items(items)
        .interact_opt()
        .map_err(|e| failure("could not read the choice from the terminal").caused_by(e))
}
