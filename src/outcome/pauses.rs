//! What a rebalance costs, from the event log (course section 2, "Stop The World"): within one
//! rebalance of a group, how long no member owned a partition (the stop-the-world), how long
//! each member was left without partitions, the longest a partition went from losing its owner
//! to its next owner's first record, and how long records acknowledged during the rebalance
//! took to be consumed, next to the same figure outside rebalances.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use serde::Serialize;

use super::rounding::seconds;
use crate::record::events::{Event, EventKind, ProducedRecord, RecordId, Records, TopicPartition};
use crate::record::ids::{IdSet, SeqIndex};
use crate::record::state::RebalanceSpan;
use crate::record::symbols::Sym;

/// The cost of one rebalance.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Pause {
    /// Seconds within the rebalance when no running member owned any partition.
    pub stop_the_world_s: f64,
    /// Member -> seconds from a revocation in this rebalance to its next assignment (or its
    /// stop or kill); a member still waiting when the run ended is counted until then.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub paused_s: BTreeMap<String, f64>,
    /// The partition that waited longest from losing its owner to its next owner's first
    /// record, and that wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub largest_gap: Option<PartitionGap>,
    /// Records waiting at some moment of the rebalance: acknowledgement to first consumption.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<Latency>,
}

/// One partition's wait for its next owner's first record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionGap {
    /// `topic/partition`.
    pub partition: String,
    /// Seconds.
    pub seconds: f64,
}

/// Acknowledgement-to-consumption latency of a set of records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Latency {
    /// Records measured.
    pub records: usize,
    /// The slowest, milliseconds.
    pub max_ms: f64,
    /// The 99th percentile, milliseconds.
    pub p99_ms: f64,
}

/// The cost of each of `spans` (one group's rebalances), given which actors are its members.
pub fn pauses(
    events: &[Event],
    spans: &[RebalanceSpan],
    is_member: &impl Fn(&str) -> bool,
) -> Vec<Pause> {
    let end = events.last().map_or(Duration::ZERO, |e| e.at);
    let latencies = latencies(events, is_member);
    spans
        .iter()
        .map(|span| {
            let until = span.ended.unwrap_or(end);
            let during: Vec<u64> = latencies
                .iter()
                .filter(|wait| wait.through(span.began, until))
                .map(|wait| wait.latency_ns)
                .collect();
            Pause {
                stop_the_world_s: seconds(stop_the_world(events, span.began, until, is_member)),
                paused_s: paused(events, span.began, until, is_member),
                largest_gap: largest_gap(events, span.began, until, is_member),
                latency: summary(during),
            }
        })
        .collect()
}

/// The cost of every rebalance of one group taken together, from the moment a member first
/// owned a partition to the end of the run: what protocols are compared on, as it needs no
/// agreement on where one rebalance ends and the next begins. `None` when no member ever
/// owned a partition.
pub fn whole_run(events: &[Event], is_member: &impl Fn(&str) -> bool) -> Option<Pause> {
    let began = events.iter().find_map(|e| match &e.kind {
        EventKind::Assigned(parts) if !parts.is_empty() && is_member(&e.actor) => Some(e.at),
        _ => None,
    })?;
    let span = RebalanceSpan {
        began,
        ended: events.last().map(|e| e.at),
    };
    pauses(events, &[span], is_member).pop()
}

/// Latency of the records that waited through none of `spans`: the steady state.
pub fn steady_latency(
    events: &[Event],
    spans: &[RebalanceSpan],
    is_member: &impl Fn(&str) -> bool,
) -> Option<Latency> {
    let end = events.last().map_or(Duration::ZERO, |e| e.at);
    let outside = latencies(events, is_member)
        .into_iter()
        .filter(|wait| {
            !spans
                .iter()
                .any(|s| wait.through(s.began, s.ended.unwrap_or(end)))
        })
        .map(|wait| wait.latency_ns)
        .collect();
    summary(outside)
}

/// Whether a record acknowledged at `acked` and consumed `latency` later was waiting at some
/// moment of `[from, until]`.
fn waited_through(acked: Duration, latency: Duration, from: Duration, until: Duration) -> bool {
    acked <= until && acked + latency >= from
}

