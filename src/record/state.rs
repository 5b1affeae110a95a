//! What the run knows right now, folded from the event log as it grows: who is running, who
//! holds which partitions, how much each actor has consumed and produced.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use super::events::{Event, EventKind, EventLog, TopicPartition};
use super::ids::IdSet;
use super::symbols::{Sym, Symbols};
use crate::scenario::plan::{Fault, PartitionRef};

/// The partitions a consumer holds; `None` between a revocation and the next assignment.
pub type Holding = Option<BTreeSet<TopicPartition>>;

/// One consumer's membership as seen from the client side.
#[derive(Debug, Clone, Default)]
pub struct Member {
    /// Between `Started` and `Stopped`/`Killed`.
    pub running: bool,
    /// Current partitions.
    pub holding: Holding,
    /// When the current assignment arrived.
    pub assigned_at: Option<Duration>,
    /// Between `Frozen` and `Thawed`, or while its link is cut: since when its group hears
    /// nothing from it.
    pub away_since: Option<Duration>,
    /// Whether its link is cut (from a `Link` event that cut it to one that did not): it goes
    /// on polling, unheard. A link outlives the client, so a consumer started again stays cut.
    pub cut: bool,
    /// The group's last membership change before it went away, restored when it comes back
    /// before the group noticed.
    changed_before_away: Option<Duration>,
    /// Started behind a cut link: the group has never heard of this client, so the link's
    /// heal is its join.
    never_heard: bool,
}

/// A rebalance of one group as its members saw it: from the moment a running member (not
/// away: frozen, or its link cut) was left without an assignment (it started, or its
/// partitions were revoked) until every such member holds one again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebalanceSpan {
    /// When the first member was left without an assignment.
    pub began: Duration,
    /// When the last one got its assignment; `None` while the rebalance goes on.
    pub ended: Option<Duration>,
}

/// A partition as metadata last showed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartitionView {
    /// Its leader, if any.
    pub leader: Option<i32>,
    /// Its replicas.
    pub replicas: Vec<i32>,
    /// Its in-sync replicas.
    pub isr: Vec<i32>,
    /// When the current leader was first seen.
    pub leader_since: Duration,
}

/// The live state of a run.
#[derive(Debug, Default)]
pub struct LiveState {
    applied: usize,
    /// Consumers by actor name.
    pub members: BTreeMap<Arc<str>, Member>,
    /// Group -> time of the last start, stop or kill of one of its members.
    pub membership_changed: BTreeMap<String, Duration>,
    /// Actor -> records consumed.
    pub consumed: BTreeMap<Arc<str>, u64>,
    /// Actor -> records acknowledged.
    pub produced: BTreeMap<Arc<str>, u64>,
    /// Consumer -> times it left its group for exceeding `max.poll.interval.ms`.
    pub max_poll_exceeded: BTreeMap<Arc<str>, u64>,
    /// Topic -> ids of acknowledged records.
    produced_ids: HashMap<Sym, IdSet>,
    /// Group -> ids of records its members consumed.
    pub consumed_ids: HashMap<String, IdSet>,
    /// The names the log's records refer to.
    names: Arc<Symbols>,
    /// Producer -> records whose delivery failed.
    pub failed: BTreeMap<Arc<str>, u64>,
    /// Partitions of the scenario's topics, as the cluster watch last saw them.
    pub partitions: BTreeMap<TopicPartition, PartitionView>,
    /// Registered brokers, as the cluster watch last saw them.
    pub brokers: Option<Vec<i32>>,
    /// Each partition's leader when the last broker was taken away (killed, stopped, paused).
    pub leaders_at_fault: BTreeMap<TopicPartition, Option<i32>>,
    /// When the last broker was taken away.
    pub last_fault: Option<Duration>,
    /// Group -> its rebalances so far, in order.
    pub rebalances: BTreeMap<String, Vec<RebalanceSpan>>,
    /// Process -> how it ended by itself, since it last started.
    pub exited: BTreeMap<Arc<str>, String>,
}

impl LiveState {
    /// Folds in whatever the log gained since the last call. `group_of` names a consumer's group.
    pub fn refresh(&mut self, log: &EventLog, group_of: impl Fn(&str) -> Option<String>) {
        let new = log.since(self.applied);
        self.applied += new.len();
        for event in new {
            self.apply(&event, &group_of);
        }
    }

    /// The state after all of `events`.
    pub fn of(events: &[Event], group_of: impl Fn(&str) -> Option<String>) -> LiveState {
        let mut state = LiveState::default();
        for event in events {
            state.apply(event, &group_of);
        }
        state
    }

