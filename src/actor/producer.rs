//! A producer whose every record carries a unique id header, so consumers' duplicates and losses
//! can be counted. It sends foreground bursts (`produce` steps) and, once started, in the
//! background at a pace.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{
    BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext, PurgeConfig,
};
use rdkafka::statistics::Statistics;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::main_queue::MainQueue;
use super::{ActorEnv, ActorError, RECORD_ID_HEADER};
use crate::record::events::{EventKind, ProducedRecord, Records};
use crate::record::symbols::Sym;
use crate::scenario::plan::{Keys, ProducerPlan};

/// How long a flush may take before the run is declared broken.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(120);
/// How long to wait for librdkafka's statistics after a burst.
const STATS_WAIT: Duration = Duration::from_secs(3);
/// How long a producer may take to see partitions added to its topic.
const METADATA_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the delivery-report thread sleeps at most when no event woke it: events are
/// expected to wake it, this is only a safety net.
const IDLE_WAIT: Duration = Duration::from_millis(100);
/// How long a sender serves delivery reports before it tries again to queue a record that
/// did not fit.
const QUEUE_FULL_WAIT: Duration = Duration::from_millis(1);
/// Statistics interval, so produce request counts can be read after each burst.
pub const STATISTICS_INTERVAL_MS: &str = "100";

/// What a burst did.
#[derive(Debug, Clone, Copy)]
pub struct BurstReport {
    /// Records sent.
    pub records: u64,
    /// From the first send to the last acknowledgement.
    pub took: Duration,
    /// Produce requests the client sent during the burst (librdkafka statistics), if reported.
    pub produce_requests: Option<i64>,
}

/// Keeps acknowledgements until the poll that served them ends, then logs them as one event,
/// and keeps the latest statistics.
struct Deliveries {
    env: ActorEnv,
    /// The producer's topic and its own name, as symbols of the run's names.
    topic: Sym,
    name: Sym,
    produce_requests: AtomicI64,
    stats_seen: AtomicU64,
    pending: Mutex<Pending>,
}

/// Acknowledgements not logged yet, and the symbols of the keys seen so far.
#[derive(Default)]
struct Pending {
    records: Vec<ProducedRecord>,
    keys: HashMap<Vec<u8>, Sym>,
}

impl Deliveries {
    /// Logs the acknowledgements received so far as one event; the lock is held until they
    /// are in the log, so a caller that saw every delivery report served finds them logged.
    fn record(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if !pending.records.is_empty() {
            let records = Records::new(self.env.log.names(), std::mem::take(&mut pending.records));
            self.env
                .log
                .push(&self.env.name, EventKind::Produced(records));
        }
    }
}

impl ClientContext for Deliveries {
    fn stats(&self, statistics: Statistics) {
        let requests: i64 = statistics
            .brokers
            .values()
            .filter_map(|b| b.req.get("Produce"))
            .sum();
        self.produce_requests.store(requests, Ordering::SeqCst);
        self.stats_seen.fetch_add(1, Ordering::SeqCst);
    }
}

impl ProducerContext for Deliveries {
    /// The record's sequence number, so the id needs no header parsing here.
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, seq: usize) {
        match result {
            Ok(message) => {
                let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
                let key = message.key().and_then(|key| {
                    if let Some(sym) = pending.keys.get(key) {
                        return Some(*sym);
                    }
                    let sym = self.env.log.names().intern(std::str::from_utf8(key).ok()?);
                    pending.keys.insert(key.to_vec(), sym);
                    Some(sym)
                });
                let record = ProducedRecord {
                    seq: seq as u64,
                    topic: self.topic,
                    partition: message.partition(),
                    key,
                    producer: self.name,
                };
                self.env
                    .places
                    .delivered(self.env.log.names(), &record, message.offset());
                pending.records.push(record);
            }
            Err((e, _)) => {
                // Failures are rare: logged at once, after what was acknowledged before them.
                self.record();
                let error = e
                    .rdkafka_error_code()
                    .map_or_else(|| e.to_string(), |code| format!("{code:?}"));
                self.env
                    .log
                    .push(&self.env.name, EventKind::ProduceFailed { error });
            }
        }
    }
}

