//! 50,000 records through the harness's producer actor and through a raw rdkafka BaseProducer
//! on the same embedded cluster, alternating (each side goes first in every other round), in
//! one run. Prints both throughputs and the ratio (harness / raw, target >= 0.9). Run with
//! `cargo bench`.
//!
//! Both clocks are the caller's: started just before the burst is asked for, stopped when every
//! record is acknowledged, with the clients already created. The harness producer runs without
//! librdkafka statistics here, so it has no statistics to wait for before or after its burst.
//!
//! Every burst writes to a topic of its own: the mock cluster trims each partition to 5 MiB,
//! and a burst into a full partition pays for the trimming, which would favour whichever
//! client went first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_scenario::actor::{ActorEnv, ProducerActor, TopicNames, client_config};
use kafka_scenario::cluster::{Cluster, EmbeddedCluster};
use kafka_scenario::run::events::EventLog;
use kafka_scenario::scenario::plan::{Keys, ProducerPlan, TopicPlan};
use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

const RECORDS: u64 = 50_000;
const PAYLOAD: usize = 100;
const ROUNDS: usize = 7;

fn raw_burst(bootstrap: &str, topic: &str) -> Duration {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("raw producer");
    let body = vec![b'x'; PAYLOAD];
    let started = Instant::now();
    for _ in 0..RECORDS {
        let mut record = BaseRecord::<(), [u8]>::to(topic).payload(&body);
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

async fn raw_burst_in_background(bootstrap: String, topic: String) -> Duration {
    tokio::task::spawn_blocking(move || raw_burst(&bootstrap, &topic))
        .await
        .expect("raw task")
}

async fn harness_burst(bootstrap: String, round: usize, topic: String) -> Duration {
    let topic = topic.as_str();
    let plan = ProducerPlan {
        topic: topic.into(),
        keys: Keys::None,
        count: Some(RECORDS),
        rate: None,
        payload: PAYLOAD,
        properties: vec![("client.id".into(), format!("harness{round}"))],
    };
    let env = ActorEnv {
        name: Arc::from(format!("harness{round}").as_str()),
        log: EventLog::new(),
        topics: Arc::new(TopicNames::identity([topic])),
        places: kafka_scenario::actor::places::RecordPlaces::new([]),
    };
    let layers = [("bootstrap.servers".to_owned(), bootstrap)];
    let config = client_config(plan.properties.iter().chain(&layers));
    let producer = ProducerActor::create(env, &plan, config).expect("harness producer");
    let started = Instant::now();
    producer
        .burst(RECORDS, &Keys::None, PAYLOAD)
        .await
        .expect("harness burst");
    started.elapsed()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    let cluster = EmbeddedCluster::start().expect("embedded cluster");
    let bootstrap = cluster.bootstrap_servers().to_owned();
    let (mut raw, mut harness) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (raw_topic, harness_topic) = (format!("raw{round}"), format!("harness{round}"));
        for name in [&raw_topic, &harness_topic] {
            cluster
                .create_topic(&TopicPlan {
                    name: name.clone(),
                    partitions: 3,
                    replicas: 1,
                    config: Vec::new(),
                })
                .await
                .expect("topic");
        }
        // Futures start when awaited: the order below is the order they run in.
        let raw_side = raw_burst_in_background(bootstrap.clone(), raw_topic);
        let harness_side = harness_burst(bootstrap.clone(), round, harness_topic);
        if round % 2 == 0 {
            raw.push(raw_side.await);
            harness.push(harness_side.await);
        } else {
            harness.push(harness_side.await);
            raw.push(raw_side.await);
        }
    }
    let rate = |d: Duration| RECORDS as f64 / d.as_secs_f64();
    let (raw, harness) = (rate(median(raw)), rate(median(harness)));
    println!(
        "raw BaseProducer:       {raw:>10.0} records/s (median of {ROUNDS} bursts of {RECORDS})"
    );
    println!("harness producer actor: {harness:>10.0} records/s");
    println!(
        "ratio harness/raw:      {:.3} (target >= 0.9)",
        harness / raw
    );
}
