//! Partitions between groups: a node cut off from the database drops (or
//! refuses, as the model says) the calls of the pods placed on it, and only
//! those.

use resim::drill::{Cause, TrialResult};

/// lb -> app (one pod on each of two nodes) -> db; node-1 is cut off from
/// the db from 60 s to 120 s with `mode`.
fn run(mode: &str) -> Vec<TrialResult> {
    let text = format!(
        r#"
[groups.node-1]
kind = "node"
[groups.node-2]
kind = "node"

[components.lb]
kind = "load_balancer"
depends_on = ["app"]

[components.app]
kind = "pods"
instances = 2
placement = ["node-1", "node-2"]
depends_on = ["db"]
# 50 req/s wait 500 ms on the cut pod: 25 busy workers, no queueing.
workers = 64
service = {{ dist = "constant", value = "1ms" }}

[components.db]
kind = "database"
service = {{ dist = "constant", value = "1ms" }}
timeout = "500ms"

[traffic]
rate = "100/s"
read_ratio = 0.5
timeout = "5s"

[[scenarios]]
name = "s"
duration = "3m"
warmup = "20s"

[[scenarios.events]]
at = "60s"
fault = "partition"
target = "node-1"
peer = "db"
mode = "{mode}"
duration = "60s"
"#
    );
    super::util::drill(&text, 2, 3).1
}

/// (offered, succeeded, failed with `cause`) over bins 7..11, inside the cut.
fn during(r: &[TrialResult], cause: Cause) -> (u64, u64, u64) {
    r.iter()
        .flat_map(|t| &t.bins[7..11])
        .fold((0, 0, 0), |(o, s, f), b| {
            (o + b.offered, s + b.succeeded, f + b.failed[cause as usize])
        })
}

/// The balancer alternates between the two pods, so the half of requests
/// sent to the pod on node-1 fail, each with the partition's cause.
fn assert_half_fail(r: &[TrialResult], cause: Cause) {
    let (offered, ok, failed) = during(r, cause);
    assert_eq!(ok + failed, offered, "every failure is {cause:?}");
    let share = failed as f64 / offered as f64;
    assert!((0.45..0.55).contains(&share), "{share} failed");
    let after: u64 = r
        .iter()
        .flat_map(|t| &t.bins[13..18])
        .map(|b| b.offered - b.succeeded)
        .sum();
    assert_eq!(after, 0, "healed after the partition");
}

#[test]
fn a_node_cut_off_from_the_db_times_out_its_pods_calls() {
    assert_half_fail(&run("drop"), Cause::Timeout);
}

#[test]
fn a_refusing_partition_fails_its_pods_calls_at_once() {
    assert_half_fail(&run("refuse"), Cause::Refused);
}
