//! `mlops`: GitOps model deployments from the command line.
//!
//! The binary (`src/main.rs`) only parses arguments and maps errors to exit
//! codes; everything else lives in this library so that tests, benchmarks
//! and the fuzz target can reach the parts they need.

pub mod cli;
pub mod commands;
pub mod complete;
pub mod edit;
pub mod error;
pub mod git;
pub mod layout;
pub mod ui;
