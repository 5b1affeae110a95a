//! Where the harness's records landed, for consumers that name a record by its place: a process
//! prints `topic=... partition=... offset=...`, not the harness's id header. Delivery reports
//! fill it, and only when the scenario has such consumers, so that runs without them keep no
//! map of every record.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::record::events::{ProducedRecord, RecordId, TopicPartition};
use crate::record::symbols::{Sym, Symbols};

/// How long a consumer's line waits for the delivery report of a harness record it names (the
/// record can be read as soon as it is acknowledged, a moment before the report is handled).
const REPORT_WAIT: Duration = Duration::from_secs(2);
/// How often it looks again meanwhile.
const RECHECK: Duration = Duration::from_millis(10);

/// A record's topic, partition and offset.
type Place = (Sym, i32, i64);

/// Place -> the harness's id of the record there.
#[derive(Debug, Default)]
pub struct RecordPlaces {
    /// Topics (scenario names) harness producers write to; empty when nobody names records by
    /// place.
    harness_topics: BTreeSet<Arc<str>>,
    places: Mutex<HashMap<Place, RecordId>>,
}

impl RecordPlaces {
    /// Keeps the places of records sent to `harness_topics`; nothing when empty.
    pub fn new(harness_topics: impl IntoIterator<Item = Arc<str>>) -> Arc<RecordPlaces> {
        Arc::new(RecordPlaces {
            harness_topics: harness_topics.into_iter().collect(),
            places: Mutex::default(),
        })
    }

    /// A harness record was acknowledged at `offset`.
    pub fn delivered(&self, names: &Symbols, record: &ProducedRecord, offset: i64) {
        if !self.harness_topics.is_empty()
            && self.harness_topics.contains(&names.text(record.topic))
        {
            self.lock()
                .insert((record.topic, record.partition, offset), record.id());
        }
    }

    /// The id of the record at `offset` of `at`: the harness's, once its delivery report is
    /// in, else its place.
    pub async fn id_at(&self, names: &Symbols, at: &TopicPartition, offset: i64) -> RecordId {
        if self.harness_topics.contains(&at.topic) {
            let place = (names.intern(&at.topic), at.partition, offset);
            let waited = tokio::time::Instant::now();
            loop {
                if let Some(id) = self.lock().get(&place) {
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

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Place, RecordId>> {
        self.places.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
