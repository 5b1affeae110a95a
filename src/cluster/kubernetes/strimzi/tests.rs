use kube::api::DynamicObject;
use serde_json::json;

use super::{Readiness, readiness};

fn topic(generation: Option<i64>, status: serde_json::Value) -> DynamicObject {
    let mut topic: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaTopic",
        "metadata": {"name": "t", "namespace": "kafka"},
        "status": status,
    }))
    .expect("a KafkaTopic");
    topic.metadata.generation = generation;
    topic
}

fn ready(status: &str) -> serde_json::Value {
    json!({"type": "Ready", "status": status, "reason": "KafkaError", "message": "no"})
}

#[test]
fn a_topic_without_a_ready_condition_is_unseen() {
    assert_eq!(readiness(&topic(Some(1), json!({}))), Readiness::Unseen);
    assert_eq!(
        readiness(&topic(Some(1), json!({"conditions": []}))),
        Readiness::Unseen
    );
}

#[test]
fn ready_counts_only_for_the_generation_it_was_reported_for() {
    let grown = topic(
        Some(2),
        json!({"observedGeneration": 1, "conditions": [ready("True")]}),
    );
    assert_eq!(readiness(&grown), Readiness::Unseen);
    let caught_up = topic(
        Some(2),
        json!({"observedGeneration": 2, "conditions": [ready("True")]}),
    );
    assert_eq!(readiness(&caught_up), Readiness::Ready);
}

#[test]
fn an_operator_without_observed_generation_is_taken_at_its_word() {
    let topic = topic(Some(3), json!({"conditions": [ready("True")]}));
    assert_eq!(readiness(&topic), Readiness::Ready);
}

#[test]
fn a_refusal_carries_the_operator_reason() {
    let refused = topic(
        Some(1),
        json!({"observedGeneration": 1, "conditions": [{"type": "Unrelated", "status": "True"}, ready("False")]}),
    );
    assert_eq!(
        readiness(&refused),
        Readiness::Refused {
            reason: "KafkaError".into(),
            message: "no".into()
        }
    );
    let stale_refusal = topic(
        Some(2),
        json!({"observedGeneration": 1, "conditions": [ready("False")]}),
    );
    assert_eq!(readiness(&stale_refusal), Readiness::Unseen);
}
