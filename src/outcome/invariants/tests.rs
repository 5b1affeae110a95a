use std::path::Path;

use super::*;
use crate::record::events::testing::{consumed, id};
use crate::record::events::{Event, EventKind, TopicPartition};
use crate::scenario::load_str;

fn plan() -> Plan {
    let text = "name: t
topics: { orders: { partitions: 2 } }
actors:
  c1: { consumer: { group: g, topics: [orders] } }
  c2: { consumer: { group: g, topics: [orders] } }
  p1: { producer: { topic: orders } }
timeline:
  - start: c1
expect: { invariants: [offset-reused, committed-went-back, read-backwards] }
";
    let scenario = load_str(Path::new("t.yaml"), text.to_owned()).expect("the test scenario loads");
    scenario.plans.into_iter().next().expect("one plan")
}

fn orders(partition: i32) -> TopicPartition {
    TopicPartition {
        topic: "orders".into(),
        partition,
    }
}

fn committed(ms: u64, actor: &str, partition: i32, offset: i64) -> Event {
    Event::at_ms(
        ms,
        actor,
        EventKind::Committed(vec![(orders(partition), offset)]),
    )
}

fn judge(events: &[Event]) -> BTreeMap<Invariant, Broken> {
    broken(&plan(), events, &BTreeMap::new(), &Invariant::ALL)
}

#[test]
fn a_quiet_run_breaks_nothing() {
    let events = [
        Event::at_ms(0, "c1", EventKind::Assigned(vec![orders(0)])),
        Event::at_ms(10, "c1", consumed("orders", 0, 0, id("p1", 0))),
        Event::at_ms(20, "c1", consumed("orders", 0, 1, id("p1", 1))),
        committed(30, "c1", 0, 2),
        committed(40, "c1", 0, 2),
    ];
    assert_eq!(judge(&events), BTreeMap::new());
}

#[test]
fn one_offset_read_as_two_records_is_named_with_both() {
    let events = [
        Event::at_ms(10, "c1", consumed("orders", 0, 5, id("p1", 5))),
        Event::at_ms(2_000, "c2", consumed("orders", 0, 5, id("p1", 9))),
        Event::at_ms(2_100, "c2", consumed("orders", 1, 5, id("p1", 9))),
    ];
    let broken = judge(&events);
    let found = &broken[&Invariant::OffsetReused];
    assert_eq!(found.times, 1);
    assert_eq!(
        found.witness,
        "orders/0 offset 5 held p1:5 when c1 read it at 0.0s and p1:9 when c2 read it at 2.0s"
    );
}

#[test]
fn records_without_a_harness_id_are_not_told_apart_by_their_offset() {
    let located = RecordId::located(&crate::record::events::testing::NAMES, &orders(0), 5);
    let events = [
        Event::at_ms(10, "c1", consumed("orders", 0, 5, located)),
        Event::at_ms(20, "c2", consumed("orders", 0, 5, id("p1", 9))),
    ];
    assert!(!judge(&events).contains_key(&Invariant::OffsetReused));
}

#[test]
fn the_same_record_read_twice_at_its_offset_is_no_reuse() {
    let events = [
        Event::at_ms(10, "c1", consumed("orders", 0, 5, id("p1", 5))),
        Event::at_ms(20, "c2", consumed("orders", 0, 5, id("p1", 5))),
    ];
    assert!(!judge(&events).contains_key(&Invariant::OffsetReused));
}

#[test]
fn a_group_commit_below_the_last_one_goes_back_whoever_made_it() {
    let events = [
        committed(10, "c1", 0, 40),
        committed(20, "c2", 1, 3),
        committed(30, "c2", 0, 35),
        committed(40, "c1", 0, 30),
    ];
    let found = &judge(&events)[&Invariant::CommittedWentBack];
    assert_eq!(found.times, 2);
    assert_eq!(
        found.witness,
        "group g orders/0: c2 committed 35 at 0.0s after c1 committed 40 at 0.0s"
    );
}

#[test]
fn reading_back_without_a_rebalance_breaks_and_with_one_does_not() {
    let mut events = vec![
        Event::at_ms(0, "c1", EventKind::Assigned(vec![orders(0)])),
        Event::at_ms(10, "c1", consumed("orders", 0, 7, id("p1", 7))),
        Event::at_ms(20, "c1", EventKind::Revoked(vec![orders(0)])),
        Event::at_ms(30, "c1", EventKind::Assigned(vec![orders(0)])),
        Event::at_ms(40, "c1", consumed("orders", 0, 3, id("p1", 3))),
        // c2 reads the partition too, with no rebalance of its own: a reader of its own.
        Event::at_ms(50, "c2", consumed("orders", 0, 1, id("p1", 1))),
    ];
    assert!(!judge(&events).contains_key(&Invariant::ReadBackwards));
    events.push(Event::at_ms(
        1_500,
        "c1",
        consumed("orders", 0, 3, id("p1", 3)),
    ));
    let found = &judge(&events)[&Invariant::ReadBackwards];
    assert_eq!(
        found.witness,
        "c1 read orders/0 offset 3 at 1.5s after offset 3 at 0.0s"
    );
}

