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
mod depth;
mod faults;
mod forge;
mod generated;
mod gitconfig;
mod gitea;
mod interactive;
mod interrupted;
mod log;
mod log_follow;
mod servers;
mod skipped;
mod status;
mod target;
mod wait;

mod askpass;
mod auth;
mod clone;
mod helpers;
mod hooks;
mod hostile;
mod httpconfig;
mod httpconfig_headers;
mod httpconfig_proxy;
mod httpconfig_proxy_tls;
mod httpconfig_tls;
mod httpconfig_urls;
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
mod tree;
