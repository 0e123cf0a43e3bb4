//! Parse, run, map the outcome to an exit code. Nothing else lives here.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Before anything touches stdout: a Tab's callback answers and exits.
    mlops::complete::run_if_requested();
    let cli = mlops::cli::Cli::parse();
    ExitCode::from(mlops::commands::run(cli))
}
