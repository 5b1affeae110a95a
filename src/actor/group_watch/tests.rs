use std::collections::BTreeSet;
use std::sync::Arc;

use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as AssignedTopic;
use kafka_protocol::messages::{ConsumerProtocolAssignment, TopicName};
use kafka_protocol::protocol::{Encodable, StrBytes};

use super::*;

fn encoded(version: i16, topics: &[(&str, &[i32])]) -> Vec<u8> {
    let assignment = ConsumerProtocolAssignment::default().with_assigned_partitions(
        topics
            .iter()
            .map(|(name, partitions)| {
                AssignedTopic::default()
                    .with_topic(TopicName(StrBytes::from_string((*name).to_owned())))
                    .with_partitions(partitions.to_vec())
            })
            .collect(),
    );
    let mut out = version.to_be_bytes().to_vec();
    assignment.encode(&mut out, version).expect("encodable");
    out
}

#[test]
fn decodes_a_classic_assignment_of_any_version() {
    for version in [0, 1, 3] {
        let bytes = encoded(version, &[("orders-r1", &[0, 2]), ("audit-r1", &[1])]);
        assert_eq!(
            decode_assignment(&bytes),
            Ok(vec![
                ("orders-r1".to_owned(), vec![0, 2]),
                ("audit-r1".to_owned(), vec![1])
            ])
        );
    }
    assert!(decode_assignment(&[0]).is_err());
}

fn part(partition: i32) -> TopicPartition {
    TopicPartition {
        topic: Arc::from("orders"),
        partition,
    }
}

fn member(id: &str, client: &str, parts: &[i32]) -> MemberView {
    MemberView {
        id: id.into(),
        client_id: client.into(),
        assignment: parts.iter().map(|p| part(*p)).collect(),
    }
}

fn follow(actor: &str, client_id: Option<&str>) -> Followed {
    Followed {
        actor: Arc::from(actor),
        group: "g".into(),
        client_id: client_id.map(str::to_owned),
        member: None,
        held: None,
        generation: BTreeSet::new(),
        running: true,
    }
}

fn view(state: &str, members: Vec<MemberView>) -> GroupView {
    GroupView {
        state: state.into(),
        members,
    }
}

#[test]
fn a_new_member_is_the_process_s_unless_it_is_the_harness_s_own() {
    let harness = BTreeSet::from(["consumer1".to_owned()]);
    let mut followed = vec![follow("python1", None)];
    let stable = view(
        "Stable",
        vec![
            member("consumer1-a", "consumer1", &[0, 1]),
            member("kafka-python-b", "kafka-python-2.0.2", &[2]),
        ],
    );
    let events = observe(&mut followed, "g", &stable, &harness);
    assert_eq!(followed[0].member.as_deref(), Some("kafka-python-b"));
    assert!(matches!(&events[..], [(actor, EventKind::Assigned(parts))]
        if &**actor == "python1" && parts == &[part(2)]));
    assert!(
        observe(&mut followed, "g", &stable, &harness).is_empty(),
        "logged twice"
    );
}

#[test]
fn a_declared_client_id_picks_the_member() {
    let mut followed = vec![follow("spring", Some("spring-1"))];
    let stable = view(
        "Stable",
        vec![
            member("other", "kafka-python-2.0.2", &[1]),
            member("mine", "spring-1", &[0]),
        ],
    );
    observe(&mut followed, "g", &stable, &BTreeSet::new());
    assert_eq!(followed[0].member.as_deref(), Some("mine"));
}

#[test]
fn a_rebalance_revokes_and_a_new_generation_assigns_again() {
    let mut followed = vec![follow("python1", None)];
    let harness = BTreeSet::new();
    let first = view("Stable", vec![member("p1", "kp", &[0, 1])]);
    observe(&mut followed, "g", &first, &harness);
    let preparing = view("PreparingRebalance", vec![member("p1", "kp", &[])]);
    let events = observe(&mut followed, "g", &preparing, &harness);
    assert!(matches!(&events[..], [(_, EventKind::Revoked(parts))] if parts.len() == 2));
    // Missed in between: a stable group with another member, the same partitions.
    let mut followed = vec![follow("python1", None)];
    observe(&mut followed, "g", &first, &harness);
    let grown = view(
        "Stable",
        vec![member("p1", "kp", &[0, 1]), member("p2", "kp", &[])],
    );
    followed.push(follow("python2", None));
    let events = observe(&mut followed, "g", &grown, &harness);
    let actors: Vec<&str> = events.iter().map(|(a, _)| &**a).collect();
    assert_eq!(actors, ["python1", "python2"]);
}

#[test]
fn an_ended_process_keeps_its_member_and_logs_nothing_more() {
    let mut followed = vec![follow("python1", None)];
    let harness = BTreeSet::new();
    observe(
        &mut followed,
        "g",
        &view("Stable", vec![member("p1", "kp", &[0])]),
        &harness,
    );
    followed[0].running = false;
    followed.push(follow("python2", None));
    // The stopped process's member lingers until its session times out: not python2's.
    let events = observe(
        &mut followed,
        "g",
        &view("Stable", vec![member("p1", "kp", &[0])]),
        &harness,
    );
    assert!(events.is_empty());
    assert_eq!(followed[1].member, None);
}
