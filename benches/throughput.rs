//! The harness's own clients against raw rdkafka on the same embedded cluster, in one run:
//! the producer actor against a `BaseProducer`, and the consumer actor against a
//! `BaseConsumer`, for 50,000 and for 1,000,000 records of 10 bytes on 32 partitions. Each pair
//! runs 41 rounds at 50,000 records and 21 at a million, and the side that goes first alternates
//! from round to round. The run prints the median and the spread (min-max) of each side, and the
//! ratio of the medians (harness / raw; issue 11 asks for at least 0.95). Run with
//! `cargo bench --bench throughput`.
//!
//! - **Producers:** the caller's clock starts just before the burst is asked for, and stops
//!   when every record is acknowledged; both clients are created beforehand. The harness
//!   producer runs without statistics here. Both send the same records: the raw producer too
//!   gives each its id header (`raw:<n>`), so that the ratio is the harness's own cost, not
//!   the header's, which the harness needs to count duplicates and losses.
//! - **Consumers:** both read the same topic, in groups of their own, which the harness
//!   producer filled beforehand, so records carry the id header as in a scenario. The mock
//!   answers a fetch with one producer batch per partition, so the read rate follows how the
//!   topic was batched: two topics filled one after the other would not be equal, and the
//!   filler batches records by the ten thousand (`fill`) so that the reads are bound by the
//!   consumers' work, not by the mock's round trips. Each is timed from its first record to its
//!   last, which leaves out the group join, the same for both. The harness's times are those its
//!   event log stamped. Both join with KIP-848's protocol: the mock holds every new classic
//!   group for 3 s (`group.initial.rebalance.delay.ms`), which made a round last 7 s for a read
//!   of 25 ms; KIP-848's first heartbeat brings the assignment.
//! - **The raw consumer reads the id header as a user of rdkafka would** (`Headers::iter`); the
//!   harness asks librdkafka for it by name, which the ratio counts in the harness's favour.
//!
//! Every burst and every round's read uses a topic of its own. The mock trims each partition to
//! 5 MiB, and a full partition makes whoever comes second pay for the trimming.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_scenario::actor::consumer::ConsumerActor;
use kafka_scenario::actor::places::RecordPlaces;
use kafka_scenario::actor::{ActorEnv, ProducerActor, RECORD_ID_HEADER};
use kafka_scenario::cluster::client::client_config;
use kafka_scenario::cluster::run_names::RunNames;
use kafka_scenario::cluster::{Cluster, EmbeddedCluster};
use kafka_scenario::record::events::{EventKind, EventLog};
use kafka_scenario::scenario::model::CommitPolicy;
use kafka_scenario::scenario::plan::{ConsumerPlan, GroupProtocol, Keys, ProducerPlan, TopicPlan};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

/// Records per measure, and the rounds each pair runs at that size.
const SIZES: [(u64, usize); 2] = [(50_000, 41), (1_000_000, 21)];
const PAYLOAD: usize = 10;
const PARTITIONS: i32 = 32;
/// How long a fetch that finds nothing new waits on the broker, for both consumers. At
/// librdkafka's 500 ms, whether a 50,000-record read hit such a wait decided its time: both
/// sides jumped between 0.1 and 3 million records/s from round to round.
const FETCH_WAIT_MS: &str = "10";
/// How long a partition's fetching pauses once the consumer's queue holds more than its
/// thresholds, for both consumers. At librdkafka's 1 s, a read of the filled topic stalled for
/// a second after every 150,000 records or so: a fetch brings up to 10,000 records of each of
/// 32 partitions, more than a consumer takes off its queue before the next fetch.
const FETCH_QUEUE_BACKOFF_MS: &str = "10";
/// How often the benchmark looks at the harness consumer's log for its last record: seldom
/// enough not to compete with it for the lock and the cores (its times are the log's stamps).
const LOG_CHECK: Duration = Duration::from_millis(50);

/// What one side took in each round.
struct Side {
    name: &'static str,
    took: Vec<Duration>,
}

impl Side {
    fn new(name: &'static str) -> Side {
        Side {
            name,
            took: Vec::new(),
        }
    }

    /// Records per second: the median, the slowest and the fastest round.
    fn rates(&self, records: u64) -> (f64, f64, f64) {
        let mut rates: Vec<f64> = self
            .took
            .iter()
            .map(|d| records as f64 / d.as_secs_f64())
            .collect();
        rates.sort_by(f64::total_cmp);
        (rates[rates.len() / 2], rates[0], rates[rates.len() - 1])
    }
}

async fn topic(cluster: &EmbeddedCluster, name: &str) {
    cluster
        .create_topic(&TopicPlan {
            name: name.to_owned(),
            partitions: PARTITIONS,
            replicas: 1,
            config: Vec::new(),
        })
        .await
        .expect("topic");
}

fn env(name: &str, topic: &str) -> ActorEnv {
    ActorEnv {
        name: Arc::from(name),
        log: EventLog::new(),
        topics: Arc::new(RunNames::identity([topic])),
        places: RecordPlaces::new([]),
    }
}