/// The thread that serves the producer's delivery reports when no burst does (between bursts,
/// and for a paced sender), and logs the acknowledgements of each wake-up as one event.
struct Poller {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Poller {
    fn start(shared: &Arc<Shared>) -> Result<Poller, ActorError> {
        let stop = Arc::new(AtomicBool::new(false));
        let (polled, stopped) = (Arc::clone(shared), Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name(format!("producer {}", shared.env.name))
            .spawn(move || {
                polled.main.serve_from_this_thread();
                while !stopped.load(Ordering::Relaxed) {
                    if !polled.main.is_quiet() {
                        polled.serve();
                    }
                    std::thread::park_timeout(IDLE_WAIT);
                }
            })
            .map_err(|e| shared.error(format!("cannot start its poll thread: {e}")))?;
        Ok(Poller {
            stop,
            thread: Some(thread),
        })
    }

    /// Ends the thread once it has served what it was serving.
    fn end(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        // Not joined here: the thread holds its client and ends as soon as it wakes.
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = &self.thread {
            thread.thread().unpark();
        }
    }
}

struct Shared {
    env: ActorEnv,
    /// Declared before the producer, so it is dropped before the client it watches.
    main: MainQueue,
    producer: BaseProducer<Deliveries>,
    topic: String,
    next_seq: AtomicU64,
    statistics: bool,
}

/// A producer actor's client, created at its first `start` or `produce`.
pub struct ProducerActor {
    shared: Arc<Shared>,
    poller: Poller,
    plan: ProducerPlan,
    background: Option<Background>,
}

/// The background sender: how to stop it and how to wait for it.
type Background = (watch::Sender<bool>, JoinHandle<Result<(), ActorError>>);

impl ProducerActor {
    /// Creates the client.
    pub fn create(
        env: ActorEnv,
        plan: &ProducerPlan,
        config: ClientConfig,
    ) -> Result<ProducerActor, ActorError> {
        let names = env.log.names();
        let context = Deliveries {
            topic: names.intern(&plan.topic),
            name: names.intern(&env.name),
            env: env.clone(),
            produce_requests: AtomicI64::new(0),
            stats_seen: AtomicU64::new(0),
            pending: Mutex::default(),
        };
        let producer: BaseProducer<Deliveries> =
            config
                .create_with_context(context)
                .map_err(|e| ActorError {
                    actor: env.name.to_string(),
                    message: format!("cannot create the producer: {e}"),
                })?;
        let main = MainQueue::watch(producer.client()).ok_or_else(|| ActorError {
            actor: env.name.to_string(),
            message: "librdkafka gave the producer no event queue".into(),
        })?;
        let topic = env.topics.physical(&plan.topic).to_owned();
        let statistics = config
            .get("statistics.interval.ms")
            .is_some_and(|ms| ms.parse::<u64>().is_ok_and(|ms| ms > 0));
        let shared = Arc::new(Shared {
            env,
            main,
            producer,
            topic,
            next_seq: AtomicU64::new(0),
            statistics,
        });
        Ok(ProducerActor {
            poller: Poller::start(&shared)?,
            shared,
            plan: plan.clone(),
            background: None,
        })
    }

    /// Sends `count` records and returns once every one is acknowledged or failed.
    pub async fn burst(
        &self,
        count: u64,
        keys: &Keys,
        payload: usize,
    ) -> Result<BurstReport, ActorError> {
        let shared = Arc::clone(&self.shared);
        let keys = keys.clone();
        tokio::task::spawn_blocking(move || shared.burst(count, &keys, payload))
            .await
            .map_err(|e| self.shared.error(format!("burst task failed: {e}")))?
    }

