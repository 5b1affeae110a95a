//! The one log every actor writes to while a scenario runs.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

pub use super::batch::{Records, RunsBuilder, Successive};
use super::symbols::{Sym, Symbols};
use crate::scenario::plan::{Fault, Link, PartitionRef};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId {
    /// The producer actor; for a record the harness did not produce, its partition
    /// (`@topic/partition`).
    pub producer: Sym,
    /// Position in that actor's output; for a foreign record, its offset.
    pub seq: u64,
}

impl RecordId {
    /// The id of a record the harness did not produce (a process's), named by where it is:
    /// every observer of it, a consumer's poll, a process's output, the read-back of a topic,
    /// names it alike.
    pub fn located(names: &Symbols, at: &TopicPartition, offset: i64) -> RecordId {
        RecordId {
            producer: names.intern(&format!("@{}/{}", at.topic, at.partition)),
            seq: u64::try_from(offset).unwrap_or_default(),
        }
    }

    /// Reads the `producer:seq` header value; `intern` names the producer.
    pub fn parse(header: &[u8], intern: impl FnOnce(&str) -> Sym) -> Option<RecordId> {
        let (producer, seq) = split_id(header)?;
        Some(RecordId {
            producer: intern(std::str::from_utf8(producer).ok()?),
            seq,
        })
    }
}

/// The producer name (as bytes: a consumer looks them up as they are) and sequence number of a
/// `producer:seq` header value. The digits are read as they are, with no pass over them as
/// text: this runs for every record a consumer reads.
pub fn split_id(header: &[u8]) -> Option<(&[u8], u64)> {
    let colon = header.iter().rposition(|byte| *byte == b':')?;
    let (producer, digits) = (&header[..colon], &header[colon + 1..]);
    if digits.is_empty() {
        return None;
    }
    let seq = digits.iter().try_fold(0u64, |seq, byte| {
        let digit = byte.checked_sub(b'0').filter(|digit| *digit <= 9)?;
        seq.checked_mul(10)?.checked_add(u64::from(digit))
    })?;
    Some((producer, seq))
}

/// A record as its producer sent it, in 24 bytes: its id, its partition and its key, as
/// symbols of the run's `Symbols`. An acknowledgement logs it as it is; a consumer's read adds the
/// offset (`ConsumedRecord`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducedRecord {
    /// The sequence number of its id.
    pub seq: u64,
    /// Its topic, by the scenario's name.
    pub topic: Sym,
    /// Its partition.
    pub partition: i32,
    /// Its key, if it has one that is text.
    pub key: Option<Sym>,
    /// The producer of its id.
    pub producer: Sym,
}

/// A record a consumer received, in 32 bytes: the record as sent, and its offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumedRecord {
    /// Its offset.
    pub offset: i64,
    /// The record as its producer sent it.
    pub sent: ProducedRecord,
}

impl ProducedRecord {
    /// Its id.
    pub fn id(&self) -> RecordId {
        RecordId {
            producer: self.producer,
            seq: self.seq,
        }
    }

    /// Its partition, named.
    pub fn at(&self, names: &Symbols) -> TopicPartition {
        TopicPartition {
            topic: names.text(self.topic),
            partition: self.partition,
        }
    }
}

impl ConsumedRecord {
    /// Its id.
    pub fn id(&self) -> RecordId {
        self.sent.id()
    }

    /// Its partition, named.
    pub fn at(&self, names: &Symbols) -> TopicPartition {
        self.sent.at(names)
    }
}

impl Successive for ProducedRecord {
    fn follows(&self, previous: &ProducedRecord) -> bool {
        (self.topic, self.partition, self.producer, self.key)
            == (
                previous.topic,
                previous.partition,
                previous.producer,
                previous.key,
            )
            && previous.seq.checked_add(1) == Some(self.seq)
    }

    fn advanced(&self, n: u32) -> ProducedRecord {
        ProducedRecord {
            seq: self.seq.saturating_add(u64::from(n)),
            ..*self
        }
    }
}

impl Successive for ConsumedRecord {
    fn follows(&self, previous: &ConsumedRecord) -> bool {
        self.sent.follows(&previous.sent) && previous.offset.checked_add(1) == Some(self.offset)
    }

