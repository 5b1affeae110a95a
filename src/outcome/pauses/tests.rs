use std::sync::Arc;

use super::*;
use crate::record::events::testing;

fn at(ms: u64, actor: &str, kind: EventKind) -> Event {
    Event::at_ms(ms, actor, kind)
}

fn part(n: i32) -> TopicPartition {
    TopicPartition {
        topic: Arc::from("t"),
        partition: n,
    }
}

fn consumed(ms: u64, actor: &str, partition: i32, seq: u64) -> Event {
    at(
        ms,
        actor,
        testing::consumed("t", partition, 0, testing::id("p", seq)),
    )
}

fn acked(ms: u64, partition: i32, seq: u64) -> Event {
    at(
        ms,
        "p",
        testing::produced("t", partition, None, testing::id("p", seq)),
    )
}

fn member(actor: &str) -> bool {
    actor != "p"
}

fn span(from_ms: u64, to_ms: u64) -> RebalanceSpan {
    RebalanceSpan {
        began: Duration::from_millis(from_ms),
        ended: Some(Duration::from_millis(to_ms)),
    }
}

#[test]
fn an_eager_rebalance_stops_the_world_between_the_last_revocation_and_the_first_assignment() {
    let events = vec![
        at(0, "a", EventKind::Assigned(vec![part(0)])),
        at(0, "b", EventKind::Assigned(vec![part(1)])),
        acked(1_000, 0, 1),
        consumed(1_010, "a", 0, 1),
        at(10_000, "a", EventKind::Revoked(vec![part(0)])),
        at(10_200, "b", EventKind::Revoked(vec![part(1)])),
        acked(10_500, 1, 2),
        at(12_000, "a", EventKind::Assigned(vec![part(1)])),
        at(12_100, "b", EventKind::Assigned(vec![part(0)])),
        consumed(12_200, "a", 1, 2),
        acked(12_300, 0, 3),
        consumed(12_500, "b", 0, 3),
    ];
    let spans = [span(10_000, 12_100)];
    let cost = &pauses(&events, &spans, &member)[0];
    assert_eq!(cost.stop_the_world_s, 1.8);
    assert_eq!(
        cost.paused_s,
        BTreeMap::from([("a".to_owned(), 2.0), ("b".to_owned(), 1.9)])
    );
    assert_eq!(
        cost.largest_gap,
        Some(PartitionGap {
            partition: "t/1".into(),
            seconds: 1.7
        }),
        "t/0's next record came after the rebalance"
    );
    assert_eq!(
        cost.latency,
        Some(Latency {
            records: 1,
            max_ms: 1700.0,
            p99_ms: 1700.0
        })
    );
    assert_eq!(
        steady_latency(&events, &spans, &member),
        Some(Latency {
            records: 2,
            max_ms: 200.0,
            p99_ms: 200.0
        })
    );
}

#[test]
fn a_member_that_keeps_its_partitions_means_no_stop_the_world() {
    let events = vec![
        at(0, "a", EventKind::Assigned(vec![part(0)])),
        at(0, "b", EventKind::Assigned(vec![part(1)])),
        at(10_000, "b", EventKind::Revoked(vec![part(1)])),
        at(11_000, "c", EventKind::Assigned(vec![part(1)])),
    ];
    let cost = &pauses(&events, &[span(10_000, 11_000)], &member)[0];
    assert_eq!(cost.stop_the_world_s, 0.0);
    assert_eq!(
        cost.largest_gap, None,
        "no record came after the revocation"
    );
}

#[test]
fn a_partition_waits_only_from_when_a_record_was_there() {
    let events = vec![
        at(0, "a", EventKind::Assigned(vec![part(0)])),
        at(1_000, "a", EventKind::Revoked(vec![part(0)])),
        acked(1_500, 0, 1),
        at(2_000, "a", EventKind::Assigned(vec![part(0)])),
        consumed(2_050, "a", 0, 1),
        at(3_000, "a", EventKind::Revoked(vec![part(0)])),
        at(4_000, "a", EventKind::Assigned(vec![part(0)])),
        acked(9_000, 0, 2),
        consumed(9_050, "a", 0, 2),
    ];
    let spans = [span(1_000, 2_000), span(3_000, 4_000)];
    let costs = pauses(&events, &spans, &member);
    assert_eq!(
        costs[0].largest_gap,
        Some(PartitionGap {
            partition: "t/0".into(),
            seconds: 0.55
        })
    );
    assert_eq!(costs[1].largest_gap, None, "its next record came after it");
}

