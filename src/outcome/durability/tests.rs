use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::record::events::testing;
use crate::scenario::plan::Keys;

fn producer(properties: &[(&str, &str)]) -> ProducerPlan {
    ProducerPlan {
        topic: "orders".into(),
        keys: Keys::None,
        count: None,
        rate: None,
        payload: 10,
        properties: properties
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn plan(properties: &[(&str, &str)]) -> Plan {
    Plan {
        name: "t".into(),
        variant: None,
        about: String::new(),
        file: "t.yaml".into(),
        source: Arc::new(crate::scenario::source::SourceText::new(
            "t.yaml".as_ref(),
            String::new(),
        )),
        brokers: None,
        topics: Vec::new(),
        actors: [("p".to_owned(), ActorPlan::Producer(producer(properties)))].into(),
        steps: Vec::new(),
        final_expect: None,
        assignments: Default::default(),
        alike: Vec::new(),
        crowds: Default::default(),
        sweep: None,
        drawn_with: None,
        needs: Default::default(),
        vars: Default::default(),
    }
}

fn event(kind: EventKind) -> Event {
    Event {
        at: Duration::ZERO,
        actor: Arc::from("p"),
        kind,
    }
}

fn acked(seq: u64) -> Event {
    event(testing::produced("orders", 0, None, testing::id("p", seq)))
}

fn failed(kind: &str) -> Event {
    event(EventKind::ProduceFailed { error: kind.into() })
}

#[test]
fn acks_follow_librdkafka_defaults_and_idempotence() {
    assert_eq!(acks(&producer(&[])), ("all".into(), false));
    assert_eq!(acks(&producer(&[("acks", "1")])), ("1".into(), false));
    assert_eq!(
        acks(&producer(&[("request.required.acks", "-1")])),
        ("all".into(), false)
    );
    assert_eq!(
        acks(&producer(&[("acks", "1"), ("enable.idempotence", "true")])),
        ("all".into(), true)
    );
}

#[test]
fn what_the_producer_was_told_is_set_against_what_the_topic_holds() {
    // Sent 0..6: 0, 1, 2 acknowledged; 3 refused; 4 purged by a kill; 5 never answered.
    let events = vec![
        acked(0),
        acked(1),
        acked(2),
        failed("NotEnoughReplicas"),
        failed("PurgeInflight"),
        event(EventKind::Sent(6)),
    ];
    // The topic kept 0 twice, lost 2, and holds 4, which was never acknowledged.
    let stored = Stored {
        records: 4,
        copies: [(Arc::from("p"), vec![0, 0, 1, 4])].into(),
    };
    let d = &durability(&plan(&[("acks", "1")]), &events, &stored)["p"];
    assert_eq!(d.acks, "1");
    assert_eq!(d.sent, 6);
    assert_eq!(d.acknowledged, 3);
    assert_eq!(d.failed, [("NotEnoughReplicas".to_owned(), 1)].into());
    assert_eq!(d.unacknowledged, 2);
    assert_eq!(d.lost, 1);
    assert_eq!(d.duplicated, 1);
    assert_eq!(d.unacknowledged_present, 1);
}

#[test]
fn a_producer_with_nothing_stored_lost_everything_acknowledged() {
    let events = vec![acked(0), acked(1), event(EventKind::Sent(2))];
    let d = &durability(&plan(&[]), &events, &Stored::default())["p"];
    assert_eq!((d.lost, d.duplicated, d.unacknowledged), (2, 0, 0));
}
