//! What the on-call sees of the pods: per-bin readings (pods by state,
//! desired replicas, restarts, memory against the limit) and a
//! `kubectl get pods` table for `resim run --at`.

use std::fmt::Write as _;

use super::events::BACKOFF_SYNC;
use super::{Pod, PodPhase};
use crate::drill::readings::ReadingDef;
use crate::drill::sim::{Comp, DrillTrial};
use crate::engine::SimTime;
use crate::model::Model;

/// Pod states counted per bin, in reading order: (name, legend).
const STATES: &[(&str, &str)] = &[
    ("pods_ready", "Ready"),
    ("pods_not_ready", "Running, not Ready"),
    ("pods_crashloop", "CrashLoopBackOff"),
    ("pods_pending", "Pending"),
    ("pods_terminating", "Terminating"),
    ("pods_desired", "replicas desired"),
];
const MIB: f64 = (1u64 << 20) as f64;

/// The pod readings of `model`'s components with a `pod` spec.
pub(in crate::drill) fn pod_reading_defs(model: &Model, defs: &mut Vec<ReadingDef>) {
    for c in model.components.iter().filter(|c| c.workload.is_some()) {
        for (what, label) in STATES {
            defs.push(ReadingDef::new(&c.id, what, "pods", label, "pods"));
        }
        defs.push(ReadingDef::new(
            &c.id,
            "restarts",
            "restarts",
            "container restarts (cumulative)",
            "restarts",
        ));
        for (what, label) in [
            ("memory_max", "max pod memory (incl. OOM kills)"),
            ("memory_mean", "mean pod memory"),
            ("memory_limit", "memory limit"),
        ] {
            defs.push(ReadingDef::new(&c.id, what, "memory", label, "MiB"));
        }
    }
}

/// What `kubectl get pods` would print for the pods of one component.
pub(super) fn status(p: &Pod, now: SimTime) -> &'static str {
    match (p.terminating, p.phase) {
        (true, _) => "Terminating",
        (_, PodPhase::Pending) => "Pending",
        (_, PodPhase::Starting) if p.restarts == 0 && p.last_exit.is_none() => "ContainerCreating",
        (_, PodPhase::Starting | PodPhase::Running) => "Running",
        (_, PodPhase::BackOff) => match p.last_exit {
            // The termination reason until the kubelet's next sync shows
            // the back-off it recorded (`BACKOFF_SYNC`).
            Some((at, why)) if now < at + BACKOFF_SYNC => why.as_str(),
            _ => "CrashLoopBackOff",
        },
        (_, PodPhase::Gone) => "",
    }
}

impl DrillTrial<'_> {
    /// Appends this bin's pod readings, in [`pod_reading_defs`] order.
    pub(in crate::drill) fn sample_pod_readings(&mut self, now: SimTime, out: &mut Vec<f64>) {
        for comp in &mut self.comps {
            // The peak of a container OOM-killed during the bin counts too.
            let oom_peak = comp
                .pods
                .as_deref_mut()
                .map_or(0, |ps| std::mem::take(&mut ps.oom_peak));
            let Some(ps) = comp.pods.as_deref() else {
                continue;
            };
            let mut n = [0u32; 5];
            let (mut max, mut sum, mut running) = (0u64, 0u64, 0u32);
            for (s, p) in ps.pods.iter().enumerate() {
                let k = match (p.terminating, p.phase) {
                    (_, PodPhase::Gone) => continue,
                    (true, _) => 4,
                    (_, PodPhase::Pending | PodPhase::Starting) => 3,
                    (_, PodPhase::BackOff) => 2,
                    (_, PodPhase::Running) if p.ready => 0,
                    (_, PodPhase::Running) => 1,
                };
                n[k] += 1;
                if let Some(m) = p.memory(&comp.insts[s], now) {
                    max = max.max(m);
                    sum += m;
                    running += 1;
                }
            }
            out.extend(n.iter().map(|&x| f64::from(x)));
            out.push(f64::from(ps.desired));
            out.push(ps.restarts as f64);
            let (mx, mean) = if running == 0 {
                (f64::NAN, f64::NAN)
            } else {
                (max as f64 / MIB, sum as f64 / f64::from(running) / MIB)
            };
            let mx = if oom_peak > 0 {
                (oom_peak as f64 / MIB).max(if mx.is_nan() { 0.0 } else { mx })
            } else {
                mx
            };
            out.push(mx);
            out.push(mean);
            out.push(
                ps.template
                    .resources
                    .memory_limit
                    .map_or(f64::NAN, |l| l as f64 / MIB),
            );
        }
    }
}