/// Time within `[from, until]` when members were running and none owned a partition.
fn stop_the_world(
    events: &[Event],
    from: Duration,
    until: Duration,
    is_member: &impl Fn(&str) -> bool,
) -> Duration {
    let within = |a: Duration, b: Duration| b.min(until).saturating_sub(a.max(from));
    let mut running: HashSet<&str> = HashSet::new();
    // Member -> the partitions it consumes now.
    let mut owning: HashMap<&str, HashSet<&TopicPartition>> = HashMap::new();
    // Since when nobody owns anything while somebody runs, while that lasts.
    let mut stopped_since: Option<Duration> = None;
    let mut stopped = Duration::ZERO;
    for event in events.iter().filter(|e| is_member(&e.actor)) {
        if event.at > until {
            break;
        }
        let actor: &str = &event.actor;
        match &event.kind {
            EventKind::Started => {
                running.insert(actor);
            }
            EventKind::Assigned(parts) => {
                running.insert(actor);
                owning.insert(actor, parts.iter().collect());
            }
            EventKind::Released(parts) => {
                if let Some(owned) = owning.get_mut(actor) {
                    for part in parts {
                        owned.remove(part);
                    }
                }
            }
            // A frozen member consumes nothing, whatever it still believes it owns.
            EventKind::Revoked(_) | EventKind::Frozen => {
                owning.remove(actor);
            }
            EventKind::Stopped | EventKind::Killed => {
                owning.remove(actor);
                running.remove(actor);
            }
            _ => continue,
        }
        let world_stopped = !running.is_empty() && owning.values().all(HashSet::is_empty);
        match (world_stopped, stopped_since) {
            (true, None) => stopped_since = Some(event.at),
            (false, Some(since)) => {
                stopped += within(since, event.at);
                stopped_since = None;
            }
            _ => {}
        }
    }
    if let Some(since) = stopped_since {
        stopped += within(since, until);
    }
    stopped
}

/// Per member, from each revocation within `[from, until]` to its next assignment.
fn paused(
    events: &[Event],
    from: Duration,
    until: Duration,
    is_member: &impl Fn(&str) -> bool,
) -> BTreeMap<String, f64> {
    let end = events.last().map_or(until, |e| e.at);
    let mut revoked_at: HashMap<&str, Duration> = HashMap::new();
    let mut paused: BTreeMap<String, Duration> = BTreeMap::new();
    // Members that stopped or were killed: a consumer logs its stop before it closes, and the
    // close gives its partitions up; that revocation is its leaving, not a pause.
    let mut gone: HashSet<&str> = HashSet::new();
    for event in events.iter().filter(|e| is_member(&e.actor)) {
        match &event.kind {
            EventKind::Started => {
                gone.remove(&*event.actor);
            }
            EventKind::Revoked(_)
                if event.at >= from && event.at <= until && !gone.contains(&*event.actor) =>
            {
                revoked_at.insert(&event.actor, event.at);
            }
            EventKind::Assigned(_) | EventKind::Stopped | EventKind::Killed => {
                if matches!(event.kind, EventKind::Stopped | EventKind::Killed) {
                    gone.insert(&event.actor);
                }
                if let Some(at) = revoked_at.remove(&*event.actor) {
                    *paused.entry(event.actor.to_string()).or_default() +=
                        event.at.saturating_sub(at);
                }
            }
            _ => {}
        }
    }
    for (member, at) in revoked_at {
        *paused.entry(member.to_owned()).or_default() += end.saturating_sub(at);
    }
    paused
        .into_iter()
        .map(|(member, time)| (member, seconds(time)))
        .collect()
}

/// The partition that waited longest for this rebalance: from losing its owner (a revocation,
/// or the owner's stop, kill or freeze) to the next first record any member consumed from it
/// at or after the rebalance began, counting from the next record's acknowledgement when none
/// was waiting. A partition nobody produced to before the rebalance ended did not wait for it.
fn largest_gap(
    events: &[Event],
    from: Duration,
    until: Duration,
    is_member: &impl Fn(&str) -> bool,
) -> Option<PartitionGap> {
    let mut acked = Acks::default();
    let mut holding: HashMap<&str, Vec<&TopicPartition>> = HashMap::new();
    let mut lost_at: BTreeMap<&TopicPartition, Duration> = BTreeMap::new();
    let mut gaps: Vec<(&TopicPartition, Duration)> = Vec::new();
    for event in events {
        if event.at > until && lost_at.is_empty() {
            break;
        }
        match &event.kind {
            EventKind::Produced(records) => acked.add(event.at, records),
            _ if !is_member(&event.actor) => {}
            EventKind::Assigned(parts) => {
                holding.insert(&event.actor, parts.iter().collect());
            }
            EventKind::Revoked(parts) | EventKind::Released(parts) => {
                if let Some(held) = holding.get_mut(&*event.actor) {
                    held.retain(|part| !parts.contains(part));
                }
                for part in parts {
                    lost_at.entry(part).or_insert(event.at);
                }
            }
            EventKind::Stopped | EventKind::Killed | EventKind::Frozen => {
                for part in holding.remove(&*event.actor).unwrap_or_default() {
                    lost_at.entry(part).or_insert(event.at);
                }
            }
            // Only while a partition waits for its next owner is each record looked at.
            EventKind::Consumed(records) if !lost_at.is_empty() => {
                for record in records.iter() {
                    let at = record.at(records.names());
                    let Some((part, lost)) = lost_at.remove_entry(&at) else {
                        continue;
                    };
                    let waiting_since = acked.get(record.id()).map_or(lost, |ack| lost.max(ack));
                    if event.at >= from && waiting_since <= until {
                        gaps.push((part, event.at.saturating_sub(waiting_since)));
                    }
                }
            }
            _ => {}
        }
    }
    gaps.into_iter()
        .max_by_key(|(_, gap)| *gap)
        .map(|(partition, gap)| PartitionGap {
            partition: format!("{}/{}", partition.topic, partition.partition),
            seconds: seconds(gap),
        })
}

