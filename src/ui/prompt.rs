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