    /// Waits until this producer's client knows `partitions` partitions of its topic, as a
    /// freshly started client would after the topic grew: librdkafka refreshes metadata only
    /// every `topic.metadata.refresh.interval.ms` (5 minutes by default), and until then keeps
    /// partitioning keys over the old count. A metadata request for the topic updates the cache.
    pub async fn learn_partitions(&self, partitions: i32) -> Result<(), ActorError> {
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || shared.learn_partitions(partitions))
            .await
            .map_err(|e| self.shared.error(format!("metadata task failed: {e}")))?
    }

    /// The scenario topic this producer writes to.
    pub fn topic(&self) -> &str {
        &self.plan.topic
    }

    /// Starts sending in the background: at the actor's `rate` (until stopped or `count` is
    /// reached), or its `count` as fast as possible.
    pub fn start(&mut self) {
        self.shared
            .env
            .log
            .push(&self.shared.env.name, EventKind::Started);
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::clone(&self.shared);
        let plan = self.plan.clone();
        let task = match plan.rate {
            Some(rate) => {
                tokio::spawn(async move { shared.paced(&plan, rate.interval, stopped).await })
            }
            None => tokio::task::spawn_blocking(move || {
                shared
                    .burst(plan.count.unwrap_or(0), &plan.keys, plan.payload)
                    .map(|_| ())
            }),
        };
        self.background = Some((stop, task));
    }

    /// Graceful close: the background sender ends and everything queued is delivered.
    pub async fn stop(mut self) -> Result<(), ActorError> {
        let background = self.end_background().await;
        let shared = Arc::clone(&self.shared);
        let flushed = tokio::task::spawn_blocking(move || {
            let flushed = shared.producer.flush(FLUSH_TIMEOUT);
            shared.producer.context().record();
            flushed
        })
        .await
        .map_err(|e| self.shared.error(format!("flush task failed: {e}")))?;
        self.poller.end();
        self.log_end(EventKind::Stopped);
        background?;
        flushed.map_err(|e| self.shared.error(format!("flush: {e}")))
    }

    /// Crash: the background sender ends and queued or in-flight records are dropped.
    pub async fn kill(mut self) {
        let _ = self.end_background().await;
        self.shared
            .producer
            .purge(PurgeConfig::default().queue().inflight());
        self.poller.end();
        // The purged records' reports that the poll thread did not serve.
        self.shared.serve();
        self.log_end(EventKind::Killed);
    }

    /// Logs how many records the client was handed, then how the actor ended.
    fn log_end(&self, how: EventKind) {
        let sent = self.shared.next_seq.load(Ordering::Relaxed);
        let env = &self.shared.env;
        env.log.extend(&env.name, [EventKind::Sent(sent), how]);
    }

    async fn end_background(&mut self) -> Result<(), ActorError> {
        let Some((stop, task)) = self.background.take() else {
            return Ok(());
        };
        let _ = stop.send(true);
        task.await
            .map_err(|e| self.shared.error(format!("background sender failed: {e}")))?
    }
}

impl Shared {
    fn error(&self, message: String) -> ActorError {
        ActorError {
            actor: self.env.name.to_string(),
            message,
        }
    }

    fn burst(&self, count: u64, keys: &Keys, payload: usize) -> Result<BurstReport, ActorError> {
        let body = vec![b'x'; payload];
        let requests_before = self.fresh_produce_requests();
        let started = Instant::now();
        let mut id = String::new();
        {
            // This thread serves the reports while it sends, as a raw client does; the
            // acknowledgements of each report are logged as they are served.
            let _quiet = self.main.quiet();
            for n in 0..count {
                self.send(keys.key_for(n), &body, &mut id)?;
                self.producer.poll(Duration::ZERO);
                self.producer.context().record();
            }
        }
        // The report thread serves the rest, woken as the quiet guard ends, while the flush
        // below makes librdkafka send what lingers.
        self.settle()?;
        let took = started.elapsed();
        let produce_requests = self
            .fresh_produce_requests()
            .zip(requests_before)
            .map(|(after, before)| after - before);
        Ok(BurstReport {
            records: count,
            took,
            produce_requests,
        })
    }

