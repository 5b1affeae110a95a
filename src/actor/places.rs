//! Where the harness's records landed, for consumers that name a record by its place: a process
//! prints `topic=... partition=... offset=...`, not the harness's id header. Delivery reports
//! fill it, and only when the scenario has such consumers, so that runs without them keep no
//! map of every record.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::run::events::{RecordId, TopicPartition};

/// How long a consumer's line waits for the delivery report of a harness record it names (the
/// record can be read as soon as it is acknowledged, a moment before the report is handled).
const REPORT_WAIT: Duration = Duration::from_secs(2);
/// How often it looks again meanwhile.
const RECHECK: Duration = Duration::from_millis(10);

/// Place -> the harness's id of the record there.
#[derive(Debug, Default)]
pub struct RecordPlaces {
    /// Topics (scenario names) harness producers write to; empty when nobody names records by
    /// place.
    harness_topics: BTreeSet<Arc<str>>,
    places: Mutex<HashMap<(TopicPartition, i64), RecordId>>,
}

impl RecordPlaces {
    /// Keeps the places of records sent to `harness_topics`; nothing when empty.
    pub fn new(harness_topics: impl IntoIterator<Item = Arc<str>>) -> Arc<RecordPlaces> {
        Arc::new(RecordPlaces {
            harness_topics: harness_topics.into_iter().collect(),
            places: Mutex::default(),
        })
    }

    /// A harness record was acknowledged at `offset` of `at`.
    pub fn delivered(&self, at: &TopicPartition, offset: i64, id: &RecordId) {
        if self.harness_topics.contains(&at.topic) {
            self.lock().insert((at.clone(), offset), id.clone());
        }
    }

    /// The id of the record at `offset` of `at`: the harness's, once its delivery report is
    /// in, else its place.
    pub async fn id_at(&self, at: &TopicPartition, offset: i64) -> RecordId {
        if self.harness_topics.contains(&at.topic) {
            let waited = tokio::time::Instant::now();
            loop {
                if let Some(id) = self.lock().get(&(at.clone(), offset)) {
                    return id.clone();
                }
                if waited.elapsed() >= REPORT_WAIT {
                    break;
                }
                tokio::time::sleep(RECHECK).await;
            }
        }
        RecordId::located(at, offset)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(TopicPartition, i64), RecordId>> {
        self.places.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orders(partition: i32) -> TopicPartition {
        TopicPartition {
            topic: Arc::from("orders"),
            partition,
        }
    }

    fn id(seq: u64) -> RecordId {
        RecordId {
            producer: Arc::from("feeder"),
            seq,
        }
    }

    #[tokio::test]
    async fn a_place_names_the_harness_record_delivered_there() {
        let places = RecordPlaces::new([Arc::from("orders")]);
        places.delivered(&orders(1), 41, &id(7));
        assert_eq!(places.id_at(&orders(1), 41).await, id(7));
    }

    #[tokio::test]
    async fn a_report_that_comes_a_moment_later_is_waited_for() {
        let places = RecordPlaces::new([Arc::from("orders")]);
        let later = Arc::clone(&places);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            later.delivered(&orders(0), 3, &id(1));
        });
        assert_eq!(places.id_at(&orders(0), 3).await, id(1));
    }

    #[tokio::test]
    async fn a_record_no_harness_producer_could_have_sent_is_named_by_its_place() {
        let places = RecordPlaces::new([]);
        places.delivered(&orders(0), 3, &id(1));
        assert_eq!(
            places.id_at(&orders(0), 3).await,
            RecordId::located(&orders(0), 3)
        );
    }
}
