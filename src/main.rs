//! Parse, run, map the outcome to an exit code. Nothing else lives here.

use std::process::ExitCode;

fn main() -> ExitCode {
    // libgit2 would parse the whole CA bundle on every run (~50 ms).
    mlops::git::tls::defer_ca_bundle();
    // Before anything touches stdout: a Tab's callback answers and exits.
    mlops::complete::run_if_requested();
    ExitCode::from(mlops::commands::main(std::env::args_os()))
}
