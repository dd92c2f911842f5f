//! Drill-level tests of the pod lifecycle.
