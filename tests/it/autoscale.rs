//! `mlops autoscale enable|disable` on real checkouts.