/// The `kubectl get pods` table of a component's pods at `now`; with the
/// cluster's node names, `-o wide`'s NODE column too (`<none>` while Pending).
pub(in crate::drill) fn pod_snapshot(
    name: &str,
    comp: &Comp,
    nodes: Option<&[String]>,
    now: SimTime,
    s: &mut String,
) {
    let Some(ps) = comp.pods.as_deref() else {
        return;
    };
    let wide = if nodes.is_some() { " -o wide" } else { "" };
    let _ = writeln!(s, "$ kubectl get pods -l app={name}{wide}");
    let head = format!(
        "{:<28} {:<6} {:<18} {:<14} {:<7} {}",
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        if nodes.is_some() { "NODE" } else { "" }
    );
    let _ = writeln!(s, "{}", head.trim_end());
    let mut rows: Vec<&Pod> = ps
        .pods
        .iter()
        .filter(|p| p.phase != PodPhase::Gone)
        .collect();
    rows.sort_by_key(|p| pod_name(name, p));
    for p in rows {
        let restarts = match p.last_exit {
            Some((at, _)) if p.restarts > 0 => {
                format!("{} ({} ago)", p.restarts, age(now.saturating_sub(at)))
            }
            _ => p.restarts.to_string(),
        };
        let ready = u8::from(shows_ready(p));
        let node = nodes.map_or("", |n| {
            n.get(p.node as usize).map_or("<none>", String::as_str)
        });
        let row = format!(
            "{:<28} {:<6} {:<18} {:<14} {:<7} {node}",
            pod_name(name, p),
            format!("{ready}/1"),
            status(p, now),
            restarts,
            age(now.saturating_sub(p.created) + p.age_before)
        );
        let _ = writeln!(s, "{}", row.trim_end());
    }
    if ps.pods.iter().all(|p| p.phase == PodPhase::Gone) {
        let _ = writeln!(s, "No resources found in default namespace.");
    }
    top_pods(name, comp, now, s);
}

/// `kubectl top pods`: each running pod's CPU between metrics-server's last
/// two scrapes (15 s apart) and its memory now, for pods with CPU
/// resources (only those metrics-server has two scrapes of are listed).
fn top_pods(name: &str, comp: &Comp, now: SimTime, s: &mut String) {
    let Some(ps) = comp.pods.as_deref() else {
        return;
    };
    let mut rows: Vec<(String, String)> = ps
        .pods
        .iter()
        .enumerate()
        .filter(|(_, p)| p.phase == PodPhase::Running)
        .filter_map(|(i, p)| {
            let cores = p.cpu.as_deref()?.top?;
            let mem = p
                .memory(&comp.insts[i], now)
                .map_or("<unknown>".to_string(), |m| {
                    format!("{}Mi", (m as f64 / MIB).round())
                });
            let cpu = format!("{}m", (cores * 1000.0).round());
            Some((pod_name(name, p), format!("{cpu:<12} {mem}")))
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    rows.sort();
    let _ = writeln!(s, "$ kubectl top pods -l app={name}");
    let _ = writeln!(s, "{:<28} {:<12} MEMORY(bytes)", "NAME", "CPU(cores)");
    for (n, rest) in rows {
        let _ = writeln!(s, "{n:<28} {rest}");
    }
}

/// READY 1/1: the pod's Ready condition while its container runs.
pub(super) fn shows_ready(p: &Pod) -> bool {
    p.ready && p.phase == PodPhase::Running
}

/// kubectl's AGE: `45s`, `3m12s` (under 10 min), `125m` (under 3 h), `3h20m`
/// (k8s.io/apimachinery/pkg/util/duration `HumanDuration`).
pub(super) fn age(d: SimTime) -> String {
    let s = d.0 / SimTime::SECOND.0;
    match s {
        0..120 => format!("{s}s"),
        120..600 if s.is_multiple_of(60) => format!("{}m", s / 60),
        120..600 => format!("{}m{}s", s / 60, s % 60),
        600..10_800 => format!("{}m", s / 60),
        _ => format!("{}h{}m", s / 3600, (s % 3600) / 60),
    }
}

/// The characters Kubernetes uses in generated names (no vowels, no
/// look-alikes: k8s.io/apimachinery/pkg/util/rand `alphanums`).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

pub(super) fn hashed(parts: &[&[u8]], len: usize) -> String {
    // FNV-1a: deterministic across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
    }
    (0..len)
        .map(|_| {
            let c = ALPHANUMS[(h % ALPHANUMS.len() as u64) as usize] as char;
            h = crate::engine::rng::mix64(h);
            c
        })
        .collect()
}

/// A pod's name, `<deployment>-<template hash>-<suffix>` like
/// `web-app-6d7f89f6b7-hj9k2`, deterministic from the revision and serial.
pub(super) fn pod_name(name: &str, p: &Pod) -> String {
    let rev = p.revision.to_le_bytes();
    let serial = p.serial.to_le_bytes();
    format!(
        "{name}-{}-{}",
        hashed(&[name.as_bytes(), &rev], 10),
        hashed(&[name.as_bytes(), &rev, &serial], 5)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        let s = |x: u64| SimTime(x * SimTime::SECOND.0);
        assert_eq!(age(s(45)), "45s");
        assert_eq!(age(s(192)), "3m12s");
        assert_eq!(age(s(720)), "12m");
        assert_eq!(age(s(180)), "3m");
        assert_eq!(age(s(7_500)), "125m");
        assert_eq!(age(s(12_000)), "3h20m");
    }

    #[test]
    fn names_are_deterministic_and_differ_by_pod() {
        let a = hashed(&[b"web-app", &[0]], 10);
        assert_eq!(a, hashed(&[b"web-app", &[0]], 10));
        assert_ne!(a, hashed(&[b"web-app", &[1]], 10));
        assert!(a.bytes().all(|b| ALPHANUMS.contains(&b)));
    }
}
