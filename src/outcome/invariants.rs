//! The invariants of a whole run, judged on its events and on the records read back: each one
//! broken is named with the first witness found, so that a person can find it in the events.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::durability::Durability;
use crate::record::events::{Event, EventKind, RecordId, TopicPartition};
use crate::scenario::model::Invariant;
use crate::scenario::plan::{ActorPlan, Plan};

/// What broke one invariant: the first witness, and how many times it broke in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The first time it broke, in words.
    pub witness: String,
    /// How many times it broke over the run (offsets, commits or reads; producers that lost
    /// records).
    pub times: u64,
}

/// Every invariant of `wanted` that the run broke, with its witness; `durability` is the
/// producers' accounting against the records read back (empty without a read-back).
pub fn broken(
    plan: &Plan,
    events: &[Event],
    durability: &BTreeMap<String, Durability>,
    wanted: &[Invariant],
) -> BTreeMap<Invariant, Broken> {
    let mut out = BTreeMap::new();
    for invariant in wanted {
        let found = match invariant {
            Invariant::LostAcknowledged => lost_acknowledged(durability),
            Invariant::OffsetReused => offset_reused(events),
            Invariant::CommittedWentBack => committed_went_back(plan, events),
            Invariant::ReadBackwards => read_backwards(events),
            Invariant::TwoOwners => two_owners(plan, events),
        };
        if let Some(found) = found {
            out.insert(*invariant, found);
        }
    }
    out
}

/// Acknowledged records missing from the topics read back, over every producer.
fn lost_acknowledged(durability: &BTreeMap<String, Durability>) -> Option<Broken> {
    let losing: Vec<String> = durability
        .iter()
        .filter(|(_, d)| d.lost > 0)
        .map(|(producer, d)| {
            format!(
                "{producer} (acks={}) lost {} of {} acknowledged records",
                d.acks, d.lost, d.acknowledged
            )
        })
        .collect();
    (!losing.is_empty()).then(|| Broken {
        witness: losing.join("; "),
        times: losing.len() as u64,
    })
}

/// Which record a read found at an offset, who read it and when.
type Reading = (RecordId, Arc<str>, std::time::Duration);

/// An offset read holding one record by one read and another record by another (records with
/// a harness id only).
fn offset_reused(events: &[Event]) -> Option<Broken> {
    let mut held: HashMap<(Arc<str>, i32, i64), Reading> = HashMap::new();
    let mut first: Option<String> = None;
    let mut times = 0;
    for event in events {
        let EventKind::Consumed(records) = &event.kind else {
            continue;
        };
        let names = records.names();
        for record in records.iter() {
            let id = record.id();
            // A record known only by where it is (`@topic/partition`, no harness id) is named
            // by its offset: it cannot tell two records apart.
            if names.text(id.producer).starts_with('@') {
                continue;
            }
            let at = record.at(names);
            let key = (Arc::clone(&at.topic), at.partition, record.offset);
            match held.get(&key) {
                None => {
                    held.insert(key, (id, Arc::clone(&event.actor), event.at));
                }
                Some((before, reader, when)) if *before != id => {
                    times += 1;
                    first.get_or_insert_with(|| {
                        format!(
                            "{}/{} offset {} held {}:{} when {reader} read it at {:.1}s and {}:{} when {} read it at {:.1}s",
                            at.topic,
                            at.partition,
                            record.offset,
                            names.text(before.producer),
                            before.seq,
                            when.as_secs_f64(),
                            names.text(id.producer),
                            id.seq,
                            event.actor,
                            event.at.as_secs_f64(),
                        )
                    });
                }
                Some(_) => {}
            }
        }
    }
    first.map(|witness| Broken { witness, times })
}

/// A commit the broker accepted for a group and partition below one it accepted before.
fn committed_went_back(plan: &Plan, events: &[Event]) -> Option<Broken> {
    let mut last: HashMap<(&str, TopicPartition), (i64, &str, std::time::Duration)> =
        HashMap::new();
    let mut first: Option<String> = None;
    let mut times = 0;
    for event in events {
        let EventKind::Committed(offsets) = &event.kind else {
            continue;
        };
        let Some(group) = plan.group_of(&event.actor) else {
            continue;
        };
        for (at, offset) in offsets {
            let key = (group, at.clone());
            if let Some((before, by, when)) = last.get(&key)
                && offset < before
            {
                times += 1;
                first.get_or_insert_with(|| {
                    format!(
                        "group {group} {}/{}: {} committed {offset} at {:.1}s after {by} committed {before} at {:.1}s",
                        at.topic,
                        at.partition,
                        event.actor,
                        event.at.as_secs_f64(),
                        when.as_secs_f64(),
                    )
                });
            }
            last.insert(key, (*offset, &event.actor, event.at));
        }
    }
    first.map(|witness| Broken { witness, times })
}

