//! What a rebalance costs, from the event log (course section 2, "Stop The World"): within one
//! rebalance of a group, how long no member owned a partition (the stop-the-world), how long
//! each member was left without partitions, the longest a partition went from losing its owner
//! to its next owner's first record, and how long records acknowledged during the rebalance
//! took to be consumed, next to the same figure outside rebalances.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::Serialize;

use super::timing::seconds;
use crate::run::events::{Event, EventKind, RecordId, TopicPartition};
use crate::run::state::RebalanceSpan;

/// The cost of one rebalance.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Pause {
    /// Seconds within the rebalance when no running member owned any partition.
    pub stop_the_world_s: f64,
    /// Member -> seconds it spent between a revocation in this rebalance and its next
    /// assignment.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub paused_s: BTreeMap<String, f64>,
    /// The partition that waited longest from losing its owner to its next owner's first
    /// record, and that wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub largest_gap: Option<PartitionGap>,
    /// Records acknowledged during the rebalance: acknowledgement to first consumption.
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
            let during: Vec<Duration> = latencies
                .iter()
                .filter(|(acked, _)| *acked >= span.began && *acked <= until)
                .map(|(_, latency)| *latency)
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

/// Latency of the records acknowledged outside every one of `spans`: the steady state.
pub fn steady_latency(
    events: &[Event],
    spans: &[RebalanceSpan],
    is_member: &impl Fn(&str) -> bool,
) -> Option<Latency> {
    let end = events.last().map_or(Duration::ZERO, |e| e.at);
    let outside = latencies(events, is_member)
        .into_iter()
        .filter(|(acked, _)| {
            !spans
                .iter()
                .any(|s| *acked >= s.began && *acked <= s.ended.unwrap_or(end))
        })
        .map(|(_, latency)| latency)
        .collect();
    summary(outside)
}

/// Time within `[from, until]` when no running member owned a partition.
fn stop_the_world(
    events: &[Event],
    from: Duration,
    until: Duration,
    is_member: &impl Fn(&str) -> bool,
) -> Duration {
    let within = |a: Duration, b: Duration| b.min(until).saturating_sub(a.max(from));
    // Member -> whether it owns at least one partition now.
    let mut owning: HashMap<&str, bool> = HashMap::new();
    // Since when nobody owns anything, while that lasts.
    let mut nobody_since: Option<Duration> = Some(Duration::ZERO);
    let mut stopped = Duration::ZERO;
    for event in events.iter().filter(|e| is_member(&e.actor)) {
        if event.at > until {
            break;
        }
        match &event.kind {
            EventKind::Assigned(parts) => {
                owning.insert(&event.actor, !parts.is_empty());
            }
            EventKind::Revoked(_) | EventKind::Stopped | EventKind::Killed => {
                owning.insert(&event.actor, false);
            }
            _ => continue,
        }
        let nobody = !owning.values().any(|owns| *owns);
        match (nobody, nobody_since) {
            (true, None) => nobody_since = Some(event.at),
            (false, Some(since)) => {
                stopped += within(since, event.at);
                nobody_since = None;
            }
            _ => {}
        }
    }
    if let Some(since) = nobody_since {
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
    let mut revoked_at: HashMap<&str, Duration> = HashMap::new();
    let mut paused: BTreeMap<String, Duration> = BTreeMap::new();
    for event in events.iter().filter(|e| is_member(&e.actor)) {
        match &event.kind {
            EventKind::Revoked(_) if event.at >= from && event.at <= until => {
                revoked_at.insert(&event.actor, event.at);
            }
            EventKind::Assigned(_) | EventKind::Stopped | EventKind::Killed => {
                if let Some(at) = revoked_at.remove(&*event.actor) {
                    *paused.entry(event.actor.to_string()).or_default() +=
                        event.at.saturating_sub(at);
                }
            }
            _ => {}
        }
    }
    paused
        .into_iter()
        .map(|(member, time)| (member, seconds(time)))
        .collect()
}

/// The partition that waited longest, among those revoked within `[from, until]`: from the
/// revocation (or, when nothing was waiting then, from the acknowledgement of the next record)
/// to the next first record any member consumed from it. A partition nobody produced to
/// before the rebalance ended did not wait for it.
fn largest_gap(
    events: &[Event],
    from: Duration,
    until: Duration,
    is_member: &impl Fn(&str) -> bool,
) -> Option<PartitionGap> {
    let mut acked: HashMap<&RecordId, Duration> = HashMap::new();
    let mut lost_at: BTreeMap<&TopicPartition, Duration> = BTreeMap::new();
    let mut gaps: Vec<(&TopicPartition, Duration)> = Vec::new();
    for event in events {
        match &event.kind {
            EventKind::Produced { id, .. } => {
                acked.insert(id, event.at);
            }
            EventKind::Revoked(parts)
                if is_member(&event.actor) && event.at >= from && event.at <= until =>
            {
                for part in parts {
                    lost_at.entry(part).or_insert(event.at);
                }
            }
            EventKind::Consumed { at, id, .. } if is_member(&event.actor) => {
                if let Some(lost) = lost_at.remove(at) {
                    let waiting_since = id
                        .as_ref()
                        .and_then(|id| acked.get(id))
                        .map_or(lost, |ack| lost.max(*ack));
                    // A record that arrived after the rebalance did not wait for it.
                    if waiting_since <= until {
                        gaps.push((at, event.at.saturating_sub(waiting_since)));
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

/// For every record the group consumed: when it was acknowledged, and how long until the
/// group first consumed it.
fn latencies(events: &[Event], is_member: &impl Fn(&str) -> bool) -> Vec<(Duration, Duration)> {
    let mut acked: HashMap<&RecordId, Duration> = HashMap::new();
    let mut consumed: HashMap<&RecordId, Duration> = HashMap::new();
    for event in events {
        match &event.kind {
            EventKind::Produced { id, .. } => {
                acked.insert(id, event.at);
            }
            EventKind::Consumed { id: Some(id), .. } if is_member(&event.actor) => {
                consumed.entry(id).or_insert(event.at);
            }
            _ => {}
        }
    }
    acked
        .into_iter()
        .filter_map(|(id, at)| {
            let first = consumed.get(id)?;
            Some((at, first.saturating_sub(at)))
        })
        .collect()
}

fn summary(mut latencies: Vec<Duration>) -> Option<Latency> {
    if latencies.is_empty() {
        return None;
    }
    latencies.sort_unstable();
    let p99 = latencies[(latencies.len() * 99).div_ceil(100).saturating_sub(1)];
    let max = latencies[latencies.len() - 1];
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
    move |actor| {
        matches!(
            plan.actors.get(actor),
            Some(crate::scenario::plan::ActorPlan::Consumer(c)) if c.group == group
        )
    }
}

#[cfg(test)]
mod tests;