    async fn paced(
        &self,
        plan: &ProducerPlan,
        interval: Duration,
        mut stopped: watch::Receiver<bool>,
    ) -> Result<(), ActorError> {
        let body = vec![b'x'; plan.payload];
        let mut ticks = tokio::time::interval(interval);
        let mut sent = 0;
        let mut id = String::new();
        while plan.count.is_none_or(|count| sent < count) {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stopped.changed() => return Ok(()),
            }
            self.send(plan.keys.key_for(sent), &body, &mut id)?;
            sent += 1;
        }
        Ok(())
    }

    /// Serves every event on the queue and logs the acknowledgements among them as one event.
    fn serve(&self) {
        while !self.main.is_empty() {
            self.producer.poll(Duration::ZERO);
        }
        self.producer.context().record();
    }

    fn learn_partitions(&self, partitions: i32) -> Result<(), ActorError> {
        let deadline = Instant::now() + METADATA_TIMEOUT;
        let mut known = 0;
        while Instant::now() < deadline {
            known = self
                .producer
                .client()
                .fetch_metadata(Some(&self.topic), Duration::from_secs(1))
                .ok()
                .and_then(|m| m.topics().first().map(|t| t.partitions().len()))
                .unwrap_or(known);
            if known >= partitions as usize {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(self.error(format!(
            "still sees {known} partitions of {} after {METADATA_TIMEOUT:?}, not {partitions}",
            self.topic
        )))
    }

    /// Waits until every queued record is acknowledged. librdkafka sends without waiting for
    /// `linger.ms` only while a flush call is in progress, so the flush must span the whole wait
    /// (rdkafka's `flush` loops over short calls that leave batches lingering).
    fn settle(&self) -> Result<(), ActorError> {
        let timeout_ms = i32::try_from(FLUSH_TIMEOUT.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: the handle belongs to `self.producer`, which outlives this call;
        // rd_kafka_flush is thread-safe and may run beside the producer's polling thread.
        let result = unsafe {
            rdkafka::bindings::rd_kafka_flush(self.producer.client().native_ptr(), timeout_ms)
        };
        // Every report was served once the flush returned; the last poll's may not be logged.
        self.producer.context().record();
        if result == rdkafka::bindings::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            Ok(())
        } else {
            Err(self.error(format!(
                "{} records still unacknowledged after {FLUSH_TIMEOUT:?}",
                self.producer.in_flight_count()
            )))
        }
    }

    /// Sends one record, serving delivery reports while librdkafka's queue is full (which only
    /// the reports empty).
    fn send(&self, key: Option<&str>, body: &[u8], id: &mut String) -> Result<(), ActorError> {
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        id.clear();
        id.push_str(&self.env.name);
        id.push(':');
        let _ = write!(id, "{seq}");
        let headers = OwnedHeaders::new_with_capacity(1).insert(Header {
            key: RECORD_ID_HEADER,
            value: Some(id.as_bytes()),
        });
        let mut record = BaseRecord::with_opaque_to(&self.topic, seq as usize)
            .payload(body)
            .headers(headers);
        if let Some(key) = key {
            record = record.key(key);
        }
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    self.producer.poll(QUEUE_FULL_WAIT);
                    self.producer.context().record();
                }
                Err((e, _)) => return Err(self.error(format!("send: {e}"))),
            }
        }
    }

    /// The produce request count from statistics emitted after this call; `None` when
    /// statistics are off or late.
    fn fresh_produce_requests(&self) -> Option<i64> {
        if !self.statistics {
            return None;
        }
        let context = self.producer.context();
        // The next report may have been assembled before this call; the one after it was not.
        let wanted = context.stats_seen.load(Ordering::SeqCst) + 2;
        let deadline = Instant::now() + STATS_WAIT;
        while context.stats_seen.load(Ordering::SeqCst) < wanted {
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(context.produce_requests.load(Ordering::SeqCst))
    }
}
