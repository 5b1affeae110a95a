//! Reads every record the scenario's producers wrote back from the topics once the run is over,
//! from the earliest offset to the high watermark of each partition: what the cluster really
//! kept, to be set against what each producer was told. The high watermarks are read once they
//! have settled: a leader acknowledges `acks: 1` records before its followers fetch them, and
//! exposes them to readers only after, so a read at once would count them lost.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::Offset;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::topic_partition_list::TopicPartitionList;

use super::id_header::id_header;
use crate::cluster::client::client_config;
use crate::cluster::run_names::RunNames;
use crate::record::events::split_id;
use crate::record::run_record::Stored;
use crate::scenario::properties::Properties;

/// How long one watermark query may take.
const WATERMARK_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait before asking again for watermarks the cluster could not give yet.
const WATERMARK_RETRY: Duration = Duration::from_millis(500);

/// Reads `topics` (scenario name, partition count) completely, within `timeout` in all, once
/// no high watermark has moved for `settle` (longer than the followers wait between two
/// fetches). Blocking: call it from a blocking task.
pub fn read_back(
    connection: &Properties,
    topics: &[(String, i32)],
    names: &RunNames,
    settle: Duration,
    timeout: Duration,
) -> Result<Stored, String> {
    let deadline = Instant::now() + timeout;
    let reader: BaseConsumer = client_config(connection)
        .set("group.id", "kafka-scenario-readback")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .create()
        .map_err(|e| format!("cannot create the reader: {e}"))?;
    let watermarks = || -> Result<Vec<(String, i32, i64, i64)>, String> {
        let mut all = Vec::new();
        for (topic, partitions) in topics {
            let physical = names.physical(topic);
            for partition in 0..*partitions {
                // Right after a leader changed, the new leader answers OffsetNotAvailable
                // until its high watermark has caught up: asked again until the deadline.
                let (low, high) = loop {
                    match reader.fetch_watermarks(physical, partition, WATERMARK_TIMEOUT) {
                        Ok(watermarks) => break watermarks,
                        Err(e) if Instant::now() + WATERMARK_RETRY < deadline => {
                            tracing::debug!("offsets of {topic}/{partition}: {e}; asking again");
                            std::thread::sleep(WATERMARK_RETRY);
                        }
                        Err(e) => return Err(format!("no offsets for {topic}/{partition}: {e}")),
                    }
                };
                all.push((physical.to_owned(), partition, low, high));
            }
        }
        Ok(all)
    };
    let mut settled = watermarks()?;
    loop {
        std::thread::sleep(settle);
        let now = watermarks()?;
        if now == settled || Instant::now() + settle > deadline {
            settled = now;
            break;
        }
        settled = now;
    }
    let mut list = TopicPartitionList::new();
    // Physical topic and partition -> offset at which the partition is read completely.
    let mut ends: BTreeMap<(String, i32), i64> = BTreeMap::new();
    for (physical, partition, low, high) in settled {
        if high > low {
            list.add_partition_offset(&physical, partition, Offset::Offset(low))
                .map_err(|e| e.to_string())?;
            ends.insert((physical, partition), high);
        }
    }
    let mut stored = Stored::default();
    if ends.is_empty() {
        return Ok(stored);
    }
    reader
        .assign(&list)
        .map_err(|e| format!("cannot assign: {e}"))?;
    let mut interned: BTreeSet<Arc<str>> = BTreeSet::new();
    let mut last_error: Option<String> = None;
    while !ends.is_empty() {
        if Instant::now() > deadline {
            let left: Vec<String> = ends
                .keys()
                .map(|(t, p)| format!("{}/{p}", names.logical(t)))
                .collect();
            return Err(format!(
                "not read to the end within {timeout:?}: {}{}",
                left.join(", "),
                last_error
                    .as_ref()
                    .map_or_else(String::new, |e| format!(" (last error: {e})"))
            ));
        }
        let Some(message) = reader.poll(Duration::from_millis(200)) else {
            continue;
        };
        // A broker that has just come back, or a leader that has just moved, fails a fetch
        // now and then: read on until the deadline, which names what was not read.
        let message = match message {
            Ok(message) => message,
            Err(e) => {
                tracing::debug!("reading back: {e}; reading on");
                last_error = Some(e.to_string());
                continue;
            }
        };
        let key = (message.topic().to_owned(), message.partition());
        if ends
            .get(&key)
            .is_some_and(|end| message.offset() + 1 >= *end)
        {
            ends.remove(&key);
        }
        stored.records += 1;
        let id = message.headers().and_then(|headers| {
            let (producer, seq) = split_id(id_header(headers)?)?;
            let producer = std::str::from_utf8(producer).ok()?;
            // Looked up before anything is allocated: a known producer costs no copy.
            let producer = match interned.get(producer) {
                Some(known) => Arc::clone(known),
                None => {
                    let new = Arc::<str>::from(producer);
                    interned.insert(Arc::clone(&new));
                    new
                }
            };
            Some((producer, seq))
        });
        if let Some((producer, seq)) = id {
            stored.copies.entry(producer).or_default().push(seq);
        }
    }
    for seqs in stored.copies.values_mut() {
        seqs.sort_unstable();
    }
    Ok(stored)
}