/// When records were acknowledged: the time of each acknowledging event, and per producer
/// which event acknowledged each sequence number (4 bytes a record).
#[derive(Default)]
struct Acks {
    times: Vec<Duration>,
    events: HashMap<Sym, SeqIndex>,
}

impl Acks {
    fn add(&mut self, at: Duration, records: &Records<ProducedRecord>) {
        let event = u32::try_from(self.times.len()).unwrap_or(u32::MAX - 1);
        self.times.push(at);
        for record in records.iter() {
            self.events
                .entry(record.producer)
                .or_default()
                .set(record.seq, event);
        }
    }

    fn get(&self, id: RecordId) -> Option<Duration> {
        let event = self.events.get(&id.producer)?.get(id.seq)?;
        self.times.get(event as usize).copied()
    }
}

/// A record the group consumed: when it was acknowledged, and how long until the group first
/// consumed it, in nanoseconds (16 bytes a record, for a million-record run).
struct Wait {
    acked_ns: u64,
    latency_ns: u64,
}

impl Wait {
    fn new(acked: Duration, latency: Duration) -> Wait {
        let ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Wait {
            acked_ns: ns(acked),
            latency_ns: ns(latency),
        }
    }

    /// Whether the record was waiting at some moment of `[from, until]`.
    fn through(&self, from: Duration, until: Duration) -> bool {
        waited_through(
            Duration::from_nanos(self.acked_ns),
            Duration::from_nanos(self.latency_ns),
            from,
            until,
        )
    }
}

/// For every record the group consumed: when it was acknowledged, and how long until the
/// group first consumed it.
fn latencies(events: &[Event], is_member: &impl Fn(&str) -> bool) -> Vec<Wait> {
    let mut acked = Acks::default();
    for event in events {
        if let EventKind::Produced(records) = &event.kind {
            acked.add(event.at, records);
        }
    }
    // A record can be consumed before its acknowledgement is logged: its latency is then 0.
    let mut consumed = IdSet::default();
    let mut out = Vec::new();
    for event in events.iter().filter(|e| is_member(&e.actor)) {
        if let EventKind::Consumed(records) = &event.kind {
            for record in records.iter() {
                let id = record.id();
                if consumed.insert(id)
                    && let Some(at) = acked.get(id)
                {
                    out.push(Wait::new(at, event.at.saturating_sub(at)));
                }
            }
        }
    }
    out
}

/// Count, largest and 99th percentile of latencies in nanoseconds.
fn summary(mut latencies: Vec<u64>) -> Option<Latency> {
    if latencies.is_empty() {
        return None;
    }
    latencies.sort_unstable();
    let p99 =
        Duration::from_nanos(latencies[(latencies.len() * 99).div_ceil(100).saturating_sub(1)]);
    let max = Duration::from_nanos(latencies[latencies.len() - 1]);
    let ms = |d: Duration| (d.as_secs_f64() * 10_000.0).round() / 10.0;
    Some(Latency {
        records: latencies.len(),
        max_ms: ms(max),
        p99_ms: ms(p99),
    })
}

/// The members of `group` among the plan's actors, as a predicate on actor names.
pub(super) fn members_of<'a>(
    plan: &'a crate::scenario::plan::Plan,
    group: &'a str,
) -> impl Fn(&str) -> bool + 'a {
    move |actor| plan.actors.get(actor).and_then(|a| a.group()) == Some(group)
}

#[cfg(test)]
mod tests;
