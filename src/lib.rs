//! `mlops`: GitOps model deployments from the command line.
//!
//! The binary (`src/main.rs`) only parses arguments and maps errors to exit
//! codes; everything else lives in this library so that tests, benchmarks
//! and the fuzz target can reach the parts they need. Public is only what
//! they use: `main`, `complete::run_if_requested`, the edit engine, the
//! wire parsers' fuzz entry points and the test servers (`testbed`).
//!
//! Layers, each importing only those below it:
//! `commands` and `complete` (the clap glue) on `gitops` (the domain) on
//! `git` and `edit`; `ui` and `error` are used throughout; `cli` holds the
//! clap types. `testbed` starts the real servers (Gitea, a Kubernetes API)
//! that `mlops demo` and the tests close the loop against.

pub(crate) mod cli;
pub(crate) mod commands;
pub mod complete;
pub(crate) mod deploy;
pub mod edit;
pub(crate) mod error;
pub(crate) mod forge;
pub(crate) mod git;
pub(crate) mod gitops;
pub(crate) mod interrupt;
pub(crate) mod stderr;
pub mod testbed;
pub(crate) mod ui;

pub use commands::main;
/// The wire parsers' entry points, for the fuzz targets and their
/// regression tests (fuzz/, tests/fuzz_regressions.rs).
pub use git::wire::fuzz;
