//! Parse, run, map the outcome to an exit code. Nothing else lives here.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Before anything touches stdout: a Tab's callback answers and exits.
    mlops::complete::run_if_requested();
    ExitCode::from(mlops::main(std::env::args_os()))
}
