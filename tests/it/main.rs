//! One integration-test binary (one link step, shared helpers): each module
//! drives the built `mlops` binary on real git repositories.

mod common;

mod autoscale;
mod faults;
mod status;
