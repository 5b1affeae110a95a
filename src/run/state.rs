//! What the run knows right now, folded from the event log as it grows: who is running, who
//! holds which partitions, how much each actor has consumed and produced.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use super::events::{Event, EventKind, EventLog, RecordId, TopicPartition};

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
    pub produced_ids: HashMap<Arc<str>, HashSet<RecordId>>,
    /// Group -> ids of records its members consumed.
    pub consumed_ids: HashMap<String, HashSet<RecordId>>,
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

    fn apply(&mut self, event: &Event, group_of: &impl Fn(&str) -> Option<String>) {
        fn member<'s>(state: &'s mut LiveState, actor: &Arc<str>) -> &'s mut Member {
            state.members.entry(Arc::clone(actor)).or_default()
        }
        match &event.kind {
            EventKind::Started | EventKind::Stopped | EventKind::Killed => {
                if let Some(group) = group_of(&event.actor) {
                    let m = member(self, &event.actor);
                    m.running = matches!(event.kind, EventKind::Started);
                    m.holding = None;
                    m.assigned_at = None;
                    self.membership_changed.insert(group, event.at);
                }
            }
            EventKind::Assigned(parts) => {
                let m = member(self, &event.actor);
                m.holding = Some(parts.iter().cloned().collect());
                m.assigned_at = Some(event.at);
            }
            EventKind::Revoked(_) => {
                let m = member(self, &event.actor);
                m.holding = None;
                m.assigned_at = None;
            }
            EventKind::Consumed { id, .. } => {
                *self.consumed.entry(Arc::clone(&event.actor)).or_default() += 1;
                if let (Some(id), Some(group)) = (id, group_of(&event.actor)) {
                    self.consumed_ids
                        .entry(group)
                        .or_default()
                        .insert(id.clone());
                }
            }
            EventKind::Produced { at, id, .. } => {
                *self.produced.entry(Arc::clone(&event.actor)).or_default() += 1;
                self.produced_ids
                    .entry(Arc::clone(&at.topic))
                    .or_default()
                    .insert(id.clone());
            }
            EventKind::MaxPollExceeded => {
                *self
                    .max_poll_exceeded
                    .entry(Arc::clone(&event.actor))
                    .or_default() += 1;
            }
            EventKind::PollBatch(_) | EventKind::ProduceFailed { .. } | EventKind::Committed(_) => {
            }
        }
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
