//! `mlops autoscale status`.
