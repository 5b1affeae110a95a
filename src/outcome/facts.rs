//! Events -> facts: every count, offset and key placement a scenario can expect, whether or not
//! it is stable enough to snapshot.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use super::durability::{Durability, durability};
use crate::run::barrier::group_of;
use crate::run::events::{Event, EventKind, RecordId};
use crate::run::record::{Checkpoint, Committed, Stored};
use crate::run::state::Holding;
use crate::run::state::LiveState;
use crate::scenario::plan::Plan;

/// What the run did, in full.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Actor -> records consumed, re-deliveries included.
    pub consumed: BTreeMap<String, u64>,
    /// Actor -> records acknowledged.
    pub produced: BTreeMap<String, u64>,
    /// Actor -> records that failed delivery.
    pub failed: BTreeMap<String, u64>,
    /// Actor -> largest poll batch.
    pub max_poll_batch: BTreeMap<String, u64>,
    /// Actor -> commits the broker accepted.
    pub commits: BTreeMap<String, u64>,
    /// Consumer -> times it left its group for exceeding `max.poll.interval.ms`.
    pub max_poll_exceeded: BTreeMap<String, u64>,
    /// Group -> per-group record accounting.
    pub groups: BTreeMap<String, GroupFacts>,
    /// Committed offsets, as the broker reports them.
    pub committed: Committed,
    /// Topic -> key -> partitions its records went to.
    pub keyed: BTreeMap<String, BTreeMap<String, BTreeSet<i32>>>,
    /// Topic -> partitions unkeyed records went to.
    pub unkeyed: BTreeMap<String, BTreeSet<i32>>,
    /// The assignment of running consumers at the checkpoint these facts belong to.
    pub assignment: BTreeMap<String, Holding>,
    /// Producer -> its accounting against the records read back (only after a read-back).
    pub durability: BTreeMap<String, Durability>,
    /// Consumers frozen at the checkpoint.
    pub frozen: BTreeSet<Arc<str>>,
}

/// Records from a group's point of view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupFacts {
    /// Distinct records consumed by the group's members.
    pub records: u64,
    /// Consumptions beyond the first of the same record.
    pub duplicates: u64,
    /// Records acknowledged to a subscribed topic that no member consumed.
    pub lost: u64,
    /// Rebalances as the members saw them (`state::RebalanceSpan`), the first join included.
    pub rebalances: u64,
}

/// Folds the events into facts; `stored` is what the topics held when read back, if they were.
pub fn facts(
    plan: &Plan,
    events: &[Event],
    committed: &Committed,
    checkpoint: Option<&Checkpoint>,
    stored: Option<&Stored>,
) -> Facts {
    let live = LiveState::of(events, group_of(plan));
    let mut f = Facts {
        frozen: checkpoint.map(|c| c.frozen.clone()).unwrap_or_default(),
        durability: stored.map_or_else(BTreeMap::new, |stored| durability(plan, events, stored)),
        committed: committed.clone(),
        assignment: checkpoint
            .iter()
            .flat_map(|c| &c.assignment)
            .map(|(actor, holding)| (actor.to_string(), holding.clone()))
            .collect(),
        ..Facts::default()
    };
    let member_of: HashMap<&str, (&str, &[String])> = plan
        .actors
        .iter()
        .filter_map(|(name, a)| Some((name.as_str(), (a.group()?, a.consumed_topics()))))
        .collect();
    // Group -> record id -> times consumed.
    let mut consumed_ids: BTreeMap<&str, HashMap<RecordId, u64>> = BTreeMap::new();
    // Topic -> acknowledged record ids.
    let mut produced_ids: BTreeMap<Arc<str>, HashSet<RecordId>> = BTreeMap::new();
    for event in events {
        let actor = event.actor.to_string();
        match &event.kind {
            EventKind::Consumed { id, .. } => {
                *f.consumed.entry(actor).or_default() += 1;
                if let Some((group, _)) = member_of.get(&*event.actor) {
                    *consumed_ids
                        .entry(group)
                        .or_default()
                        .entry(id.clone())
                        .or_default() += 1;
                }
            }
            EventKind::PollBatch(n) => {
                let max = f.max_poll_batch.entry(actor).or_default();
                *max = (*max).max(*n as u64);
            }
            EventKind::Produced { at, key, id } => {
                *f.produced.entry(actor).or_default() += 1;
                produced_ids
                    .entry(Arc::clone(&at.topic))
                    .or_default()
                    .insert(id.clone());
                let topic = at.topic.to_string();
                match key {
                    Some(key) => {
                        f.keyed
                            .entry(topic)
                            .or_default()
                            .entry(key.to_string())
                            .or_default()
                            .insert(at.partition);
                    }
                    None => {
                        f.unkeyed.entry(topic).or_default().insert(at.partition);
                    }
                }
            }
            EventKind::ProduceFailed { .. } => *f.failed.entry(actor).or_default() += 1,
            EventKind::Committed(_) => *f.commits.entry(actor).or_default() += 1,
            EventKind::MaxPollExceeded => *f.max_poll_exceeded.entry(actor).or_default() += 1,
            _ => {}
        }
    }
    for (group, topics) in member_of.values() {
        let ids = consumed_ids.get(group);
        let records = ids.map_or(0, |ids| ids.len() as u64);
        let duplicates = ids.map_or(0, |ids| ids.values().map(|n| n - 1).sum());
        let subscribed: BTreeSet<&str> = plan
            .actors
            .values()
            .filter(|a| a.group() == Some(group))
            .flat_map(|a| a.consumed_topics().iter().map(String::as_str))
            .chain(topics.iter().map(String::as_str))
            .collect();
        let lost = produced_ids
            .iter()
            .filter(|(topic, _)| subscribed.contains(&***topic))
            .flat_map(|(_, ids)| ids.iter())
            .filter(|id| ids.is_none_or(|seen| !seen.contains_key(*id)))
            .count() as u64;
        f.groups.insert(
            (*group).to_owned(),
            GroupFacts {
                records,
                duplicates,
                lost,
                rebalances: live.rebalances.get(*group).map_or(0, |r| r.len() as u64),
            },
        );
    }
    f
}
