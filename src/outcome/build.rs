//! A run's record -> its facts -> the normalised Outcome: the facts are built once, the parts
//! that depend on timing are moved to the measurements section, the rest is what snapshots pin.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;

use super::crowd::crowd_views;
use super::facts::{Facts, facts};
use super::measurements::{self, Measurements};
use super::views::{
    ActorCounts, AssignmentView, CheckpointView, DurabilityView, GroupView, KeyPlacement,
    Partitions,
};
use super::{durability, failover, invariants, progress, timing};
use crate::record::events::TopicPartition;
use crate::record::run_record::{Checkpoint, RunRecord};
use crate::record::state::Holding;
use crate::scenario::model::AssignmentDetail;
use crate::scenario::plan::{ActorPlan, Plan};

/// The deterministic result of a scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Scenario name.
    pub scenario: String,
    /// The variant that ran, when the scenario has variants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The assignment at every `await`, `expect` and at the end of the timeline.
    pub checkpoints: Vec<CheckpointView>,
    /// Per actor counts that do not depend on timing.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub actors: BTreeMap<String, ActorCounts>,
    /// Per group accounting and committed offsets.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, GroupView>,
    /// Where keyed and unkeyed records went, per topic.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: BTreeMap<String, KeyPlacement>,
    /// Per producer, what its settings guarantee about the records read back after the run
    /// (scenarios with brokers of their own); the full accounting is in `measurements`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub durability: BTreeMap<String, DurabilityView>,
    /// Timings, throughput and the counts that depend on them.
    pub measurements: Measurements,
}

/// The facts of a whole run (at its end, with the topics as read back): built once and shared
/// by the Outcome, the final expectations and the reports.
pub fn run_facts(plan: &Plan, record: &RunRecord) -> Facts {
    let end = record.checkpoints.last();
    let stored = record.stored.as_ref().and_then(|s| s.as_ref().ok());
    let mut all = facts(plan, &record.events, &record.committed, end, stored);
    if let Some(expect) = &plan.final_expect {
        all.broken = invariants::broken(plan, &record.events, &all.durability, &expect.invariants);
    }
    all
}

/// Builds the Outcome of a finished run.
pub fn build(plan: &Plan, record: &RunRecord, all: &Facts) -> Outcome {
    let timing_dependent = timing::classify(plan, record, all);
    let (actors, moved_actors) = split_actors(all, &timing_dependent);
    let (actors, moved_actors) = (by_crowd(plan, actors), by_crowd(plan, moved_actors));
    let (groups, moved_groups) = split_groups(plan, all, &timing_dependent);
    let (keys, moved_keys) = split_keys(key_placement(all), &timing_dependent);
    Outcome {
        scenario: plan.name.clone(),
        variant: plan.variant.as_ref().map(|v| v.name.clone()),
        checkpoints: record
            .checkpoints
            .iter()
            .map(|c| checkpoint_view(plan, c))
            .collect(),
        actors,
        groups,
        keys,
        durability: all
            .durability
            .iter()
            .map(|(producer, d)| (producer.clone(), guaranteed(plan, producer, d)))
            .collect(),
        measurements: Measurements {
            durability: all.durability.clone(),
            failovers: failover::failovers(&record.events),
            partitions: failover::partition_changes(&record.events),
            rebalances: progress::rebalances(plan, &record.events),
            steady_latency: progress::steady_latencies(plan, &record.events),
            whole_run: progress::whole_runs(plan, &record.events),
            no_progress: progress::stalls(plan, &record.events),
            ..measurements::measurements(plan, record, moved_actors, moved_groups, moved_keys)
        },
    }
}

/// What the producer's settings guarantee of its accounting.
fn guaranteed(plan: &Plan, producer: &str, d: &durability::Durability) -> DurabilityView {
    let unclean = match plan.actors.get(producer) {
        Some(ActorPlan::Producer(p)) => plan.topics.iter().any(|t| {
            t.name == p.topic
                && t.config
                    .iter()
                    .any(|(k, v)| k == "unclean.leader.election.enable" && v == "true")
        }),
        _ => false,
    };
    DurabilityView {
        acks: d.acks.clone(),
        lost: (d.acks == "all" && !unclean).then_some(d.lost),
        duplicated: d.idempotent.then_some(d.duplicated),
    }
}