/// A consumer reading an offset at or below one it read before from the same partition, with
/// no assignment, revocation, start or stop of its own in between.
fn read_backwards(events: &[Event]) -> Option<Broken> {
    let mut last: HashMap<(Arc<str>, TopicPartition), (i64, std::time::Duration)> = HashMap::new();
    let mut first: Option<String> = None;
    let mut times = 0;
    for event in events {
        match &event.kind {
            EventKind::Assigned(_)
            | EventKind::Revoked(_)
            | EventKind::Released(_)
            | EventKind::Started
            | EventKind::Stopped
            | EventKind::Killed => {
                last.retain(|(actor, _), _| *actor != event.actor);
            }
            EventKind::Consumed(records) => {
                let names = records.names();
                for record in records.iter() {
                    let key = (Arc::clone(&event.actor), record.at(names));
                    if let Some((before, when)) = last.get(&key)
                        && record.offset <= *before
                    {
                        times += 1;
                        first.get_or_insert_with(|| {
                            format!(
                                "{} read {}/{} offset {} at {:.1}s after offset {before} at {:.1}s",
                                event.actor,
                                key.1.topic,
                                key.1.partition,
                                record.offset,
                                event.at.as_secs_f64(),
                                when.as_secs_f64(),
                            )
                        });
                    }
                    last.insert(key, (record.offset, event.at));
                }
            }
            _ => {}
        }
    }
    first.map(|witness| Broken { witness, times })
}

/// A partition the group gave two members at once: one member was assigned it while another
/// held it, and that other was then assigned it again, by a rebalance of its own, before it
/// gave it back. A new owner assigned a partition whose old owner has not given it back yet is
/// the revocation in progress, not a break: the old owner may be slow to serve its rebalance
/// callback, frozen, or a zombie whose session ended without its knowing, and it gives the
/// partition back when it comes to it (revoked, released, told it was lost, stopped or
/// crashed). The harness's own consumers only: a program's assignments are seen from outside,
/// late.
fn two_owners(plan: &Plan, events: &[Event]) -> Option<Broken> {
    let group_of = |actor: &str| match plan.actors.get(actor) {
        Some(ActorPlan::Consumer(consumer)) => Some(consumer.group.as_str()),
        _ => None,
    };
    // Per member, what it holds and since which event.
    let mut held: HashMap<&str, BTreeMap<TopicPartition, usize>> = HashMap::new();
    // A member assigned a partition another member (the key) still held: the partition, the
    // newcomer and the event, until the holder gives it back or is assigned again.
    let mut pending: HashMap<&str, Vec<(TopicPartition, &str, usize)>> = HashMap::new();
    let mut first: Option<String> = None;
    let mut times = 0;
    for (index, event) in events.iter().enumerate() {
        let member: &str = &event.actor;
        let Some(group) = group_of(member) else {
            continue;
        };
        match &event.kind {
            EventKind::Assigned(parts) => {
                // Assigned again: what it was still to give back and keeps is held twice.
                for (part, newcomer, at) in pending.remove(member).unwrap_or_default() {
                    let still = held.get(newcomer).is_some_and(|h| h.contains_key(&part));
                    if !still || !parts.contains(&part) {
                        continue;
                    }
                    times += 1;
                    first.get_or_insert_with(|| {
                        format!(
                            "group {group} {}/{}: {newcomer} was assigned it at {:.1}s while {member} held it, and {member} was assigned it again at {:.1}s before giving it back",
                            part.topic,
                            part.partition,
                            events[at].at.as_secs_f64(),
                            event.at.as_secs_f64(),
                        )
                    });
                }
                for (other, holding) in &held {
                    if *other == member || group_of(other) != Some(group) {
                        continue;
                    }
                    for part in parts.iter().filter(|p| holding.contains_key(*p)) {
                        pending
                            .entry(other)
                            .or_default()
                            .push((part.clone(), member, index));
                    }
                }
                let before = held.remove(member).unwrap_or_default();
                let now = parts
                    .iter()
                    .map(|part| (part.clone(), before.get(part).copied().unwrap_or(index)))
                    .collect();
                held.insert(member, now);
            }
            EventKind::Revoked(_) | EventKind::Started | EventKind::Stopped | EventKind::Killed => {
                held.remove(member);
                pending.remove(member);
            }
            EventKind::Released(parts) => {
                if let Some(holding) = held.get_mut(member) {
                    for part in parts {
                        holding.remove(part);
                    }
                }
                if let Some(waiting) = pending.get_mut(member) {
                    waiting.retain(|(part, _, _)| !parts.contains(part));
                }
            }
            _ => {}
        }
    }
    first.map(|witness| Broken { witness, times })
}

#[cfg(test)]
mod tests;
