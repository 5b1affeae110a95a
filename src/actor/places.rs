//! Where records landed, for process consumers that name a record by what they print, not by
//! the harness's id header: by its place (`topic=... partition=... offset=...`), which delivery
//! reports map to the harness's records; or by its value (the course's Spring Boot consumer
//! prints no offset), which the reader of a process producer's topic maps to places. Each map is
//! kept only for the topics such consumers read, so that other runs keep no map of every record.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::record::events::{ProducedRecord, RecordId, TopicPartition};
use crate::record::symbols::{Sym, Symbols};

/// How long a consumer's report waits for the delivery report of a harness record it names (the
/// record can be read as soon as it is acknowledged, a moment before the report is handled), or
/// for the topic's reader to reach the record whose value it names.
const REPORT_WAIT: Duration = Duration::from_secs(2);
/// How often it looks again meanwhile.
const RECHECK: Duration = Duration::from_millis(10);

/// A record's topic, partition and offset.
type Place = (Sym, i32, i64);

/// A partition, and a value of its records.
type Valued = (Sym, i32, Box<[u8]>);

/// Place -> the harness's id of the record there, and value -> the offsets that hold it.
#[derive(Debug, Default)]
pub struct RecordPlaces {
    /// Topics (scenario names) harness producers write to; empty when nobody names records by
    /// place.
    harness_topics: BTreeSet<Arc<str>>,
    places: Mutex<HashMap<Place, RecordId>>,
    /// Topics (scenario names) a consumer reads that names records by value.
    valued_topics: BTreeSet<Arc<str>>,
    /// Per partition and value, its offsets in order.
    values: Mutex<HashMap<Valued, Vec<i64>>>,
}

impl RecordPlaces {
    /// Keeps the places of records sent to `harness_topics`; nothing when empty.
    pub fn new(harness_topics: impl IntoIterator<Item = Arc<str>>) -> Arc<RecordPlaces> {
        RecordPlaces::keeping(harness_topics, [])
    }

    /// Keeps the places of records sent to `harness_topics`, and the values of the records
    /// read from `valued_topics`.
    pub fn keeping(
        harness_topics: impl IntoIterator<Item = Arc<str>>,
        valued_topics: impl IntoIterator<Item = Arc<str>>,
    ) -> Arc<RecordPlaces> {
        Arc::new(RecordPlaces {
            harness_topics: harness_topics.into_iter().collect(),
            places: Mutex::default(),
            valued_topics: valued_topics.into_iter().collect(),
            values: Mutex::default(),
        })
    }

    /// A record with `value` was read at `offset` of `at` (in order, partition by partition).
    pub fn read(&self, names: &Symbols, at: &TopicPartition, offset: i64, value: &[u8]) {
        if self.valued_topics.contains(&at.topic) {
            let key = (names.intern(&at.topic), at.partition, Box::from(value));
            lock(&self.values).entry(key).or_default().push(offset);
        }
    }

    /// The offset of the record of `at` with `value`: the first after `after` (the last offset
    /// the asking consumer took from this partition), since a consumer reads a partition in
    /// order; waits a moment for the topic's reader to get there. Only when no later record
    /// holds the value by then is it a record read again (a rewind), and the first holding it
    /// is named. `None` when no record of the partition has that value.
    pub async fn offset_of(
        &self,
        names: &Symbols,
        at: &TopicPartition,
        value: &[u8],
        after: Option<i64>,
    ) -> Option<i64> {
        let key = (names.intern(&at.topic), at.partition, Box::from(value));
        let waited = tokio::time::Instant::now();
        loop {
            let timed_out = waited.elapsed() >= REPORT_WAIT;
            if let Some(offsets) = lock(&self.values).get(&key) {
                match after {
                    None => return offsets.first().copied(),
                    Some(after) => {
                        if let Some(next) = offsets.iter().find(|o| **o > after) {
                            return Some(*next);
                        }
                        if timed_out {
                            return offsets.first().copied();
                        }
                    }
                }
            }
            if timed_out {
                return None;
            }
            tokio::time::sleep(RECHECK).await;
        }
    }

    /// A harness record was acknowledged at `offset`.
    pub fn delivered(&self, names: &Symbols, record: &ProducedRecord, offset: i64) {
        if !self.harness_topics.is_empty()
            && self.harness_topics.contains(&names.text(record.topic))
        {
            lock(&self.places).insert((record.topic, record.partition, offset), record.id());
        }
    }

    /// The id of the record at `offset` of `at`: the harness's, once its delivery report is
    /// in, else its place.
    pub async fn id_at(&self, names: &Symbols, at: &TopicPartition, offset: i64) -> RecordId {
        if self.harness_topics.contains(&at.topic) {
            let place = (names.intern(&at.topic), at.partition, offset);
            let waited = tokio::time::Instant::now();
            loop {
                if let Some(id) = lock(&self.places).get(&place) {
                    return *id;
                }
                if waited.elapsed() >= REPORT_WAIT {
                    break;
                }
                tokio::time::sleep(RECHECK).await;
            }
        }
        RecordId::located(names, at, offset)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