fn checkpoint_view(plan: &Plan, checkpoint: &Checkpoint) -> CheckpointView {
    let crowds = crowd_views(
        plan,
        &checkpoint.assignment,
        &checkpoint.frozen,
        checkpoint.line,
    );
    let mut assignment: BTreeMap<String, AssignmentView> = checkpoint
        .assignment
        .iter()
        .filter(|(actor, _)| plan.crowd_of(actor).is_none())
        .map(|(actor, holding)| {
            let view = match (plan.assignments, holding) {
                (AssignmentDetail::Counts, Some(parts)) if !checkpoint.frozen.contains(actor) => {
                    AssignmentView::Count(parts.len())
                }
                _ => assignment_view(plan, actor, holding, &checkpoint.frozen),
            };
            (actor.to_string(), view)
        })
        .chain(
            crowds
                .into_iter()
                .map(|(crowd, view)| (crowd, AssignmentView::Crowd(view))),
        )
        .collect();
    for set in &plan.alike {
        let mut members = Vec::new();
        let mut views = Vec::new();
        for actor in set {
            if let Some(view) = assignment.remove(actor) {
                members.push(actor.as_str());
                views.push(view);
            }
        }
        match (members.as_slice(), views.len()) {
            ([alone], 1) => {
                assignment.insert((*alone).to_owned(), views.remove(0));
            }
            (_, 0) => {}
            _ => {
                views.sort_by_key(ToString::to_string);
                assignment.insert(members.join(" | "), AssignmentView::Alike(views));
            }
        }
    }
    CheckpointView {
        at: checkpoint_at(checkpoint),
        assignment,
    }
}

/// What every running consumer held at a checkpoint, crowds' members one by one: the detail
/// behind the Outcome's summary of a crowd, kept in `results.json`.
pub fn members_view(plan: &Plan, checkpoint: &Checkpoint) -> CheckpointView {
    CheckpointView {
        at: checkpoint_at(checkpoint),
        assignment: checkpoint
            .assignment
            .iter()
            .map(|(actor, holding)| {
                let view = assignment_view(plan, actor, holding, &checkpoint.frozen);
                (actor.to_string(), view)
            })
            .collect(),
    }
}

/// A checkpoint's name: `line 14: await stable g`, or `end`.
fn checkpoint_at(checkpoint: &Checkpoint) -> String {
    match checkpoint.line {
        Some(line) => format!("line {line}: {}", checkpoint.step),
        None => checkpoint.step.clone(),
    }
}

/// A holding as a list (one topic) or per topic; `frozen` consumers show as such.
pub fn assignment_view(
    plan: &Plan,
    actor: &str,
    holding: &Holding,
    frozen: &BTreeSet<Arc<str>>,
) -> AssignmentView {
    if frozen.contains(actor) {
        return AssignmentView::Status("frozen");
    }
    let Some(parts) = holding else {
        return AssignmentView::Status("rebalancing");
    };
    let topics = plan
        .actors
        .get(actor)
        .map_or_else(Vec::new, |a| a.consumed_topics().to_vec());
    let of = |topic: &str| -> Vec<i32> {
        parts
            .iter()
            .filter(|p: &&TopicPartition| &*p.topic == topic)
            .map(|p| p.partition)
            .collect()
    };
    match topics.as_slice() {
        [only] => AssignmentView::Partitions(of(only)),
        _ => AssignmentView::PerTopic(topics.iter().map(|t| (t.clone(), of(t))).collect()),
    }
}

type Split<T> = (BTreeMap<String, T>, BTreeMap<String, T>);

/// Actor counts with a crowd's members summed up under the crowd's name (records consumed,
/// commits, polls past `max.poll.interval.ms`), its largest poll the largest of any member's.
fn by_crowd(plan: &Plan, counts: BTreeMap<String, ActorCounts>) -> BTreeMap<String, ActorCounts> {
    let mut folded: BTreeMap<String, ActorCounts> = BTreeMap::new();
    for (actor, member) in counts {
        let Some(crowd) = plan.crowd_of(&actor) else {
            folded.insert(actor, member);
            continue;
        };
        let entry = folded.entry(crowd.to_owned()).or_default();
        let sum = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        entry.consumed = sum(entry.consumed, member.consumed);
        entry.produced = sum(entry.produced, member.produced);
        entry.failed = sum(entry.failed, member.failed);
        entry.commits = sum(entry.commits, member.commits);
        entry.max_poll_exceeded = sum(entry.max_poll_exceeded, member.max_poll_exceeded);
        entry.max_poll_batch = entry.max_poll_batch.max(member.max_poll_batch);
    }
    folded
}

