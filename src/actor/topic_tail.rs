//! What a process producer really delivered: its topic read from the beginning as records
//! arrive, each record without the harness's id logged as `Produced` by the process that owns
//! the topic at the time (validation lets one process at a time write to a topic), and its
//! value handed to the record places, for consumers that name records by value. The
//! producer's own word, its exit status, counts for nothing here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::oneshot;

use super::ActorError;
use super::id_header::id_header;
use super::places::RecordPlaces;
use crate::cluster::client::client_config;
use crate::cluster::run_names::RunNames;
use crate::record::events::{EventKind, EventLog, ProducedRecord, RecordId, Records};
use crate::scenario::properties::Properties;

/// How long one poll of the tail waits.
const POLL: Duration = Duration::from_millis(100);
/// How long asking the topic's end offsets may take, and keep failing.
const WATERMARKS_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one ask for a partition's end offset may take.
const WATERMARK_TIMEOUT: Duration = Duration::from_secs(2);

/// Where a request to catch up is answered.
type Reply = oneshot::Sender<Result<(), String>>;

/// What the reader's thread is asked.
enum Request {
    /// Answer once every record the topic holds now has been logged.
    CatchUp(Reply),
    /// The topic has grown to this many partitions: read the new ones too.
    Grow(i32),
}

/// Follows one topic for its process producers until stopped.
pub struct TopicTail {
    owner: Arc<Mutex<Option<Arc<str>>>>,
    requests: mpsc::Sender<Request>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TopicTail {
    /// Starts reading `topic` (the scenario's name) from the beginning of its `partitions`;
    /// `places` learns each record's value.
    pub fn start(
        connection: &Properties,
        names: Arc<RunNames>,
        log: Arc<EventLog>,
        places: Arc<RecordPlaces>,
        topic: &str,
        partitions: i32,
    ) -> Result<TopicTail, ActorError> {
        let fail = |message: String| ActorError {
            actor: format!("reader of {topic}"),
            message,
        };
        let mut config = client_config(connection);
        config
            .set("group.id", "kafka-scenario-tail")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false");
        let consumer: BaseConsumer = config
            .create()
            .map_err(|e| fail(format!("cannot create its client: {e}")))?;
        let physical = names.physical(topic).to_owned();
        let mut assignment = TopicPartitionList::new();
        for partition in 0..partitions {
            assignment
                .add_partition_offset(&physical, partition, Offset::Beginning)
                .map_err(|e| fail(e.to_string()))?;
        }
        consumer
            .assign(&assignment)
            .map_err(|e| fail(format!("cannot assign {physical}: {e}")))?;
        let owner = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (requests, inbox) = mpsc::channel();
        let tail = Tail {
            consumer,
            names,
            log,
            physical,
            partitions,
            owner: Arc::clone(&owner),
            places,
            stop: Arc::clone(&stop),
            inbox,
        };
        let thread = std::thread::Builder::new()
            .name(format!("tail-{topic}"))
            .spawn(move || tail.run())
            .map_err(|e| fail(format!("cannot start its thread: {e}")))?;
        Ok(TopicTail {
            owner,
            requests,
            stop,
            thread: Some(thread),
        })
    }

    /// Records from now on are `actor`'s.
    pub fn owned_by(&self, actor: &Arc<str>) {
        *self.owner.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(actor));
    }

    /// Returns once every record the topic held when asked has been logged.
    pub async fn caught_up(&self) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request::CatchUp(reply))
            .map_err(|_| "the topic reader has ended".to_owned())?;
        answer
            .await
            .map_err(|_| "the topic reader ended before catching up".to_owned())?
    }

    /// Reads the partitions a `grow` step added, from their beginning.
    pub fn grow(&self, partitions: i32) {
        let _ = self.requests.send(Request::Grow(partitions));
    }

    /// Stops reading.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TopicTail {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

struct Tail {
    consumer: BaseConsumer,
    names: Arc<RunNames>,
    log: Arc<EventLog>,
    physical: String,
    partitions: i32,
    owner: Arc<Mutex<Option<Arc<str>>>>,
    places: Arc<RecordPlaces>,
    stop: Arc<AtomicBool>,
    inbox: mpsc::Receiver<Request>,
}

