//! The harness's own memory at scale: `scenario-run benches/scenarios/million.yaml` (1,000,000
//! records of 10 bytes onto 32 partitions, read by one consumer) on the embedded cluster, as a
//! user runs it. For comparison, raw rdkafka clients do the same on the same kind of cluster,
//! in the same order: the consumer joins, then reads while the producer sends.
//! Each runs in a process of its own, since peak resident memory is per process. The raw producer sends the same records,
//! each with its id header, so that the mock stores as much on both sides. Prints each one's peak RSS
//! (getrusage `ru_maxrss`) and records/s, and the harness's share per record: harness peak
//! minus raw peak, divided by the records. Issue 11 asks for at most 200 MB and 64 B/record.
//! Run with `cargo bench --bench scale`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use kafka_scenario::actor::RECORD_ID_HEADER;
use kafka_scenario::cluster::{Cluster, EmbeddedCluster};
use kafka_scenario::scenario::plan::TopicPlan;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

const RECORDS: u64 = 1_000_000;
const PAYLOAD: usize = 10;
const PARTITIONS: i32 = 32;
/// Which side a child process runs.
const SIDE: &str = "KAFKA_SCENARIO_SCALE_SIDE";

fn main() -> ExitCode {
    match std::env::var(SIDE).as_deref() {
        Ok("harness") => side(harness()),
        Ok("raw") => side(raw()),
        _ => compare(),
    }
}

/// Runs both sides as children and prints what each used.
fn compare() -> ExitCode {
    let mut peaks = Vec::new();
    for name in ["raw", "harness"] {
        let output =
            std::env::current_exe().and_then(|exe| Command::new(exe).env(SIDE, name).output());
        let output = match output {
            Ok(output) if output.status.success() => output,
            Ok(output) => {
                eprintln!(
                    "the {name} side failed ({}):\n{}{}",
                    output.status,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("cannot run the {name} side: {e}");
                return ExitCode::FAILURE;
            }
        };
        let line = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        println!("{name:<8} {line}");
        let peak: Option<f64> = line
            .split_whitespace()
            .nth(1)
            .and_then(|kib| kib.parse().ok());
        peaks.push(peak.unwrap_or(f64::NAN));
    }
    let share = (peaks[1] - peaks[0]) * 1024.0 / RECORDS as f64;
    println!(
        "harness share: {share:.0} B/record over raw clients (target <= 64; peak target <= 200 MB)"
    );
    ExitCode::SUCCESS
}

/// Prints `peak <KiB> KiB <records/s> records/s`, or the failure.
fn side(result: Result<(Duration, i64), String>) -> ExitCode {
    match result {
        Ok((took, peak)) => {
            println!(
                "peak {peak} KiB, {:.0} records/s ({:.1} s)",
                RECORDS as f64 / took.as_secs_f64(),
                took.as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The peak resident set of this process (`RUSAGE_SELF`) or of its largest waited-for child
/// (`RUSAGE_CHILDREN`), in KiB.
fn peak_kib(who: libc::c_int) -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole rusage into the memory it is given.
    let usage = unsafe {
        libc::getrusage(who, usage.as_mut_ptr());
        usage.assume_init()
    };
    usage.ru_maxrss
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// `scenario-run` on the scenario, in a process of its own: its peak is its own.
fn harness() -> Result<(Duration, i64), String> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/scenarios/million.yaml");
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_scenario-run"))
        .arg(&file)
        .output()
        .map_err(|e| format!("cannot run scenario-run: {e}"))?;
    let took = started.elapsed();
    if output.status.success() {
        Ok((took, peak_kib(libc::RUSAGE_CHILDREN)))
    } else {
        Err(format!(
            "scenario-run {} failed ({}):\n{}{}",
            file.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The same records through a raw producer and a raw consumer, as the scenario has them: the
/// consumer joins first and reads while the producer sends. The clock starts before the
/// cluster, as `scenario-run`'s process includes starting it.
fn raw() -> Result<(Duration, i64), String> {
    let started = Instant::now();
    let cluster = EmbeddedCluster::start().map_err(|e| e.to_string())?;
    runtime()?
        .block_on(cluster.create_topic(&TopicPlan {
            name: "million".into(),
            partitions: PARTITIONS,
            replicas: 1,
            config: Vec::new(),
        }))
        .map_err(|e| e.to_string())?;
    let bootstrap = cluster.bootstrap_servers();
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "million-cg")
        .set("auto.offset.reset", "earliest")
        .create()
        .map_err(|e| e.to_string())?;
    consumer
        .subscribe(&["million"])
        .map_err(|e| e.to_string())?;
    // The scenario's `await stable`: the consumer owns the partitions before anything is sent.
    while consumer.assignment().map_err(|e| e.to_string())?.count() == 0 {
        if let Some(Err(e)) = consumer.poll(Duration::from_millis(100)) {
            return Err(e.to_string());
        }
    }
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .map_err(|e| e.to_string())?;
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| read(&consumer));
        send(&producer)?;
        reader
            .join()
            .map_err(|_| "the raw consumer's thread panicked".to_owned())?
    })?;
    Ok((started.elapsed(), peak_kib(libc::RUSAGE_SELF)))
}

/// Sends the records, each with its id header, and waits until all are acknowledged.
fn send(producer: &BaseProducer) -> Result<(), String> {
    let body = vec![b'x'; PAYLOAD];
    let mut id = String::new();
    for seq in 0..RECORDS {
        id.clear();
        let _ = write!(id, "raw:{seq}");
        let headers = OwnedHeaders::new_with_capacity(1).insert(Header {
            key: RECORD_ID_HEADER,
            value: Some(id.as_bytes()),
        });
        let mut record = BaseRecord::<(), [u8]>::to("million")
            .payload(&body)
            .headers(headers);
        while let Err((_, back)) = producer.send(record) {
            record = back;
            producer.poll(Duration::from_millis(1));
        }
        producer.poll(Duration::ZERO);
    }
    producer
        .flush(Duration::from_secs(60))
        .map_err(|e| e.to_string())
}

/// Reads until every record has arrived.
fn read(consumer: &BaseConsumer) -> Result<(), String> {
    let mut read = 0;
    while read < RECORDS {
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            message.map_err(|e| e.to_string())?;
            read += 1;
        }
    }
    Ok(())
}
