//! One integration-test binary (one link step, shared helpers): each module
//! drives the built `mlops` binary on real git repositories.

mod common;
mod term;

mod autoscale;
mod chart;
mod checkout;
mod cluster;
mod completion;
mod demo;
mod faults;
mod forge;
mod generated;
mod gitea;
mod interactive;
mod log;
mod servers;
mod skipped;
mod status;
mod wait;

mod auth;
mod clone;
mod helpers;
mod ownhttp;
mod ownpush;
mod proxy;
mod push;
mod requests;
mod safety;
mod set;
mod sharing;
mod tls;
mod transport;
