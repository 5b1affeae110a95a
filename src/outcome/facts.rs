//! Events -> facts: every count, offset and key placement a scenario can expect, whether or not
//! it is stable enough to snapshot.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use super::durability::{Durability, durability};
use super::invariants::Broken;
use crate::record::events::{Event, EventKind, ProducedRecord, RecordId, Records};
use crate::record::ids::IdSet;
use crate::record::run_record::{Checkpoint, Committed, Stored};
use crate::record::state::Holding;
use crate::record::state::LiveState;
use crate::record::symbols::{Sym, Symbols};
use crate::scenario::model::Invariant;
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
    /// The line of the checkpoint's step; `None` for the end of the timeline.
    pub line: Option<usize>,
    /// The invariants of the final `expect:` that the whole run broke (filled in at the end of
    /// the run only).
    pub broken: BTreeMap<Invariant, Broken>,
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

/// A topic and a key (or none), by their symbols.
type Placement = (Sym, Option<Sym>);

/// Folds the events into facts; `stored` is what the topics held when read back, if they were.
pub fn facts(
    plan: &Plan,
    events: &[Event],
    committed: &Committed,
    checkpoint: Option<&Checkpoint>,
    stored: Option<&Stored>,
) -> Facts {
    let live = LiveState::of(events, |actor| plan.group_of(actor).map(str::to_owned));
    let mut f = Facts {
        frozen: checkpoint.map(|c| c.frozen.clone()).unwrap_or_default(),
        line: checkpoint.and_then(|c| c.line),
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
    // Group -> consumptions, and the distinct record ids among them.
    let mut consumed_ids: BTreeMap<&str, (u64, IdSet)> = BTreeMap::new();
    // Topic -> acknowledged record ids.
    let mut produced_ids: BTreeMap<Arc<str>, IdSet> = BTreeMap::new();
    // Topic -> key -> partitions, by symbol, named once at the end.
    let mut placed: HashMap<Placement, (Arc<Symbols>, BTreeSet<i32>)> = HashMap::new();
    for event in events {
        let actor = event.actor.to_string();
        match &event.kind {
            EventKind::Consumed(records) => {
                *f.consumed.entry(actor).or_default() += records.len() as u64;
                if let Some((group, _)) = member_of.get(&*event.actor) {
                    let (times, ids) = consumed_ids.entry(group).or_default();
                    *times += records.len() as u64;
                    for record in records.iter() {
                        ids.insert(record.id());
                    }
                }
            }
            EventKind::PollBatch(n) => {
                let max = f.max_poll_batch.entry(actor).or_default();
                *max = (*max).max(*n as u64);
            }
            EventKind::Produced(records) => {
                *f.produced.entry(actor).or_default() += records.len() as u64;
                let names = records.names();
                for record in records.iter() {
                    let place = (record.topic, record.key);
                    let (_, partitions) = placed
                        .entry(place)
                        .or_insert_with(|| (Arc::clone(names), BTreeSet::new()));
                    partitions.insert(record.partition);
                }
                for (topic, ids) in by_topic(records) {
                    produced_ids.entry(topic).or_default().extend(ids);
                }
            }
            EventKind::ProduceFailed { .. } => *f.failed.entry(actor).or_default() += 1,
            EventKind::Committed(_) => *f.commits.entry(actor).or_default() += 1,
            EventKind::MaxPollExceeded => *f.max_poll_exceeded.entry(actor).or_default() += 1,
            _ => {}
        }
    }
    for ((topic, key), (names, partitions)) in placed {
        let topic = names.text(topic).to_string();
        match key {
            Some(key) => f
                .keyed
                .entry(topic)
                .or_default()
                .entry(names.text(key).to_string())
                .or_default()
                .extend(partitions),
            None => f.unkeyed.entry(topic).or_default().extend(partitions),
        }
    }
    for (group, topics) in member_of.values() {
        let (times, ids) = consumed_ids
            .get(group)
            .map_or((0, None), |(times, ids)| (*times, Some(ids)));
        let records = ids.map_or(0, IdSet::len);
        let duplicates = times - records;
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
            .map(|(_, produced)| produced.missing_from(ids))
            .sum();
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

/// The records' ids by the name of their topic (a producer's records are of one topic).
fn by_topic(
    records: &Records<ProducedRecord>,
) -> impl Iterator<Item = (Arc<str>, Vec<RecordId>)> + '_ {
    let mut topics: Vec<(Sym, Vec<RecordId>)> = Vec::new();
    for record in records.iter() {
        match topics.iter_mut().find(|(topic, _)| *topic == record.topic) {
            Some((_, ids)) => ids.push(record.id()),
            None => topics.push((record.topic, vec![record.id()])),
        }
    }
    topics
        .into_iter()
        .map(|(topic, ids)| (records.names().text(topic), ids))
}