    fn apply(&mut self, event: &Event, group_of: &impl Fn(&str) -> Option<String>) {
        fn member<'s>(state: &'s mut LiveState, actor: &Arc<str>) -> &'s mut Member {
            state.members.entry(Arc::clone(actor)).or_default()
        }
        match &event.kind {
            EventKind::Exited(status) => {
                self.exited.insert(Arc::clone(&event.actor), status.clone());
            }
            EventKind::Started => {
                self.exited.remove(&event.actor);
            }
            _ => {}
        }
        match &event.kind {
            // A process that ended by itself after a stop or kill was already counted gone.
            EventKind::Exited(_) if !self.members.get(&event.actor).is_some_and(|m| m.running) => {}
            EventKind::Started | EventKind::Stopped | EventKind::Killed | EventKind::Exited(_) => {
                if let Some(group) = group_of(&event.actor) {
                    let gone = self.already_gone(&event.actor, &group, group_of);
                    let m = member(self, &event.actor);
                    // A client its group never heard of leaves nothing behind when it ends.
                    let unheard = m.never_heard;
                    m.running = matches!(event.kind, EventKind::Started);
                    m.holding = None;
                    m.assigned_at = None;
                    // A consumer started behind a cut link is not heard by its group.
                    m.away_since = (m.running && m.cut).then_some(event.at);
                    m.never_heard = m.away_since.is_some();
                    if !gone && !unheard && m.away_since.is_none() {
                        self.membership_changed.insert(group.clone(), event.at);
                    }
                    self.track_rebalance(&group, event.at, group_of);
                }
            }
            EventKind::Frozen => self.went_away(event, group_of),
            EventKind::Thawed => self.came_back(event, group_of),
            EventKind::Link(link) if group_of(&event.actor).is_some() => {
                let m = member(self, &event.actor);
                let (was_cut, running) = (m.cut, m.running);
                m.cut = link.cut;
                match (was_cut, link.cut) {
                    (false, true) if running => self.went_away(event, group_of),
                    (true, false) if running => self.came_back(event, group_of),
                    _ => {}
                }
            }
            EventKind::Assigned(parts) => {
                let m = member(self, &event.actor);
                m.holding = Some(parts.iter().cloned().collect());
                m.assigned_at = Some(event.at);
                if let Some(group) = group_of(&event.actor) {
                    self.track_rebalance(&group, event.at, group_of);
                }
            }
            EventKind::Released(parts) => {
                if let Some(held) = member(self, &event.actor).holding.as_mut() {
                    for part in parts {
                        held.remove(part);
                    }
                }
            }
            EventKind::Revoked(_) => {
                let m = member(self, &event.actor);
                m.holding = None;
                m.assigned_at = None;
                if let Some(group) = group_of(&event.actor) {
                    self.track_rebalance(&group, event.at, group_of);
                }
            }
            EventKind::Consumed(records) => {
                *self.consumed.entry(Arc::clone(&event.actor)).or_default() += records.len() as u64;
                if let Some(group) = group_of(&event.actor) {
                    let ids = self.consumed_ids.entry(group).or_default();
                    for record in records.iter() {
                        ids.insert(record.id());
                    }
                }
            }
            EventKind::Produced(records) => {
                if !Arc::ptr_eq(&self.names, records.names()) {
                    self.names = Arc::clone(records.names());
                }
                *self.produced.entry(Arc::clone(&event.actor)).or_default() += records.len() as u64;
                for record in records.iter() {
                    self.produced_ids
                        .entry(record.topic)
                        .or_default()
                        .insert(record.id());
                }
            }
            EventKind::MaxPollExceeded => {
                *self
                    .max_poll_exceeded
                    .entry(Arc::clone(&event.actor))
                    .or_default() += 1;
            }
            EventKind::ProduceFailed { .. } => {
                *self.failed.entry(Arc::clone(&event.actor)).or_default() += 1;
            }
            EventKind::BrokerFault { fault, .. } => {
                if matches!(fault, Fault::Kill | Fault::Stop | Fault::Pause) {
                    self.leaders_at_fault = self
                        .partitions
                        .iter()
                        .map(|(p, view)| (p.clone(), view.leader))
                        .collect();
                    self.last_fault = Some(event.at);
                }
            }
            EventKind::PartitionState {
                at,
                leader,
                replicas,
                isr,
            } => {
                let view = self.partitions.entry(at.clone()).or_default();
                if view.leader != *leader {
                    view.leader_since = event.at;
                }
                view.leader = *leader;
                view.replicas.clone_from(replicas);
                view.isr.clone_from(isr);
            }
            EventKind::Brokers(brokers) => self.brokers = Some(brokers.clone()),
            EventKind::PollBatch(_)
            | EventKind::Processed(_)
            | EventKind::Committed(_)
            | EventKind::Lost
            | EventKind::Link(_)
            | EventKind::Sent(_) => {}
        }
    }

    /// A member its group stops hearing from (frozen, or its link cut): a change of the
    /// group's membership once the group notices.
    fn went_away(&mut self, event: &Event, group_of: &impl Fn(&str) -> Option<String>) {
        if let Some(group) = group_of(&event.actor) {
            let before = self.membership_changed.insert(group.clone(), event.at);
            let m = self.members.entry(Arc::clone(&event.actor)).or_default();
            m.away_since = Some(event.at);
            m.changed_before_away = before;
            self.track_rebalance(&group, event.at, group_of);
        }
    }

    /// A member its group hears from again (thawed, or its link healed).
    fn came_back(&mut self, event: &Event, group_of: &impl Fn(&str) -> Option<String>) {
        if let Some(group) = group_of(&event.actor) {
            let gone = self.already_gone(&event.actor, &group, group_of);
            let m = self.members.entry(Arc::clone(&event.actor)).or_default();
            let since = m.away_since.take();
            let before = m.changed_before_away.take();
            let joins = std::mem::take(&mut m.never_heard);
            if gone || joins {
                // It rejoins, or joins: a change the group goes through.
                self.membership_changed.insert(group.clone(), event.at);
            } else if self.membership_changed.get(&group) == since.as_ref() {
                // Back before the group noticed: as if it had never been away.
                match before {
                    Some(at) => self.membership_changed.insert(group.clone(), at),
                    None => self.membership_changed.remove(&group),
                };
            }
            self.track_rebalance(&group, event.at, group_of);
        }
    }

    /// Opens a rebalance of `group` when a member is left without an assignment, and closes
    /// it when none is.
    fn track_rebalance(
        &mut self,
        group: &str,
        at: Duration,
        group_of: &impl Fn(&str) -> Option<String>,
    ) {
        let waiting = self.members.iter().any(|(name, m)| {
            m.running
                && m.away_since.is_none()
                && m.holding.is_none()
                && group_of(name).as_deref() == Some(group)
        });
        let spans = self.rebalances.entry(group.to_owned()).or_default();
        let open = spans.last_mut().filter(|s| s.ended.is_none());
        match (waiting, open) {
            (true, None) => spans.push(RebalanceSpan {
                began: at,
                ended: None,
            }),
            (false, Some(span)) => span.ended = Some(at),
            _ => {}
        }
    }

    /// Whether `actor` is a member away (frozen or cut) that its group has already rebalanced
    /// without (another member was assigned after it went away): killing it changes nothing
    /// for the group.
    fn already_gone(
        &self,
        actor: &str,
        group: &str,
        group_of: &impl Fn(&str) -> Option<String>,
    ) -> bool {
        let Some(since) = self.members.get(actor).and_then(|m| m.away_since) else {
            return false;
        };
        self.members.iter().any(|(name, m)| {
            &**name != actor
                && m.running
                && m.assigned_at.is_some_and(|at| at > since)
                && group_of(name).as_deref() == Some(group)
        })
    }

    /// The ids of the records acknowledged to `topic` (its scenario name).
    pub fn produced_to(&self, topic: &str) -> Option<&IdSet> {
        self.produced_ids.get(&self.names.find(topic)?)
    }

    /// How many events of the log this state has folded in.
    pub fn applied(&self) -> usize {
        self.applied
    }

    /// Consumers frozen now.
    pub fn frozen(&self) -> BTreeSet<Arc<str>> {
        self.members
            .iter()
            .filter(|(_, m)| m.running && m.away_since.is_some() && !m.cut)
            .map(|(name, _)| Arc::clone(name))
            .collect()
    }

    /// A partition's metadata, as the cluster watch last saw it.
    pub fn partition(&self, wanted: &PartitionRef) -> Option<&PartitionView> {
        self.partitions
            .iter()
            .find(|(p, _)| p.is(wanted))
            .map(|(_, view)| view)
    }

    /// A partition's leader when the last broker was taken away.
    pub fn leader_at_fault(&self, wanted: &PartitionRef) -> Option<i32> {
        self.leaders_at_fault
            .iter()
            .find(|(p, _)| p.is(wanted))
            .and_then(|(_, leader)| *leader)
    }

    /// Running consumers and what they hold now.
    pub fn assignment(&self) -> BTreeMap<Arc<str>, Holding> {
        self.members
            .iter()
            .filter(|(_, m)| m.running)
            .map(|(name, m)| (Arc::clone(name), m.holding.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests;