    fn advanced(&self, n: u32) -> ConsumedRecord {
        ConsumedRecord {
            offset: self.offset.saturating_add(i64::from(n)),
            sent: self.sent.advanced(n),
        }
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
    /// What the network does to the consumer's connections from now on.
    Link(Link),
    /// The partitions the consumer owns from now on (possibly none): the group's whole new
    /// assignment under the eager protocol; what it kept plus what it was given under an
    /// incremental one (cooperative-sticky, KIP-848).
    Assigned(Vec<TopicPartition>),
    /// The group had taken the consumer's partitions without its knowing (its session ended
    /// while it was frozen or polled late or could not reach the coordinator, or it was
    /// fenced): librdkafka says so as it revokes them, and the `Revoked` or `Released` that
    /// follows gives back what it no longer owned.
    Lost,
    /// The consumer gave back everything it owned (these partitions) and consumes nothing
    /// until its next assignment: the eager protocol's stop-the-world.
    Revoked(Vec<TopicPartition>),
    /// The consumer gave back these partitions and goes on consuming the rest: an incremental
    /// protocol moves only what changes owner.
    Released(Vec<TopicPartition>),
    /// The consumer received these records, in order (one poll's, or one line's of a
    /// process). Reports show a record an event.
    #[serde(skip)]
    Consumed(Records<ConsumedRecord>),
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
    /// The broker acknowledged these records, in order (the delivery reports one poll of
    /// the producer served). Reports show a record an event.
    #[serde(skip)]
    Produced(Records<ProducedRecord>),
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

impl EventKind {
    /// How many records a `Produced` or `Consumed` event holds; 0 for any other event.
    pub fn records(&self) -> u64 {
        match self {
            EventKind::Consumed(records) => records.len() as u64,
            EventKind::Produced(records) => records.len() as u64,
            _ => 0,
        }
    }
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

/// Single records for the tests of what is made of the log, all named in one table.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::{Arc, LazyLock};

    use super::{ConsumedRecord, EventKind, ProducedRecord, RecordId, Records};
    use crate::record::symbols::Symbols;

    /// The names every test record is interned in.
    pub(crate) static NAMES: LazyLock<Arc<Symbols>> = LazyLock::new(Symbols::new);

    /// The id `producer:seq`.
    pub(crate) fn id(producer: &str, seq: u64) -> RecordId {
        RecordId {
            producer: NAMES.intern(producer),
            seq,
        }
    }

    /// One record of `id` consumed from `topic`/`partition` at `offset`.
    pub(crate) fn consumed(topic: &str, partition: i32, offset: i64, id: RecordId) -> EventKind {
        let record = ConsumedRecord {
            offset,
            sent: ProducedRecord {
                seq: id.seq,
                topic: NAMES.intern(topic),
                partition,
                key: None,
                producer: id.producer,
            },
        };
        EventKind::Consumed(Records::new(&NAMES, [record]))
    }

    /// One record of `id` acknowledged on `topic`/`partition`, with `key`.
    pub(crate) fn produced(
        topic: &str,
        partition: i32,
        key: Option<&str>,
        id: RecordId,
    ) -> EventKind {
        let record = ProducedRecord {
            seq: id.seq,
            topic: NAMES.intern(topic),
            partition,
            key: key.map(|key| NAMES.intern(key)),
            producer: id.producer,
        };
        EventKind::Produced(Records::new(&NAMES, [record]))
    }
}

/// Append-only, shared by every actor of one run.
#[derive(Debug)]
pub struct EventLog {
    started: Instant,
    events: Mutex<Vec<Event>>,
    names: Arc<Symbols>,
}

impl EventLog {
    /// An empty log whose clock starts now.
    pub fn new() -> Arc<EventLog> {
        Arc::new(EventLog {
            started: Instant::now(),
            events: Mutex::new(Vec::new()),
            names: Symbols::new(),
        })
    }

    /// The names the per-record events refer to.
    pub fn names(&self) -> &Arc<Symbols> {
        &self.names
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

    /// Reads the events so far in place, under the log's lock (writers wait meanwhile): for a
    /// judgement at a step, without copying a long run's events.
    pub fn read<R>(&self, read: impl FnOnce(&[Event]) -> R) -> R {
        read(&self.lock())
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

    /// The sum of `count` over the events from index `from` on, and the log's length then:
    /// follows a step without copying events.
    pub fn count_since(&self, from: usize, count: impl Fn(&Event) -> u64) -> (u64, usize) {
        let events = self.lock();
        let sum = events
            .get(from..)
            .map_or(0, |new| new.iter().map(&count).sum());
        (sum, events.len())
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Event>> {
        // A panicking actor thread must not hide the events logged so far.
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