#[test]
fn a_killed_or_frozen_owner_loses_its_partitions_when_it_goes_silent() {
    let events = vec![
        at(0, "a", EventKind::Assigned(vec![part(0)])),
        at(0, "b", EventKind::Assigned(vec![part(1)])),
        acked(1_000, 1, 1),
        at(2_000, "b", EventKind::Frozen),
        acked(3_000, 1, 2),
        // The group notices the silent member six seconds later.
        at(8_000, "a", EventKind::Revoked(vec![part(0)])),
        at(9_000, "a", EventKind::Assigned(vec![part(0), part(1)])),
        consumed(9_100, "a", 1, 2),
    ];
    let cost = &pauses(&events, &[span(8_000, 9_000)], &member)[0];
    assert_eq!(cost.stop_the_world_s, 1.0, "the frozen member owns nothing");
    assert_eq!(
        cost.largest_gap,
        Some(PartitionGap {
            partition: "t/1".into(),
            seconds: 6.1
        }),
        "t/1 waited from the first record after its owner fell silent"
    );
}

#[test]
fn an_incremental_release_stops_nothing_but_the_released_partition() {
    let events = vec![
        at(0, "a", EventKind::Started),
        at(100, "a", EventKind::Assigned(vec![part(0), part(1)])),
        at(5_000, "b", EventKind::Started),
        at(5_500, "a", EventKind::Released(vec![part(1)])),
        acked(5_600, 1, 1),
        at(6_500, "b", EventKind::Assigned(vec![part(1)])),
        consumed(6_600, "b", 1, 1),
        at(9_000, "a", EventKind::Stopped),
        at(9_000, "b", EventKind::Stopped),
    ];
    let whole = whole_run(&events, &member).expect("a member owned partitions");
    assert_eq!(whole.stop_the_world_s, 0.0, "a went on with t/0");
    assert_eq!(
        whole.largest_gap,
        Some(PartitionGap {
            partition: "t/1".into(),
            seconds: 1.0
        }),
        "t/1 waited from its record to b's first"
    );
    assert_eq!(whole.paused_s, BTreeMap::new(), "a release pauses nobody");
}

#[test]
fn the_whole_run_counts_every_stop_the_world_but_none_once_everyone_left() {
    let events = vec![
        at(0, "a", EventKind::Started),
        at(1_000, "a", EventKind::Assigned(vec![part(0)])),
        at(5_000, "b", EventKind::Started),
        at(5_000, "a", EventKind::Revoked(vec![part(0)])),
        at(7_000, "a", EventKind::Assigned(vec![part(0)])),
        at(7_000, "b", EventKind::Assigned(vec![])),
        at(8_000, "a", EventKind::Stopped),
        at(8_000, "b", EventKind::Revoked(vec![])),
        at(9_000, "b", EventKind::Assigned(vec![part(0)])),
        at(10_000, "b", EventKind::Stopped),
        at(20_000, "p", EventKind::Sent(0)),
    ];
    let whole = whole_run(&events, &member).expect("a member owned partitions");
    assert_eq!(
        whole.stop_the_world_s, 3.0,
        "5 s to 7 s and 8 s to 9 s; the first join and the time after the last stop do not count"
    );
}

#[test]
fn a_member_that_stops_is_not_paused_by_the_revocation_of_its_own_close() {
    // librdkafka's close revokes after the stop is logged; the member has left, it waits for
    // nothing.
    let events = vec![
        at(0, "a", EventKind::Assigned(vec![part(0)])),
        at(0, "b", EventKind::Assigned(vec![part(1)])),
        at(5_000, "b", EventKind::Stopped),
        at(5_010, "b", EventKind::Revoked(vec![part(1)])),
        at(5_100, "a", EventKind::Revoked(vec![part(0)])),
        at(6_000, "a", EventKind::Assigned(vec![part(0), part(1)])),
        acked(9_000, 0, 1),
        consumed(9_010, "a", 0, 1),
    ];
    let paused = paused(&events, Duration::ZERO, Duration::from_secs(10), &member);
    assert_eq!(paused.get("b"), None, "{paused:?}");
    assert_eq!(paused.get("a"), Some(&0.9));
}

#[test]
fn a_member_started_again_after_a_stop_is_paused_by_its_next_revocation() {
    let events = vec![
        at(0, "a", EventKind::Assigned(vec![part(0)])),
        at(1_000, "a", EventKind::Stopped),
        at(1_010, "a", EventKind::Revoked(vec![part(0)])),
        at(2_000, "a", EventKind::Started),
        at(2_500, "a", EventKind::Assigned(vec![part(0)])),
        at(4_000, "a", EventKind::Revoked(vec![part(0)])),
        at(4_300, "a", EventKind::Assigned(vec![part(0)])),
    ];
    let paused = paused(&events, Duration::ZERO, Duration::from_secs(10), &member);
    assert_eq!(paused.get("a"), Some(&0.3));
}
