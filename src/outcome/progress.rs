//! Rebalances and progress of each group, from the event log: when each rebalance began and
//! ended, and the longest time a group had records waiting yet processed none it had not
//! processed before (course section 2.3: while a slow member is removed and rejoins again and
//! again, the group processes the same batch over and over and gets nowhere).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::pauses::{Latency, Pause, members_of, pauses, steady_latency, whole_run};
use super::rounding::seconds;
use crate::record::events::{Event, EventKind, RecordId};
use crate::record::ids::IdSet;
use crate::record::state::LiveState;
use crate::record::symbols::Sym;
use crate::scenario::plan::Plan;

/// One rebalance of a group, as its members saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rebalance {
    /// The group.
    pub group: String,
    /// 1 for the first join, then 2, 3...
    pub number: usize,
    /// Seconds from the start.
    pub began_s: f64,
    /// Seconds until every running member held an assignment again; absent if that never
    /// happened before the run ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// What it cost: stop-the-world, members paused, partition gaps, latency.
    #[serde(flatten)]
    pub cost: Pause,
}

/// The longest stretch without progress of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stall {
    /// Seconds from the start.
    pub from_s: f64,
    /// Its length in seconds.
    pub seconds: f64,
}

/// Every group's rebalances, in order of their start.
pub fn rebalances(plan: &Plan, events: &[Event]) -> Vec<Rebalance> {
    let live = LiveState::of(events, |actor| plan.group_of(actor).map(str::to_owned));
    let mut out = Vec::new();
    for (group, spans) in &live.rebalances {
        let costs = pauses(events, spans, &members_of(plan, group));
        for (index, (span, cost)) in spans.iter().zip(costs).enumerate() {
            out.push(Rebalance {
                group: group.clone(),
                number: index + 1,
                began_s: seconds(span.began),
                seconds: span
                    .ended
                    .map(|end| seconds(end.saturating_sub(span.began))),
                cost,
            });
        }
    }
    out.sort_by(|a, b| a.began_s.total_cmp(&b.began_s));
    out
}

/// Per group, the cost of all its rebalances taken together (see `pauses::whole_run`).
pub fn whole_runs(plan: &Plan, events: &[Event]) -> BTreeMap<String, Pause> {
    plan.groups()
        .filter_map(|group| {
            whole_run(events, &members_of(plan, group)).map(|cost| (group.to_owned(), cost))
        })
        .collect()
}

/// Per group, the acknowledgement-to-consumption latency of the records acknowledged outside
/// its rebalances, to compare each rebalance's latency with.
pub fn steady_latencies(plan: &Plan, events: &[Event]) -> BTreeMap<String, Latency> {
    let live = LiveState::of(events, |actor| plan.group_of(actor).map(str::to_owned));
    live.rebalances
        .iter()
        .filter_map(|(group, spans)| {
            steady_latency(events, spans, &members_of(plan, group))
                .map(|latency| (group.clone(), latency))
        })
        .collect()
}

/// Per group, the longest time during which a member was running, records acknowledged to
/// its topics were waiting, and no member finished processing a record the group had not
/// processed before. Records without a harness id are not counted. Groups that never waited
/// are left out.
pub fn stalls(plan: &Plan, events: &[Event]) -> BTreeMap<String, Stall> {
    let mut groups: BTreeMap<&str, Progress> = BTreeMap::new();
    for actor in plan.actors.values() {
        if let Some(group) = actor.group() {
            groups.entry(group).or_default().topics.extend(
                actor
                    .consumed_topics()
                    .iter()
                    .map(|t| Arc::from(t.as_str())),
            );
        }
    }
    let member_of: HashMap<&str, &str> = plan
        .actors
        .iter()
        .filter_map(|(name, a)| Some((name.as_str(), a.group()?)))
        .collect();
    let mut end = Duration::ZERO;
    let mut topics: HashMap<Sym, Arc<str>> = HashMap::new();
    for event in events {
        end = end.max(event.at);
        match &event.kind {
            EventKind::Produced(records) => {
                for record in records.iter() {
                    let topic = topics
                        .entry(record.topic)
                        .or_insert_with(|| records.names().text(record.topic));
                    for progress in groups.values_mut().filter(|g| g.topics.contains(topic)) {
                        progress.acknowledged(record.id(), event.at);
                    }
                }
            }
            kind => {
                if let Some(progress) = member_of
                    .get(&*event.actor)
                    .and_then(|group| groups.get_mut(group))
                {
                    progress.member_did(&event.actor, kind, event.at);
                }
            }
        }
    }
    groups
        .into_iter()
        .filter_map(|(group, mut progress)| {
            progress.close(end);
            let (from, length) = progress.longest?;
            Some((
                group.to_owned(),
                Stall {
                    from_s: seconds(from),
                    seconds: seconds(length),
                },
            ))
        })
        .collect()
}

/// One group's progress as the log is read.
#[derive(Default)]
struct Progress {
    topics: HashSet<Arc<str>>,
    acknowledged: IdSet,
    processed: IdSet,
    /// Acknowledged records not processed yet.
    waiting: usize,
    /// Running members.
    running: usize,
    /// Per member, the records it received and has not finished processing, in order.
    received: HashMap<Arc<str>, VecDeque<RecordId>>,
    /// When the current stretch without progress began.
    since: Option<Duration>,
    /// The longest stretch so far: its start and length.
    longest: Option<(Duration, Duration)>,
}

impl Progress {
    fn acknowledged(&mut self, id: RecordId, at: Duration) {
        if !self.processed.contains(id) && self.acknowledged.insert(id) {
            self.waiting += 1;
        }
        self.watch(at);
    }

    fn member_did(&mut self, actor: &Arc<str>, kind: &EventKind, at: Duration) {
        match kind {
            EventKind::Started => self.running += 1,
            EventKind::Stopped | EventKind::Killed => {
                self.running = self.running.saturating_sub(1);
                self.received.remove(actor);
            }
            EventKind::Consumed(records) => {
                self.received
                    .entry(Arc::clone(actor))
                    .or_default()
                    .extend(records.iter().map(|record| record.id()));
            }
            EventKind::Processed(records) => {
                let done: Vec<RecordId> = self
                    .received
                    .get_mut(actor)
                    .map(|queue| {
                        let n = (*records).min(queue.len());
                        queue.drain(..n).collect()
                    })
                    .unwrap_or_default();
                let mut moved = false;
                for id in done {
                    if self.processed.insert(id) {
                        moved = true;
                        if self.acknowledged.contains(id) {
                            self.waiting = self.waiting.saturating_sub(1);
                        }
                    }
                }
                if moved {
                    self.close(at);
                }
            }
            _ => return,
        }
        self.watch(at);
    }

    /// Starts the clock when the group has a running member and records waiting, and stops it
    /// when it has not.
    fn watch(&mut self, at: Duration) {
        let stuck = self.running > 0 && self.waiting > 0;
        match (stuck, self.since) {
            (true, None) => self.since = Some(at),
            (false, Some(_)) => self.close(at),
            _ => {}
        }
    }

    /// Ends the current stretch at `at`, keeping it if it is the longest.
    fn close(&mut self, at: Duration) {
        if let Some(since) = self.since.take() {
            let length = at.saturating_sub(since);
            if self.longest.is_none_or(|(_, longest)| length > longest) {
                self.longest = Some((since, length));
            }
        }
    }
}

#[cfg(test)]
mod tests;