impl Tail {
    fn run(mut self) {
        // Requests to catch up, each with the end offsets it waits for.
        let mut waiting: Vec<(Vec<i64>, Reply)> = Vec::new();
        // Requests whose end offsets could not be read yet (a partition just added is unknown
        // to this client until its metadata is refreshed), with when they came.
        let mut unresolved: Vec<(Instant, Reply)> = Vec::new();
        let mut next = vec![0_i64; usize::try_from(self.partitions).unwrap_or_default()];
        while !self.stop.load(Ordering::Acquire) {
            while let Ok(request) = self.inbox.try_recv() {
                match request {
                    Request::CatchUp(reply) => unresolved.push((Instant::now(), reply)),
                    Request::Grow(partitions) => {
                        self.grow(partitions);
                        next.resize(usize::try_from(self.partitions).unwrap_or_default(), 0);
                    }
                }
            }
            for (asked, reply) in std::mem::take(&mut unresolved) {
                match self.end_offsets() {
                    Ok(ends) => waiting.push((ends, reply)),
                    Err(e) if asked.elapsed() > WATERMARKS_TIMEOUT => {
                        let _ = reply.send(Err(e));
                    }
                    Err(_) => unresolved.push((asked, reply)),
                }
            }
            match self.consumer.poll(POLL) {
                Some(Ok(message)) => {
                    if let Some(slot) = usize::try_from(message.partition())
                        .ok()
                        .and_then(|p| next.get_mut(p))
                    {
                        *slot = message.offset() + 1;
                    }
                    self.delivered(&message);
                }
                Some(Err(e)) => tracing::debug!(topic = %self.physical, "tail: {e}"),
                None => {}
            }
            let (ready, still): (Vec<_>, Vec<_>) = waiting
                .drain(..)
                .partition(|(ends, _)| ends.iter().zip(&next).all(|(end, at)| at >= end));
            waiting = still;
            for (_, reply) in ready {
                let _ = reply.send(Ok(()));
            }
        }
    }

    fn grow(&mut self, partitions: i32) {
        let mut added = TopicPartitionList::new();
        for partition in self.partitions..partitions {
            if let Err(e) = added.add_partition_offset(&self.physical, partition, Offset::Beginning)
            {
                tracing::warn!(topic = %self.physical, "cannot read partition {partition}: {e}");
                return;
            }
        }
        match self.consumer.incremental_assign(&added) {
            Ok(()) => self.partitions = self.partitions.max(partitions),
            Err(e) => tracing::warn!(topic = %self.physical, "cannot read the new partitions: {e}"),
        }
    }

    fn end_offsets(&self) -> Result<Vec<i64>, String> {
        (0..self.partitions)
            .map(|p| {
                self.consumer
                    .fetch_watermarks(&self.physical, p, WATERMARK_TIMEOUT)
                    .map(|(_, high)| high)
                    .map_err(|e| format!("end offset of {}/{p}: {e}", self.physical))
            })
            .collect()
    }

    fn delivered(&self, message: &rdkafka::message::BorrowedMessage<'_>) {
        let harness = message.headers().is_some_and(|h| id_header(h).is_some());
        if harness {
            return;
        }
        let at = self.names.partition(&self.physical, message.partition());
        let names = self.log.names();
        self.places.read(
            names,
            &at,
            message.offset(),
            message.payload().unwrap_or_default(),
        );
        let Some(owner) = self
            .owner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        else {
            return;
        };
        let id = RecordId::located(names, &at, message.offset());
        let record = ProducedRecord {
            seq: id.seq,
            topic: names.intern(&at.topic),
            partition: at.partition,
            key: message
                .key()
                .and_then(|k| std::str::from_utf8(k).ok())
                .map(|key| names.intern(key)),
            producer: id.producer,
        };
        self.log
            .push(&owner, EventKind::Produced(Records::new(names, [record])));
    }
}