fn split_actors(all: &Facts, timing: &timing::TimingDependent) -> Split<ActorCounts> {
    let mut keep = BTreeMap::new();
    let mut moved = BTreeMap::new();
    let names: std::collections::BTreeSet<&String> = all
        .consumed
        .keys()
        .chain(all.produced.keys())
        .chain(all.failed.keys())
        .chain(all.commits.keys())
        .collect();
    for name in names {
        let full = ActorCounts {
            consumed: all.consumed.get(name).copied(),
            produced: all.produced.get(name).copied(),
            failed: all.failed.get(name).copied(),
            max_poll_batch: all.max_poll_batch.get(name).copied(),
            commits: None,
            max_poll_exceeded: all.max_poll_exceeded.get(name).copied(),
        };
        let mut stable = full.clone();
        let mut varying = ActorCounts {
            commits: all.commits.get(name).copied(),
            ..ActorCounts::default()
        };
        if timing.counts {
            varying.consumed = stable.consumed.take();
            varying.produced = stable.produced.take();
            varying.failed = stable.failed.take();
        }
        if timing.poll_batch.contains(name) {
            varying.max_poll_batch = stable.max_poll_batch.take();
        }
        if stable != ActorCounts::default() {
            keep.insert(name.clone(), stable);
        }
        if varying != ActorCounts::default() {
            moved.insert(name.clone(), varying);
        }
    }
    (keep, moved)
}

fn split_groups(plan: &Plan, all: &Facts, timing: &timing::TimingDependent) -> Split<GroupView> {
    let mut keep = BTreeMap::new();
    let mut moved = BTreeMap::new();
    for (group, g) in &all.groups {
        let mut stable = GroupView {
            records: Some(g.records),
            duplicates: Some(g.duplicates),
            lost: Some(g.lost),
            committed: all.committed.get(group).cloned(),
            committed_total: None,
            rebalances: Some(g.rebalances),
        };
        let mut varying = GroupView::default();
        if !plan.states_rebalances(group) {
            varying.rebalances = stable.rebalances.take();
        }
        if timing.counts {
            varying.records = stable.records.take();
            varying.committed = stable.committed.take();
        }
        if timing.counts || timing.duplicates.contains(group) {
            varying.duplicates = stable.duplicates.take();
            varying.committed = varying.committed.or(stable.committed.take());
        }
        if timing.committed_per_partition.contains(group)
            && let Some(committed) = stable.committed.take()
        {
            stable.committed_total = Some(committed.values().flat_map(|p| p.values()).sum());
            varying.committed = Some(committed);
        }
        keep.insert(group.clone(), stable);
        if varying != GroupView::default() {
            moved.insert(group.clone(), varying);
        }
    }
    (keep, moved)
}

fn split_keys(
    all: BTreeMap<String, KeyPlacement>,
    timing: &timing::TimingDependent,
) -> Split<KeyPlacement> {
    if timing.keys {
        return (BTreeMap::new(), all);
    }
    let mut keep = BTreeMap::new();
    let mut moved = BTreeMap::new();
    for (topic, mut placement) in all {
        if timing.unkeyed.contains(&topic) {
            let unkeyed = std::mem::take(&mut placement.unkeyed);
            moved.insert(
                topic.clone(),
                KeyPlacement {
                    keyed: BTreeMap::new(),
                    unkeyed,
                },
            );
        }
        if placement != KeyPlacement::default() {
            keep.insert(topic, placement);
        }
    }
    (keep, moved)
}

fn key_placement(all: &Facts) -> BTreeMap<String, KeyPlacement> {
    let mut keys: BTreeMap<String, KeyPlacement> = BTreeMap::new();
    for (topic, by_key) in &all.keyed {
        let entry = keys.entry(topic.clone()).or_default();
        for (key, parts) in by_key {
            let parts: Vec<i32> = parts.iter().copied().collect();
            entry.keyed.insert(
                key.clone(),
                match parts.as_slice() {
                    [one] => Partitions::One(*one),
                    _ => Partitions::Many(parts),
                },
            );
        }
    }
    for (topic, parts) in &all.unkeyed {
        keys.entry(topic.clone()).or_default().unkeyed = parts.iter().copied().collect();
    }
    keys
}

#[cfg(test)]
mod tests;