fn raw_produce(bootstrap: &str, topic: &str, records: u64) -> Duration {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("raw producer");
    let body = vec![b'x'; PAYLOAD];
    let started = Instant::now();
    for seq in 0..records {
        let id = format!("raw:{seq}");
        let headers = OwnedHeaders::new_with_capacity(1).insert(Header {
            key: RECORD_ID_HEADER,
            value: Some(id.as_bytes()),
        });
        let mut record = BaseRecord::<(), [u8]>::to(topic)
            .payload(&body)
            .headers(headers);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(1));
                }
            }
        }
        producer.poll(Duration::ZERO);
    }
    // Serve delivery reports until none is outstanding: rdkafka's `flush` loops over
    // zero-timeout flushes and 100 ms polls, which would flatter the harness.
    while producer.in_flight_count() > 0 {
        producer.poll(Duration::from_millis(1));
    }
    started.elapsed()
}

async fn harness_produce(bootstrap: &str, name: &str, topic: &str, records: u64) -> Duration {
    produce_with(bootstrap, name, topic, records, &[]).await
}

/// Fills the topic a consumer round reads in batches of up to librdkafka's 10,000 records: the
/// mock answers a fetch with one batch per partition, so with the default 5 ms of lingering
/// (a few hundred records a batch) a million-record read was paced by the mock's round trips,
/// at 0.19 or 0.24 M/s whichever consumer read. The sticky partitioner moves on every 2 ms, as
/// it does every 10 ms by default: left at twice the lingering (200 ms), a burst lands on four
/// partitions, which the mock trims to 5 MiB each. Records stay in runs of consecutive ids per
/// partition, as a keyless producer writes them.
async fn fill(bootstrap: &str, topic: &str, records: u64) {
    let batching = [("linger.ms", "100"), ("sticky.partitioning.linger.ms", "2")];
    produce_with(bootstrap, "filler", topic, records, &batching).await;
}

