//! What each producer was told against what the topics kept: acknowledged, failed (by kind),
//! never answered, and, from the records read back after the run, lost (acknowledged but
//! absent), duplicated and present without an acknowledgement.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::record::events::{Event, EventKind};
use crate::record::ids::SeqSet;
use crate::record::run_record::Stored;
use crate::scenario::plan::{ActorPlan, Plan, ProducerPlan};

/// Delivery errors that mean "dropped by a kill before any answer", not a broker's refusal.
const PURGED: &[&str] = &["PurgeQueue", "PurgeInflight"];

/// One producer's accounting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Durability {
    /// `acks` in effect: `0`, `1` or `all` (with `acks: 0` an acknowledgement means only "sent").
    pub acks: String,
    /// Whether `enable.idempotence` was on.
    pub idempotent: bool,
    /// Records handed to the client.
    pub sent: u64,
    /// Records the client reported delivered.
    pub acknowledged: u64,
    /// Records the client reported failed, by error kind.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub failed: BTreeMap<String, u64>,
    /// Records neither acknowledged nor failed when the producer ended (a kill purges them).
    pub unacknowledged: u64,
    /// Acknowledged records the topic does not hold.
    pub lost: u64,
    /// Copies beyond the first of records the topic holds more than once.
    pub duplicated: u64,
    /// Records the topic holds that the producer never saw acknowledged.
    pub unacknowledged_present: u64,
}

/// The accounting of every producer of the plan, given the records read back.
pub fn durability(plan: &Plan, events: &[Event], stored: &Stored) -> BTreeMap<String, Durability> {
    let mut acked: HashMap<&str, SeqSet> = HashMap::new();
    let mut out: BTreeMap<String, Durability> = BTreeMap::new();
    for (name, actor) in &plan.actors {
        if let ActorPlan::Producer(p) = actor {
            let (acks, idempotent) = acks(p);
            out.insert(
                name.clone(),
                Durability {
                    acks,
                    idempotent,
                    ..Durability::default()
                },
            );
        }
    }
    let mut sent: HashMap<&str, u64> = HashMap::new();
    for event in events {
        let Some(entry) = out.get_mut(&*event.actor) else {
            continue;
        };
        match &event.kind {
            EventKind::Produced(records) => {
                entry.acknowledged += records.len() as u64;
                let seqs = acked.entry(&event.actor).or_default();
                for record in records.iter() {
                    seqs.insert(record.seq);
                }
            }
            EventKind::ProduceFailed { error } if !PURGED.contains(&error.as_str()) => {
                *entry.failed.entry(error.clone()).or_default() += 1;
            }
            EventKind::Sent(n) => {
                sent.insert(&event.actor, *n);
            }
            _ => {}
        }
    }
    for (name, entry) in &mut out {
        let failed: u64 = entry.failed.values().sum();
        entry.sent = sent
            .get(name.as_str())
            .copied()
            .unwrap_or(entry.acknowledged + failed);
        entry.unacknowledged = entry.sent.saturating_sub(entry.acknowledged + failed);
        let copies = stored
            .copies
            .iter()
            .find(|(producer, _)| ***producer == **name)
            .map_or(&[][..], |(_, seqs)| seqs.as_slice());
        let mut distinct = copies.to_vec();
        distinct.dedup();
        entry.duplicated = (copies.len() - distinct.len()) as u64;
        let acked = acked.get(name.as_str());
        entry.lost = acked.map_or(0, |seqs| {
            seqs.iter()
                .filter(|seq| distinct.binary_search(seq).is_err())
                .count() as u64
        });
        entry.unacknowledged_present = distinct
            .iter()
            .filter(|seq| acked.is_none_or(|seqs| !seqs.contains(**seq)))
            .count() as u64;
    }
    out
}

/// The producer's `acks` (`0`, `1` or `all`) and whether it is idempotent, from its properties
/// and librdkafka's defaults (acks all; idempotence off, which forces acks all when on).
pub fn acks(producer: &ProducerPlan) -> (String, bool) {
    let property = |key: &str| {
        producer
            .properties
            .get(key)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    let idempotent = property("enable.idempotence").is_some_and(|v| v == "true");
    let acks = property("acks")
        .or_else(|| property("request.required.acks"))
        .unwrap_or_else(|| "all".to_owned());
    let acks = if idempotent || acks == "-1" {
        "all".to_owned()
    } else {
        acks
    };
    (acks, idempotent)
}

#[cfg(test)]
mod tests;
