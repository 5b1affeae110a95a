//! Which facts depend on timing: the parts of a run's facts that would differ from run to run,
//! which the Outcome moves to its measurements section.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use super::facts::Facts;
use crate::record::events::EventKind;
use crate::record::run_record::RunRecord;
use crate::record::symbols::Sym;
use crate::scenario::model::CommitPolicy;
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
    /// Consumers whose largest poll never reached `max.poll.records` (the size depends on
    /// fetch timing), and every consumer when the counts depend on timing (a paced producer
    /// ran, say: whether a backlog ever filled a poll depends on how long the pauses took).
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
            (EventKind::Killed, Some(ActorPlan::Consumer(c))) if c.commit == CommitPolicy::Auto => {
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
            && (timing.counts || (*max as usize) < c.max_poll_records)
        {
            timing.poll_batch.insert(name.clone());
        }
    }
    timing
}
