//! The one log every actor writes to while a scenario runs.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::scenario::plan::{Fault, PartitionRef};

/// The actor name under which the cluster's own events are logged (fault steps, leaders, ISR).
pub const CLUSTER: &str = "(cluster)";

/// A partition of a topic, by the topic's scenario name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TopicPartition {
    /// Topic name as written in the scenario.
    pub topic: Arc<str>,
    /// Partition number.
    pub partition: i32,
}

impl TopicPartition {
    /// Whether this is the partition a scenario names.
    pub fn is(&self, wanted: &PartitionRef) -> bool {
        *self.topic == *wanted.topic && self.partition == wanted.partition
    }
}

/// The id every harness-produced record carries: its producer actor and a sequence number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct RecordId {
    /// The producer actor.
    pub producer: Arc<str>,
    /// Position in that actor's output.
    pub seq: u64,
}

impl RecordId {
    /// The id of a record the harness did not produce (a process's), named by where it is:
    /// every observer of it, a consumer's poll, a process's output, the read-back of a topic,
    /// names it alike.
    pub fn located(at: &TopicPartition, offset: i64) -> RecordId {
        RecordId {
            producer: Arc::from(format!("@{}/{}", at.topic, at.partition)),
            seq: u64::try_from(offset).unwrap_or_default(),
        }
    }

    /// Reads the `producer:seq` header value; `intern` shares one allocation per producer name.
    pub fn parse(header: &[u8], intern: impl FnOnce(&str) -> Arc<str>) -> Option<RecordId> {
        let text = std::str::from_utf8(header).ok()?;
        let (producer, seq) = text.rsplit_once(':')?;
        Some(RecordId {
            producer: intern(producer),
            seq: seq.parse().ok()?,
        })
    }
}

/// Something an actor did or saw.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The actor's client was created (a consumer has subscribed).
    Started,
    /// The actor began its graceful close.
    Stopped,
    /// The actor crashed on purpose.
    Killed,
    /// A process ended without being stopped or killed, with this status (`exit status 0`).
    Exited(String),
    /// The consumer was frozen: no poll, no byte to or from the cluster, still a member.
    Frozen,
    /// The frozen consumer goes on.
    Thawed,
    /// The partitions the consumer owns from now on (possibly none): the group's whole new
    /// assignment under the eager protocol; what it kept plus what it was given under an
    /// incremental one (cooperative-sticky, KIP-848).
    Assigned(Vec<TopicPartition>),
    /// The consumer gave back everything it owned (these partitions) and consumes nothing
    /// until its next assignment: the eager protocol's stop-the-world.
    Revoked(Vec<TopicPartition>),
    /// The consumer gave back these partitions and goes on consuming the rest: an incremental
    /// protocol moves only what changes owner.
    Released(Vec<TopicPartition>),
    /// The consumer received a record.
    Consumed {
        /// Where it came from.
        at: TopicPartition,
        /// Its offset.
        offset: i64,
        /// Its key.
        key: Option<Arc<str>>,
        /// The harness id header; for a record the harness did not produce, its location.
        id: RecordId,
    },
    /// The broker accepted a commit of these offsets (any commit: automatic, per record or poll,
    /// a `commit` step, or the final commit of a graceful close).
    Committed(Vec<(TopicPartition, i64)>),
    /// One emulated poll returned this many records.
    PollBatch(usize),
    /// The consumer finished processing this many more records of its last poll, in order
    /// (one event per record while processing takes time, one per poll otherwise).
    Processed(usize),
    /// librdkafka left the group because the consumer did not poll within
    /// `max.poll.interval.ms` (the slow handler of course section 2.3).
    MaxPollExceeded,
    /// The broker acknowledged a record.
    Produced {
        /// Where it went.
        at: TopicPartition,
        /// Its key.
        key: Option<Arc<str>>,
        /// The harness id.
        id: RecordId,
    },
    /// A record could not be delivered.
    ProduceFailed {
        /// The kind of error librdkafka reported, e.g. `NotEnoughReplicas` or `MessageTimedOut`
        /// (`PurgeQueue`/`PurgeInflight`: dropped by a kill before any answer).
        error: String,
    },
    /// The producer ended (stop or kill) after handing this many records to its client.
    Sent(u64),
    /// A fault step acted on a broker.
    BrokerFault {
        /// Node id.
        node: i32,
        /// What was done.
        fault: Fault,
    },
    /// Metadata showed a partition's leader, replicas or in-sync replicas change (or for the
    /// first time).
    PartitionState {
        /// The partition.
        at: TopicPartition,
        /// Its leader; `None` while it has none.
        leader: Option<i32>,
        /// Its replicas.
        replicas: Vec<i32>,
        /// Its in-sync replicas.
        isr: Vec<i32>,
    },
    /// Metadata showed a different set of registered brokers.
    Brokers(Vec<i32>),
}

/// One log entry.
#[derive(Debug, Clone)]
pub struct Event {
    /// Time since the scenario started.
    pub at: Duration,
    /// The actor it concerns.
    pub actor: Arc<str>,
    /// What happened.
    pub kind: EventKind,
}

#[cfg(test)]
impl Event {
    /// An event `ms` milliseconds into a run, for the tests of what is made of the log.
    pub(crate) fn at_ms(ms: u64, actor: &str, kind: EventKind) -> Event {
        Event {
            at: Duration::from_millis(ms),
            actor: Arc::from(actor),
            kind,
        }
    }
}

/// Append-only, shared by every actor of one run.
#[derive(Debug)]
pub struct EventLog {
    started: Instant,
    events: Mutex<Vec<Event>>,
}

impl EventLog {
    /// An empty log whose clock starts now.
    pub fn new() -> Arc<EventLog> {
        Arc::new(EventLog {
            started: Instant::now(),
            events: Mutex::new(Vec::new()),
        })
    }

    /// Time since the run started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Appends an event stamped with the current time.
    pub fn push(&self, actor: &Arc<str>, kind: EventKind) {
        let event = Event {
            at: self.elapsed(),
            actor: Arc::clone(actor),
            kind,
        };
        self.lock().push(event);
    }

    /// Appends many events at once (one lock for a whole poll batch).
    pub fn extend(&self, actor: &Arc<str>, kinds: impl IntoIterator<Item = EventKind>) {
        let at = self.elapsed();
        let mut events = self.lock();
        events.extend(kinds.into_iter().map(|kind| Event {
            at,
            actor: Arc::clone(actor),
            kind,
        }));
    }

    /// Events from index `from` on.
    pub fn since(&self, from: usize) -> Vec<Event> {
        let events = self.lock();
        events
            .get(from..)
            .map(<[Event]>::to_vec)
            .unwrap_or_default()
    }

    /// Every event so far.
    pub fn all(&self) -> Vec<Event> {
        self.since(0)
    }

    /// Every event so far, moved out of the log: for the run record, once every actor has
    /// stopped, so that a long run's events are not held twice (a million-record scenario logs
    /// two million of them).
    pub fn take_all(&self) -> Vec<Event> {
        std::mem::take(&mut *self.lock())
    }

    /// Number of events so far.
    pub fn logged(&self) -> usize {
        self.lock().len()
    }

    /// How many events from index `from` on satisfy `wanted`, and the log's length then:
    /// follows a step without copying events.
    pub fn count_since(&self, from: usize, wanted: impl Fn(&Event) -> bool) -> (u64, usize) {
        let events = self.lock();
        let count = events
            .get(from..)
            .map_or(0, |new| new.iter().filter(|e| wanted(e)).count() as u64);
        (count, events.len())
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Event>> {
        // A panicking actor thread must not hide the events logged so far.
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
