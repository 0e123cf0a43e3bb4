//! The domain: what an mlops-gitops repository holds and what it means,
//! knowing nothing of flags, terminals or output.
//!
//! - [`layout`]: where configs live, the one rule for names, `ENV/MODEL`;
//! - [`snapshot`]: listing and reading, from the work tree or a commit;
//! - [`sparse`]: the files a sparse checkout keeps out of its work tree;
//! - [`models`]: which environments and models exist, and why a folder is
//!   not a usable model;
//! - [`chart`]: what the chart renders for a values file, and what must
//!   change for it to render another autoscaler;
//! - [`argo`]: which Argo CD applications deploy a file;
//! - [`history`]: the history of values for `log`, following renamed
//!   model and environment folders ([`renames`]);
//! - [`states`]: the chart's rendering of many models at once, in
//!   parallel and under a time budget (status, completion, picking).
//!
//! Commands, completion and picking stand on this floor; it imports none
//! of them.

pub(crate) mod argo;
pub(crate) mod chart;
pub(crate) mod history;
pub(crate) mod layout;
pub(crate) mod models;
pub(crate) mod renames;
pub(crate) mod snapshot;
pub(crate) mod sparse;
pub(crate) mod states;
