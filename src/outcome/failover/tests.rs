use std::sync::Arc;
use std::time::Duration;

use super::*;

fn at(ms: u64, kind: EventKind) -> Event {
    Event {
        at: Duration::from_millis(ms),
        actor: Arc::from("(cluster)"),
        kind,
    }
}

fn led(ms: u64, leader: Option<i32>) -> Event {
    at(
        ms,
        EventKind::PartitionState {
            at: TopicPartition {
                topic: Arc::from("orders"),
                partition: 0,
            },
            leader,
            replicas: vec![1, 2, 3],
            isr: vec![1, 2, 3],
        },
    )
}

#[test]
fn a_killed_leader_is_replaced_after_the_time_metadata_shows() {
    let events = vec![
        led(0, Some(2)),
        at(
            1_000,
            EventKind::BrokerFault {
                node: 2,
                fault: Fault::Kill,
            },
        ),
        led(5_000, None),
        led(10_400, Some(3)),
    ];
    assert_eq!(
        failovers(&events),
        vec![Failover {
            partition: "orders/0".into(),
            fault: "kill broker 2".into(),
            at_s: 1.0,
            from: 2,
            to: Some(3),
            after_s: Some(9.4),
        }]
    );
}

#[test]
fn faults_on_followers_or_resumes_are_no_failover() {
    let events = vec![
        led(0, Some(2)),
        at(
            1_000,
            EventKind::BrokerFault {
                node: 1,
                fault: Fault::Pause,
            },
        ),
        at(
            2_000,
            EventKind::BrokerFault {
                node: 1,
                fault: Fault::Resume,
            },
        ),
    ];
    assert!(failovers(&events).is_empty());
}

#[test]
fn a_leader_never_replaced_says_so() {
    let events = vec![
        led(0, Some(2)),
        at(
            1_000,
            EventKind::BrokerFault {
                node: 2,
                fault: Fault::Stop,
            },
        ),
        led(2_000, None),
    ];
    let failover = &failovers(&events)[0];
    assert_eq!((failover.to, failover.after_s), (None, None));
}
