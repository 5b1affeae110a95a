//! Which facts depend on timing, and the measurements section where they go with the figures.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::durability::Durability;
use super::failover::{Failover, PartitionChange};
use super::pauses::{Latency, Pause};
use super::progress::{Rebalance, Stall};
use super::{ActorCounts, Facts, GroupView, KeyPlacement};
use crate::record::events::{Event, EventKind};
use crate::record::names::Sym;
use crate::record::run_record::RunRecord;
use crate::scenario::model::CommitMode;
use crate::scenario::plan::{ActorPlan, Plan};

/// The parts of the facts that would differ from run to run.
#[derive(Debug, Default)]
pub struct TimingDependent {
    /// A paced producer ran: how many records were sent, consumed and by whom depends on time.
    pub counts: bool,
    /// A paced producer ran: which partitions its unkeyed records reached depends on how many.
    pub keys: bool,
    /// Groups whose duplicate count depends on whether an auto-commit fired before a crash,
    /// or on how far a member that exceeded max.poll.interval.ms had got in its batch.
    pub duplicates: BTreeSet<String>,
    /// Consumers whose largest poll never reached `max.poll.records`: the size depends on
    /// fetch timing.
    pub poll_batch: BTreeSet<String>,
    /// Topics whose unkeyed records went to random partitions in numbers too small, or too
    /// sticky, to be sure every partition was reached.
    pub unkeyed: BTreeSet<String>,
    /// Groups reading topics with randomly placed records: offsets per partition vary, their
    /// total does not.
    pub committed_per_partition: BTreeSet<String>,
}

/// Unkeyed records per partition above which a random partitioner reaches every partition
/// with certainty for practical purposes (a partition is missed with probability < e^-64).
const UNKEYED_PER_PARTITION_FOR_CERTAINTY: u64 = 64;

/// Decides what is timing-dependent in this run.
pub fn classify(plan: &Plan, record: &RunRecord, all: &Facts) -> TimingDependent {
    let mut started_at: BTreeMap<&str, Duration> = BTreeMap::new();
    let mut timing = TimingDependent {
        // Which of the alike consumers consumed what depends on ids the broker draws.
        counts: !plan.alike.is_empty(),
        ..TimingDependent::default()
    };
    for event in &record.events {
        let actor = plan.actors.get(&*event.actor);
        match (&event.kind, actor) {
            (EventKind::Started, Some(ActorPlan::Producer(p))) if p.rate.is_some() => {
                timing.counts = true;
                timing.keys = true;
            }
            // A program that runs until stopped sends at its own pace; one that ends by
            // itself sends what it was written to send.
            (EventKind::Started, Some(ActorPlan::Process(p))) => {
                started_at.insert(&event.actor, event.at);
                if let Some(group) = actor.and_then(ActorPlan::group) {
                    // When its own client commits is not the harness's to know.
                    timing.duplicates.insert(group.to_owned());
                } else if !p.exits {
                    timing.counts = true;
                    timing.keys = true;
                }
            }
            (EventKind::Started, _) => {
                started_at.insert(&event.actor, event.at);
            }
            (EventKind::Killed, Some(ActorPlan::Consumer(c))) if c.commit == CommitMode::Auto => {
                let lived = event
                    .at
                    .saturating_sub(started_at.get(&*event.actor).copied().unwrap_or_default());
                if c.auto_commit_interval
                    .is_some_and(|interval| lived >= interval)
                {
                    timing.duplicates.insert(c.group.clone());
                }
            }
            (EventKind::MaxPollExceeded | EventKind::Frozen, Some(ActorPlan::Consumer(c))) => {
                timing.duplicates.insert(c.group.clone());
            }
            _ => {}
        }
    }
    let mut unkeyed_counts: BTreeMap<Sym, (Arc<str>, u64)> = BTreeMap::new();
    for event in &record.events {
        if let EventKind::Produced(records) = &event.kind {
            for unkeyed in records.iter().filter(|r| r.key.is_none()) {
                let (_, count) = unkeyed_counts
                    .entry(unkeyed.topic)
                    .or_insert_with(|| (records.names().text(unkeyed.topic), 0));
                *count += 1;
            }
        }
    }
    for (topic, count) in unkeyed_counts.into_values() {
        let topic = &*topic;
        let partitions = plan
            .topics
            .iter()
            .find(|t| t.name == topic)
            .map_or(1, |t| t.partitions);
        if partitions == 1 {
            continue;
        }
        let sticky = plan.actors.values().any(|a| match a {
            ActorPlan::Producer(p) if p.topic == topic => !p
                .properties
                .iter()
                .any(|(k, v)| k == "sticky.partitioning.linger.ms" && v == "0"),
            _ => false,
        });
        if sticky || count < UNKEYED_PER_PARTITION_FOR_CERTAINTY * partitions as u64 {
            timing.unkeyed.insert(topic.to_owned());
        }
        for actor in plan.actors.values() {
            if let ActorPlan::Consumer(c) = actor
                && c.topics.iter().any(|t| t == topic)
            {
                timing.committed_per_partition.insert(c.group.clone());
            }
        }
    }
    for (name, max) in &all.max_poll_batch {
        if let Some(ActorPlan::Consumer(c)) = plan.actors.get(name)
            && (*max as usize) < c.max_poll_records
        {
            timing.poll_batch.insert(name.clone());
        }
    }
    timing
}

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

/// Seconds, rounded to the millisecond.
pub(super) fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
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
