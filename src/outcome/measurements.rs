//! The Outcome's measurements section: timings and figures that differ from run to run (step
//! and burst times, departures, rebalance pauses, failovers, stalls), with the facts that
//! depend on timing. Snapshots redact it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::durability::Durability;
use super::failover::{Failover, PartitionChange};
use super::pauses::{Latency, Pause};
use super::progress::{Rebalance, Stall};
use super::rounding::seconds;
use super::views::{ActorCounts, GroupView, KeyPlacement};
use crate::record::events::{Event, EventKind};
use crate::record::run_record::RunRecord;
use crate::scenario::plan::Plan;

/// Figures that vary from run to run; redacted in snapshots.
#[derive(Debug, Clone, Serialize)]
pub struct Measurements {
    /// Whole run, in seconds.
    pub seconds: f64,
    /// When each step started and how long it took.
    pub steps: Vec<StepMeasure>,
    /// Throughput of each `produce` step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bursts: Vec<BurstMeasure>,
    /// How long after each stop or kill the rest of the group started rebalancing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub departures: Vec<Departure>,
    /// Actor counts that depend on timing.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub actors: BTreeMap<String, ActorCounts>,
    /// Group figures that depend on timing.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, GroupView>,
    /// Key placement that depends on timing.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: BTreeMap<String, KeyPlacement>,
    /// Producer -> what it was told against what the topics held when read back.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub durability: BTreeMap<String, Durability>,
    /// Partitions that lost their leader to a fault, and how long until a new one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failovers: Vec<Failover>,
    /// Leaders and in-sync replicas of the scenario's partitions as they changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<PartitionChange>,
    /// Every group's rebalances: when each began and how long until all members held
    /// partitions again.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rebalances: Vec<Rebalance>,
    /// Group -> the longest time it had records waiting and processed none for the first time.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub no_progress: BTreeMap<String, Stall>,
    /// Group -> acknowledgement-to-consumption latency outside its rebalances.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub steady_latency: BTreeMap<String, Latency>,
    /// Group -> the cost of all its rebalances taken together, from its first assignment to
    /// the end: what variants are compared on.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub whole_run: BTreeMap<String, Pause>,
}

/// One step's timing.
#[derive(Debug, Clone, Serialize)]
pub struct StepMeasure {
    /// `line N: step`.
    pub at: String,
    /// Offset from the start, seconds.
    pub started_s: f64,
    /// Duration, seconds.
    pub took_s: f64,
}

/// One burst's throughput.
#[derive(Debug, Clone, Serialize)]
pub struct BurstMeasure {
    /// `line N`.
    pub at: String,
    /// Producer actor.
    pub actor: String,
    /// Records sent.
    pub records: u64,
    /// Seconds from the first send to the last acknowledgement.
    pub seconds: f64,
    /// Records per second.
    pub records_per_second: f64,
    /// Produce requests (librdkafka statistics).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub produce_requests: Option<i64>,
}

/// A member leaving (or falling silent) and the group noticing.
#[derive(Debug, Clone, Serialize)]
pub struct Departure {
    /// The actor that left.
    pub actor: String,
    /// `stop` (graceful: a LeaveGroup from the harness's consumers; SIGINT for a process, whose
    /// client decides), `kill` (crash) or `freeze` (silent, still a member).
    pub how: &'static str,
    /// Offset from the start, seconds.
    pub at_s: f64,
    /// Seconds until another member of the group was first revoked or assigned (for a freeze:
    /// before the thaw).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_rebalanced_after_s: Option<f64>,
    /// For a freeze: when it was thawed, seconds from the start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thawed_at_s: Option<f64>,
    /// For a freeze the group noticed before the thaw: seconds from the thaw until the member
    /// held partitions again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejoined_after_s: Option<f64>,
}

/// Gathers the measurements section.
pub fn measurements(
    plan: &Plan,
    record: &RunRecord,
    actors: BTreeMap<String, ActorCounts>,
    groups: BTreeMap<String, GroupView>,
    keys: BTreeMap<String, KeyPlacement>,
) -> Measurements {
    Measurements {
        seconds: seconds(record.wall_time),
        steps: record
            .steps
            .iter()
            .map(|s| StepMeasure {
                at: format!("line {}: {}", s.line, s.step),
                started_s: seconds(s.started),
                took_s: seconds(s.took),
            })
            .collect(),
        bursts: record
            .bursts
            .iter()
            .map(|b| BurstMeasure {
                at: format!("line {}", b.line),
                actor: b.actor.clone(),
                records: b.records,
                seconds: seconds(b.took),
                records_per_second: (b.records as f64 / b.took.as_secs_f64().max(1e-9)).round(),
                produce_requests: b.produce_requests,
            })
            .collect(),
        departures: departures(plan, record),
        actors,
        groups,
        keys,
        durability: BTreeMap::new(),
        failovers: Vec::new(),
        partitions: Vec::new(),
        rebalances: Vec::new(),
        no_progress: BTreeMap::new(),
        steady_latency: BTreeMap::new(),
        whole_run: BTreeMap::new(),
    }
}

fn departures(plan: &Plan, record: &RunRecord) -> Vec<Departure> {
    let group_of = |actor: &str| plan.group_of(actor);
    let mut out = Vec::new();
    for (i, event) in record.events.iter().enumerate() {
        let how = match event.kind {
            EventKind::Stopped => "stop",
            EventKind::Killed => "kill",
            EventKind::Frozen => "freeze",
            _ => continue,
        };
        let Some(group) = group_of(&event.actor) else {
            continue;
        };
        let own =
            |e: &&Event, kind: fn(&EventKind) -> bool| e.actor == event.actor && kind(&e.kind);
        let mut later = &record.events[i + 1..];
        let mut thawed = None;
        if how == "freeze" {
            // What follows belongs to this freeze until the member ends, starts or freezes again.
            let bound = later
                .iter()
                .position(|e| {
                    own(&e, |k| {
                        matches!(
                            k,
                            EventKind::Stopped
                                | EventKind::Killed
                                | EventKind::Started
                                | EventKind::Frozen
                        )
                    })
                })
                .unwrap_or(later.len());
            later = &later[..bound];
            thawed = later
                .iter()
                .position(|e| own(&e, |k| matches!(k, EventKind::Thawed)));
        }
        // A freeze the group noticed only after the thaw was not noticed as a freeze.
        let watched = &later[..thawed.unwrap_or(later.len())];
        let rebalanced = watched
            .iter()
            .find(|e| {
                e.actor != event.actor
                    && group_of(&e.actor) == Some(group)
                    && matches!(
                        e.kind,
                        EventKind::Revoked(_) | EventKind::Released(_) | EventKind::Assigned(_)
                    )
            })
            .map(|e| seconds(e.at.saturating_sub(event.at)));
        // Only a member the group rebalanced without has to rejoin.
        let rejoined = thawed.filter(|_| rebalanced.is_some()).and_then(|t| {
            later[t + 1..]
                .iter()
                .find(|e| own(e, |k| matches!(k, EventKind::Assigned(_))))
                .map(|e| seconds(e.at.saturating_sub(later[t].at)))
        });
        out.push(Departure {
            actor: event.actor.to_string(),
            how,
            at_s: seconds(event.at),
            group_rebalanced_after_s: rebalanced,
            thawed_at_s: thawed.map(|t| seconds(later[t].at)),
            rejoined_after_s: rejoined,
        });
    }
    out
}