#[test]
fn acknowledged_records_missing_name_each_losing_producer() {
    let mut durability = BTreeMap::new();
    durability.insert(
        "acks1".to_owned(),
        Durability {
            acks: "1".into(),
            acknowledged: 800,
            lost: 12,
            ..Durability::default()
        },
    );
    durability.insert(
        "acksall".to_owned(),
        Durability {
            acks: "all".into(),
            acknowledged: 800,
            ..Durability::default()
        },
    );
    let found = broken(&plan(), &[], &durability, &[Invariant::LostAcknowledged]);
    assert_eq!(
        found[&Invariant::LostAcknowledged],
        Broken {
            witness: "acks1 (acks=1) lost 12 of 800 acknowledged records".into(),
            times: 1,
        }
    );
    durability.remove("acks1");
    assert!(broken(&plan(), &[], &durability, &[Invariant::LostAcknowledged]).is_empty());
}

fn assigned(ms: u64, actor: &str, partitions: &[i32]) -> Event {
    Event::at_ms(
        ms,
        actor,
        EventKind::Assigned(partitions.iter().map(|&p| orders(p)).collect()),
    )
}

fn revoked(ms: u64, actor: &str, partitions: &[i32]) -> Event {
    Event::at_ms(
        ms,
        actor,
        EventKind::Revoked(partitions.iter().map(|&p| orders(p)).collect()),
    )
}

#[test]
fn a_partition_given_back_before_it_moves_has_one_owner() {
    let events = [
        assigned(0, "c1", &[0, 1]),
        revoked(1_000, "c1", &[0, 1]),
        assigned(1_200, "c2", &[0]),
        assigned(1_300, "c1", &[1]),
        Event::at_ms(2_000, "c1", EventKind::Released(vec![orders(1)])),
        Event::at_ms(2_100, "c2", EventKind::Killed),
        assigned(2_200, "c1", &[0, 1]),
    ];
    assert!(!judge(&events).contains_key(&Invariant::TwoOwners));
}

#[test]
fn a_partition_kept_by_its_owner_after_another_was_given_it_is_named() {
    let events = [
        assigned(0, "c1", &[0, 1]),
        assigned(1_500, "c2", &[1]),
        assigned(2_000, "c1", &[0, 1]),
        revoked(3_000, "c1", &[0, 1]),
    ];
    let broken = judge(&events);
    let found = &broken[&Invariant::TwoOwners];
    assert_eq!(found.times, 1);
    assert_eq!(
        found.witness,
        "group g orders/1: c2 was assigned it at 1.5s while c1 held it, and c1 was assigned it again at 2.0s before giving it back"
    );
}

#[test]
fn an_owner_slow_to_give_back_is_the_revocation_in_progress() {
    // c1's poll thread was busy (a commit waiting): the group moved on without it.
    let events = [
        assigned(0, "c1", &[0, 1]),
        assigned(7_000, "c2", &[0, 1]),
        revoked(60_000, "c1", &[0, 1]),
        assigned(61_000, "c1", &[]),
    ];
    assert!(!judge(&events).contains_key(&Invariant::TwoOwners));
}

#[test]
fn a_zombie_frozen_or_told_of_its_loss_is_the_revocation_in_progress() {
    let frozen = [
        assigned(0, "c1", &[0, 1]),
        Event::at_ms(500, "c1", EventKind::Frozen),
        assigned(7_000, "c2", &[0, 1]),
        Event::at_ms(8_000, "c1", EventKind::Killed),
    ];
    assert!(!judge(&frozen).contains_key(&Invariant::TwoOwners));
    let told = [
        assigned(0, "c1", &[0, 1]),
        assigned(7_000, "c2", &[0, 1]),
        Event::at_ms(9_000, "c1", EventKind::Lost),
        revoked(9_000, "c1", &[0, 1]),
        assigned(9_500, "c1", &[]),
    ];
    assert!(!judge(&told).contains_key(&Invariant::TwoOwners));
    let crashed = [
        assigned(0, "c1", &[0, 1]),
        assigned(7_000, "c2", &[0, 1]),
        Event::at_ms(8_000, "c1", EventKind::Killed),
    ];
    assert!(!judge(&crashed).contains_key(&Invariant::TwoOwners));
}

#[test]
fn an_assignment_again_after_the_newcomer_gave_it_back_is_one_owner() {
    let events = [
        assigned(0, "c1", &[0]),
        assigned(1_000, "c2", &[0]),
        Event::at_ms(1_500, "c2", EventKind::Released(vec![orders(0)])),
        assigned(2_000, "c1", &[0, 1]),
        assigned(3_000, "c2", &[0]),
        assigned(3_500, "c1", &[0, 1]),
    ];
    assert_eq!(judge(&events)[&Invariant::TwoOwners].times, 1);
}
