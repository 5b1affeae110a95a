use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::record::events::TopicPartition;
use crate::run::cluster_view::PartitionMetadata;

fn snapshot(brokers: &[i32], leader: Option<i32>, isr: &[i32]) -> Snapshot {
    Snapshot {
        brokers: brokers.to_vec(),
        partitions: BTreeMap::from([(
            TopicPartition {
                topic: Arc::from("orders"),
                partition: 0,
            },
            PartitionMetadata {
                leader,
                replicas: vec![1, 2, 3],
                isr: isr.to_vec(),
            },
        )]),
    }
}

#[test]
fn nothing_is_recorded_while_nothing_changes() {
    let now = snapshot(&[1, 2, 3], Some(1), &[1, 2, 3]);
    assert!(changes(&now, &now.clone()).is_empty());
}

#[test]
fn the_first_read_records_everything() {
    let events = changes(
        &Snapshot::default(),
        &snapshot(&[1, 2, 3], Some(1), &[1, 2, 3]),
    );
    assert!(matches!(&events[0], EventKind::Brokers(b) if b == &[1, 2, 3]));
    assert!(matches!(
        &events[1],
        EventKind::PartitionState {
            leader: Some(1),
            ..
        }
    ));
    assert_eq!(events.len(), 2);
}

#[test]
fn a_new_leader_and_a_shrunk_isr_are_one_change_of_the_partition() {
    let before = snapshot(&[1, 2, 3], Some(1), &[1, 2, 3]);
    let after = snapshot(&[1, 2, 3], Some(2), &[2, 3]);
    let events = changes(&before, &after);
    assert_eq!(events.len(), 1);
    assert!(matches!(
        &events[0],
        EventKind::PartitionState { leader: Some(2), isr, .. } if isr == &[2, 3]
    ));
}

#[test]
fn a_fenced_broker_changes_the_broker_list() {
    let before = snapshot(&[1, 2, 3], Some(2), &[2, 3]);
    let after = snapshot(&[2, 3], Some(2), &[2, 3]);
    assert!(matches!(&changes(&before, &after)[..], [EventKind::Brokers(b)] if b == &[2, 3]));
}