async fn produce_with(
    bootstrap: &str,
    name: &str,
    topic: &str,
    records: u64,
    properties: &[(&str, &str)],
) -> Duration {
    let plan = ProducerPlan {
        topic: topic.into(),
        keys: Keys::None,
        count: Some(records),
        rate: None,
        payload: PAYLOAD,
        properties: [("client.id", name)]
            .iter()
            .chain(properties)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let layers = [("bootstrap.servers".to_owned(), bootstrap.to_owned())];
    let config = client_config(plan.properties.iter().chain(&layers));
    let producer = ProducerActor::create(env(name, topic), &plan, config).expect("producer");
    let started = Instant::now();
    producer
        .burst(records, &Keys::None, PAYLOAD)
        .await
        .expect("harness burst");
    started.elapsed()
}

fn consumer_config(bootstrap: &str, group: &str) -> Vec<(String, String)> {
    [
        ("bootstrap.servers", bootstrap),
        ("group.id", group),
        ("auto.offset.reset", "earliest"),
        ("enable.auto.commit", "false"),
        ("fetch.wait.max.ms", FETCH_WAIT_MS),
        ("group.protocol", "consumer"),
        ("fetch.queue.backoff.ms", FETCH_QUEUE_BACKOFF_MS),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn raw_consume(bootstrap: &str, topic: &str, records: u64) -> Duration {
    let consumer: BaseConsumer =
        client_config(&consumer_config(bootstrap, &format!("raw-{topic}")))
            .create()
            .expect("raw consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let mut first = None;
    let mut read = 0;
    while read < records {
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            let message = message.expect("a record");
            first.get_or_insert_with(Instant::now);
            std::hint::black_box(id_header(&message));
            read += 1;
        }
    }
    first.map_or(Duration::ZERO, |first| first.elapsed())
}

/// The record's id header, found as a user of rdkafka would find it: by iterating the headers.
fn id_header<'a>(message: &'a BorrowedMessage<'_>) -> Option<&'a [u8]> {
    let headers = message.headers()?;
    headers
        .iter()
        .find(|header| header.key == RECORD_ID_HEADER)?
        .value
}

async fn harness_consume(bootstrap: &str, name: &str, topic: &str, records: u64) -> Duration {
    let plan = ConsumerPlan {
        group: format!("harness-{topic}"),
        topics: vec![topic.to_owned()],
        max_poll_records: 500,
        commit: CommitPolicy::Never,
        auto_commit_interval: None,
        process: Duration::ZERO,
        protocol: GroupProtocol::Consumer,
        properties: vec![("client.id".into(), name.into())].into(),
    };
    let env = env(name, topic);
    let log = Arc::clone(&env.log);
    let config = client_config(&consumer_config(bootstrap, &plan.group));
    let consumer = ConsumerActor::start(env, &plan, config, None).expect("consumer");
    let consumed = |e: &kafka_scenario::record::events::Event| match &e.kind {
        EventKind::Consumed(records) => records.len() as u64,
        _ => 0,
    };
    let mut seen = 0;
    let mut from = 0;
    while seen < records {
        tokio::time::sleep(LOG_CHECK).await;
        let (count, logged) = log.count_since(from, consumed);
        seen += count;
        from = logged;
    }
    consumer
        .stop()
        .await
        .expect("the harness consumer's poll thread ended cleanly");
    let stamps: Vec<Duration> = log
        .all()
        .iter()
        .filter(|e| consumed(e) > 0)
        .map(|e| e.at)
        .collect();
    match (stamps.first(), stamps.last()) {
        (Some(first), Some(last)) => *last - *first,
        _ => Duration::ZERO,
    }
}

fn report(what: &str, records: u64, rounds: usize, raw: &Side, harness: &Side) {
    let (raw_median, raw_low, raw_high) = raw.rates(records);
    let (median, low, high) = harness.rates(records);
    for (side, (m, l, h)) in [
        (raw, (raw_median, raw_low, raw_high)),
        (harness, (median, low, high)),
    ] {
        println!(
            "{what:<9} {records:>9} {:<14} {m:>10.0} records/s (median; {l:.0}-{h:.0} over {rounds})",
            side.name
        );
    }
    println!(
        "{what:<9} {records:>9} ratio harness/raw {:.3} (target >= 0.95)",
        median / raw_median
    );
}

/// Runs both sides of a round one after the other, raw first in even rounds, and records what
/// each took. The raw side is a blocking task, started when spawned: it is spawned only here.
async fn alternately(
    round: usize,
    raw_side: impl FnOnce() -> Duration + Send + 'static,
    harness_side: impl Future<Output = Duration>,
    raw: &mut Side,
    harness: &mut Side,
) {
    let raw_task = || async {
        tokio::task::spawn_blocking(raw_side)
            .await
            .expect("raw task")
    };
    if round.is_multiple_of(2) {
        raw.took.push(raw_task().await);
        harness.took.push(harness_side.await);
    } else {
        harness.took.push(harness_side.await);
        raw.took.push(raw_task().await);
    }
}

/// Which measures to run: `cargo bench --bench throughput -- produce 1000000` runs only the
/// producers at a million records; no word runs everything.
struct Selection {
    words: Vec<String>,
}

impl Selection {
    fn from_args() -> Selection {
        Selection {
            words: std::env::args()
                .skip(1)
                .filter(|arg| !arg.starts_with("--"))
                .collect(),
        }
    }

    /// Whether `what` at `records` is asked for: every word given must name one of them.
    fn wants(&self, what: &str, records: u64) -> bool {
        let records = records.to_string();
        self.words
            .iter()
            .all(|word| *word == what || *word == records)
    }
}

/// Times the raw and the harness producer over `rounds` alternating rounds and reports them.
async fn producers(cluster: &EmbeddedCluster, records: u64, rounds: usize) {
    let bootstrap = cluster.bootstrap_servers().to_owned();
    let (mut raw, mut harness) = (Side::new("raw producer"), Side::new("harness"));
    for round in 0..rounds {
        let (raw_topic, harness_topic) = (
            format!("raw-p{records}-{round}"),
            format!("harness-p{records}-{round}"),
        );
        topic(cluster, &raw_topic).await;
        topic(cluster, &harness_topic).await;
        let name = format!("harness{round}");
        let raw_side = {
            let bootstrap = bootstrap.clone();
            move || raw_produce(&bootstrap, &raw_topic, records)
        };
        let harness_side = harness_produce(&bootstrap, &name, &harness_topic, records);
        alternately(round, raw_side, harness_side, &mut raw, &mut harness).await;
    }
    report("produce", records, rounds, &raw, &harness);
}

/// Times the raw and the harness consumer over `rounds` alternating rounds and reports them.
async fn consumers(cluster: &EmbeddedCluster, records: u64, rounds: usize) {
    let bootstrap = cluster.bootstrap_servers().to_owned();
    let (mut raw, mut harness) = (Side::new("raw consumer"), Side::new("harness"));
    for round in 0..rounds {
        let filled = format!("c{records}-{round}");
        topic(cluster, &filled).await;
        fill(&bootstrap, &filled, records).await;
        let name = format!("reader{round}");
        let raw_side = {
            let (bootstrap, filled) = (bootstrap.clone(), filled.clone());
            move || raw_consume(&bootstrap, &filled, records)
        };
        let harness_side = harness_consume(&bootstrap, &name, &filled, records);
        alternately(round, raw_side, harness_side, &mut raw, &mut harness).await;
    }
    report("consume", records, rounds, &raw, &harness);
}

#[tokio::main]
async fn main() {
    let selection = Selection::from_args();
    let cluster = EmbeddedCluster::start().expect("embedded cluster");
    for (records, rounds) in SIZES {
        if selection.wants("produce", records) {
            producers(&cluster, records, rounds).await;
        }
        if selection.wants("consume", records) {
            consumers(&cluster, records, rounds).await;
        }
    }
}
