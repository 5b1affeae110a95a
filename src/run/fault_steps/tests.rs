use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::record::events::TopicPartition;
use crate::record::state::PartitionView;
use crate::run::cluster_view::PartitionMetadata;

fn orders() -> PartitionRef {
    PartitionRef {
        topic: "orders".into(),
        partition: 0,
    }
}

fn tp() -> TopicPartition {
    TopicPartition {
        topic: Arc::from("orders"),
        partition: 0,
    }
}

fn led_by(leader: Option<i32>) -> Snapshot {
    Snapshot {
        brokers: vec![1, 2, 3],
        partitions: BTreeMap::from([(
            tp(),
            PartitionMetadata {
                leader,
                replicas: vec![2, 3, 1],
                isr: vec![2, 3, 1],
            },
        )]),
    }
}

#[test]
fn roles_resolve_from_the_metadata_of_the_moment() {
    let named = BTreeMap::new();
    let snapshot = led_by(Some(3));
    let leader = resolve(
        &BrokerRef::LeaderOf(orders()),
        None,
        Some(&snapshot),
        &named,
    );
    assert_eq!(leader, Ok((vec![3], Some("the leader of orders/0".into()))));
    let followers = resolve(
        &BrokerRef::FollowersOf(orders()),
        None,
        Some(&snapshot),
        &named,
    );
    assert_eq!(followers.map(|f| f.0), Ok(vec![2, 1]));
}

#[test]
fn a_partition_without_a_leader_names_no_broker() {
    let snapshot = led_by(None);
    let named = BTreeMap::new();
    assert!(
        resolve(
            &BrokerRef::LeaderOf(orders()),
            None,
            Some(&snapshot),
            &named
        )
        .is_err()
    );
    assert!(
        resolve(
            &BrokerRef::FollowersOf(orders()),
            None,
            Some(&snapshot),
            &named
        )
        .is_err()
    );
}

#[test]
fn names_and_the_controller_come_from_the_run() {
    let named = BTreeMap::from([("old-leader".to_owned(), vec![2])]);
    assert_eq!(
        resolve(&BrokerRef::Named("old-leader".into()), None, None, &named).map(|r| r.0),
        Ok(vec![2])
    );
    assert_eq!(
        resolve(&BrokerRef::Controller, Some(4), None, &named).map(|r| r.0),
        Ok(vec![4])
    );
    assert!(resolve(&BrokerRef::Controller, None, None, &named).is_err());
}

#[test]
fn what_was_done_reads_as_a_sentence() {
    assert_eq!(
        describe_done(Fault::Kill, &[2], Some("the leader of orders/0")),
        "killed broker 2 (the leader of orders/0)"
    );
    assert_eq!(
        describe_done(Fault::Pause, &[1, 3], None),
        "paused brokers 1, 3"
    );
}

#[test]
fn failover_time_counts_from_the_fault() {
    let mut state = LiveState::default();
    state.leaders_at_fault.insert(tp(), Some(2));
    state.last_fault = Some(Duration::from_secs(10));
    state.partitions.insert(
        tp(),
        PartitionView {
            leader: Some(3),
            replicas: vec![2, 3, 1],
            isr: vec![3, 1],
            leader_since: Duration::from_millis(19_400),
        },
    );
    assert_eq!(
        failovers(&[orders()], &state),
        "orders/0 leader 2 -> 3 after 9.4 s"
    );
}
