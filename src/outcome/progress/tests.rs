use std::path::Path;

use super::*;
use crate::record::events::{TopicPartition, testing};
use crate::scenario;

fn plan() -> Plan {
    let yaml = "name: t
topics:
  orders: { partitions: 1 }
actors:
  a: { consumer: { group: g, topics: [orders] } }
  b: { consumer: { group: g, topics: [orders] } }
  p: { producer: { topic: orders } }
timeline:
  - start: a
";
    scenario::load_str(Path::new("t.yaml"), yaml.to_owned())
        .expect("a valid scenario")
        .plans
        .remove(0)
}

fn at(ms: u64, actor: &str, kind: EventKind) -> Event {
    Event::at_ms(ms, actor, kind)
}

fn orders() -> TopicPartition {
    TopicPartition {
        topic: Arc::from("orders"),
        partition: 0,
    }
}

fn acked(ms: u64, seq: u64) -> Event {
    at(
        ms,
        "p",
        testing::produced("orders", 0, None, testing::id("p", seq)),
    )
}

fn consumed(ms: u64, actor: &str, seq: u64) -> Event {
    let offset = i64::try_from(seq).expect("small");
    at(
        ms,
        actor,
        testing::consumed("orders", 0, offset, testing::id("p", seq)),
    )
}

#[test]
fn a_batch_processed_again_is_no_progress() {
    let events = vec![
        acked(0, 0),
        acked(0, 1),
        at(100, "a", EventKind::Started),
        consumed(1_000, "a", 0),
        at(1_000, "a", EventKind::PollBatch(1)),
        at(2_000, "a", EventKind::Processed(1)),
        // Removed and rejoined: the same record again, processed again, then the next one.
        consumed(3_000, "a", 0),
        at(3_000, "a", EventKind::PollBatch(1)),
        at(4_000, "a", EventKind::Processed(1)),
        consumed(4_000, "a", 1),
        at(4_000, "a", EventKind::PollBatch(1)),
        at(9_000, "a", EventKind::Processed(1)),
    ];
    let stalls = stalls(&plan(), &events);
    assert_eq!(
        stalls.get("g"),
        Some(&Stall {
            from_s: 2.0,
            seconds: 7.0
        })
    );
}

#[test]
fn no_stall_without_a_running_member_or_without_waiting_records() {
    let before_start = vec![acked(0, 0), acked(5_000, 1)];
    assert!(stalls(&plan(), &before_start).is_empty());
    let nothing_waiting = vec![
        at(0, "a", EventKind::Started),
        at(5_000, "a", EventKind::Stopped),
    ];
    assert!(stalls(&plan(), &nothing_waiting).is_empty());
}

#[test]
fn a_stall_still_open_at_the_end_counts_until_the_last_event() {
    let events = vec![
        at(0, "a", EventKind::Started),
        acked(1_000, 0),
        at(4_000, "a", EventKind::Revoked(vec![orders()])),
    ];
    assert_eq!(
        stalls(&plan(), &events).get("g"),
        Some(&Stall {
            from_s: 1.0,
            seconds: 3.0
        })
    );
}

#[test]
fn rebalances_count_each_time_a_member_is_left_without_partitions() {
    let events = vec![
        at(0, "a", EventKind::Started),
        at(10, "b", EventKind::Started),
        at(500, "a", EventKind::Assigned(vec![orders()])),
        at(600, "b", EventKind::Assigned(vec![])),
        // a is frozen: b alone is revoked and reassigned.
        at(1_000, "a", EventKind::Frozen),
        at(7_000, "b", EventKind::Revoked(vec![])),
        at(7_500, "b", EventKind::Assigned(vec![orders()])),
        // Thawed: both go through one more.
        at(8_000, "a", EventKind::Thawed),
        at(8_100, "a", EventKind::Revoked(vec![orders()])),
        at(8_200, "b", EventKind::Revoked(vec![orders()])),
        at(9_000, "a", EventKind::Assigned(vec![orders()])),
        at(9_000, "b", EventKind::Assigned(vec![])),
    ];
    let spans: Vec<(usize, f64, Option<f64>)> = rebalances(&plan(), &events)
        .into_iter()
        .map(|r| (r.number, r.began_s, r.seconds))
        .collect();
    assert_eq!(
        spans,
        vec![
            (1, 0.0, Some(0.6)),
            (2, 7.0, Some(0.5)),
            (3, 8.1, Some(0.9))
        ]
    );
}
