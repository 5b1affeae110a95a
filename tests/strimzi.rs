//! Every request the Kubernetes target makes, against a mocked API server (tower-test): the exact
//! requests are asserted and the scripted answers drive the code paths.

use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response};
use kafka_scenario::cluster::kubernetes::strimzi::{Strimzi, StrimziError};
use kube::client::Body;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// One request the fake API server received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    uri: String,
    content_type: String,
    body: Value,
}

type Answer = Box<dyn Fn(&Seen, usize) -> (u16, Value) + Send>;

/// A fake API server answering with `answer(request, index)` until the client is dropped;
/// returns every request it saw.
fn api_server(answer: Answer) -> (kube::Client, JoinHandle<Vec<Seen>>) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let task = tokio::spawn(async move {
        let mut handle = pin!(handle);
        while let Some((request, reply)) = handle.next_request().await {
            let method = request.method().to_string();
            let uri = request.uri().to_string();
            let content_type = request
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let bytes = request
                .into_body()
                .collect_bytes()
                .await
                .expect("request body");
            let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let request = Seen {
                method,
                uri,
                content_type,
                body,
            };
            let index = seen.lock().expect("lock").len();
            let (status, json) = answer(&request, index);
            seen.lock().expect("lock").push(request);
            let response = Response::builder()
                .status(status)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(&json).expect("json")))
                .expect("response");
            reply.send_response(response);
        }
        seen.lock().expect("lock").clone()
    });
    (kube::Client::new(service, "kafka"), task)
}

fn group(versions: &[&str]) -> Value {
    json!({
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": "kafka.strimzi.io",
        "versions": versions.iter().map(|v| json!({"groupVersion": format!("kafka.strimzi.io/{v}"), "version": v})).collect::<Vec<_>>(),
        "preferredVersion": {"groupVersion": format!("kafka.strimzi.io/{}", versions[0]), "version": versions[0]},
    })
}

fn not_found() -> (u16, Value) {
    (
        404,
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found"}),
    )
}

fn topic(name: &str, run: &str, ready: Option<(&str, &str, &str)>) -> Value {
    let mut topic = json!({
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaTopic",
        "metadata": {"name": name, "namespace": "kafka", "labels": {"strimzi.io/cluster": "my-cluster", "kafka-scenario/run": run}},
        "spec": {"partitions": 3, "replicas": 2},
    });
    if let Some((status, reason, message)) = ready {
        topic["status"] = json!({"conditions": [{"type": "Ready", "status": status, "reason": reason, "message": message}]});
    }
    topic
}

/// Discovers v1beta2 (the course's Strimzi), then runs `work`; returns the requests after discovery.
async fn with_strimzi<F, Fut, T>(answer: Answer, work: F) -> (T, Vec<Seen>)
where
    F: FnOnce(Strimzi) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let discovery_then = Box::new(move |seen: &Seen, index: usize| {
        if index == 0 {
            assert_eq!(
                (seen.method.as_str(), seen.uri.as_str()),
                ("GET", "/apis/kafka.strimzi.io")
            );
            (200, group(&["v1beta2"]))
        } else {
            answer(seen, index - 1)
        }
    });
    let (client, server) = api_server(discovery_then);
    let strimzi = Strimzi::discover(client, "kafka", "my-cluster", "r7k2")
        .await
        .expect("discovery");
    let result = work(strimzi).await;
    let mut seen = server.await.expect("server");
    seen.remove(0);
    (result, seen)
}

#[tokio::test]
async fn discovery_prefers_v1_and_falls_back_to_v1beta2() {
    for (served, expected) in [
        (&["v1beta2"][..], "kafka.strimzi.io/v1beta2"),
        (&["v1", "v1beta2"][..], "kafka.strimzi.io/v1"),
        (&["v1"][..], "kafka.strimzi.io/v1"),
    ] {
        let served_versions = served.to_vec();
        let (client, server) = api_server(Box::new(move |_, _| (200, group(&served_versions))));
        let strimzi = Strimzi::discover(client, "kafka", "my-cluster", "r7k2")
            .await
            .expect("discovery");
        assert_eq!(strimzi.api_version(), expected);
        drop(strimzi);
        let seen = server.await.expect("server");
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].uri, "/apis/kafka.strimzi.io");
    }
}

#[tokio::test]
async fn discovery_without_a_known_version_says_what_is_served() {
    let (client, server) = api_server(Box::new(|_, _| (200, group(&["v1alpha1"]))));
    let error = Strimzi::discover(client, "kafka", "my-cluster", "r7k2")
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(&error, StrimziError::NoStrimzi { served } if served == &["v1alpha1"]),
        "{error}"
    );
    server.await.expect("server");
}

#[tokio::test]
async fn apply_is_a_server_side_apply_with_the_cluster_and_run_labels() {
    let ((), seen) = with_strimzi(
        Box::new(|seen, _| (200, seen.body.clone())),
        |strimzi| async move {
            let manifest = strimzi.topic_manifest(
                "edu-topic13-r7k2",
                3,
                2,
                &[("retention.ms".into(), "7200000".into())],
            );
            strimzi.apply(&manifest).await.expect("applied");
        },
    )
    .await;
    assert_eq!(seen.len(), 1);
    let patch = &seen[0];
    assert_eq!(patch.method, "PATCH");
    assert_eq!(
        patch.uri,
        "/apis/kafka.strimzi.io/v1beta2/namespaces/kafka/kafkatopics/edu-topic13-r7k2?&force=true&fieldManager=kafka-scenario"
    );
    assert_eq!(patch.content_type, "application/apply-patch+yaml");
    assert_eq!(
        patch.body["metadata"]["labels"]["strimzi.io/cluster"],
        "my-cluster"
    );
    assert_eq!(
        patch.body["metadata"]["labels"]["kafka-scenario/run"],
        "r7k2"
    );
    assert_eq!(
        patch.body["spec"],
        json!({"partitions": 3, "replicas": 2, "config": {"retention.ms": "7200000"}})
    );
}

#[tokio::test]
async fn waiting_for_ready_polls_until_the_condition_is_true() {
    let (result, seen) = with_strimzi(
        Box::new(|_, index| match index {
            0 => not_found(),
            1 => (200, topic("t-r7k2", "r7k2", None)),
            _ => (200, topic("t-r7k2", "r7k2", Some(("True", "", "")))),
        }),
        |strimzi| async move { strimzi.wait_ready("t-r7k2", Duration::from_secs(30)).await },
    )
    .await;
    result.expect("ready");
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|s| s.method == "GET"
        && s.uri == "/apis/kafka.strimzi.io/v1beta2/namespaces/kafka/kafkatopics/t-r7k2"));
}

#[tokio::test]
async fn a_topic_that_stays_not_ready_reports_the_operator_reason() {
    let (result, _) = with_strimzi(
        Box::new(|_, _| {
            (
                200,
                topic(
                    "t-r7k2",
                    "r7k2",
                    Some((
                        "False",
                        "KafkaError",
                        "Replication factor: 3 larger than available brokers: 1.",
                    )),
                ),
            )
        }),
        |strimzi| async move {
            strimzi
                .wait_ready("t-r7k2", Duration::from_millis(800))
                .await
        },
    )
    .await;
    let error = result.expect_err("not ready");
    let text = error.to_string();
    assert!(
        text.contains("KafkaError: Replication factor: 3 larger than available brokers: 1."),
        "{text}"
    );
}

#[tokio::test]
async fn deletion_waits_for_the_topic_operator_finalizer() {
    let (result, seen) = with_strimzi(
        Box::new(|seen, index| match (seen.method.as_str(), index) {
            ("GET", 0) => (200, topic("t-r7k2", "r7k2", Some(("True", "", "")))),
            ("DELETE", _) => (200, topic("t-r7k2", "r7k2", None)),
            ("GET", 2) => {
                let mut finalizing = topic("t-r7k2", "r7k2", None);
                finalizing["metadata"]["deletionTimestamp"] = json!("2026-11-24T07:00:00Z");
                finalizing["metadata"]["finalizers"] = json!(["strimzi.io/topic-operator"]);
                (200, finalizing)
            }
            _ => not_found(),
        }),
        |strimzi| async move { strimzi.delete("t-r7k2", Duration::from_secs(30)).await },
    )
    .await;
    result.expect("deleted");
    let calls: Vec<&str> = seen.iter().map(|s| s.method.as_str()).collect();
    assert_eq!(calls, ["GET", "DELETE", "GET", "GET"]);
    assert_eq!(
        seen[1].uri,
        "/apis/kafka.strimzi.io/v1beta2/namespaces/kafka/kafkatopics/t-r7k2?"
    );
}

#[tokio::test]
async fn a_topic_of_another_run_or_a_student_is_never_deleted() {
    for labels in [
        json!({"strimzi.io/cluster": "my-cluster", "kafka-scenario/run": "other"}),
        json!({"strimzi.io/cluster": "my-cluster"}),
    ] {
        let answer_labels = labels.clone();
        let (result, seen) = with_strimzi(
            Box::new(move |_, _| {
                let mut foreign = topic("edu-topic13", "x", None);
                foreign["metadata"]["labels"] = answer_labels.clone();
                (200, foreign)
            }),
            |strimzi| async move { strimzi.delete("edu-topic13", Duration::from_secs(30)).await },
        )
        .await;
        assert!(
            matches!(result, Err(StrimziError::Foreign { .. })),
            "{result:?}"
        );
        assert!(seen.iter().all(|s| s.method == "GET"), "{seen:?}");
    }
}

#[tokio::test]
async fn the_bootstrap_address_comes_from_the_named_listener() {
    let kafka = json!({
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "Kafka",
        "metadata": {"name": "my-cluster", "namespace": "kafka"},
        "status": {"listeners": [
            {"name": "plain", "bootstrapServers": "my-cluster-kafka-bootstrap.kafka.svc:9092"},
            {"name": "external", "bootstrapServers": "10.0.0.5:32100"},
        ]},
    });
    let answer = kafka.clone();
    let ((found, missing), seen) = with_strimzi(
        Box::new(move |_, _| (200, answer.clone())),
        |strimzi| async move {
            (
                strimzi.bootstrap("external").await,
                strimzi.bootstrap("tls").await,
            )
        },
    )
    .await;
    assert_eq!(found.expect("external listener"), "10.0.0.5:32100");
    let missing = missing.expect_err("no tls listener").to_string();
    assert!(
        missing.contains(r#"no listener `tls` in its status (listeners: ["plain", "external"])"#),
        "{missing}"
    );
    assert_eq!(
        seen[0].uri,
        "/apis/kafka.strimzi.io/v1beta2/namespaces/kafka/kafkas/my-cluster"
    );
}

#[tokio::test]
async fn the_password_comes_from_the_kafka_user_secret() {
    let secret = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "edu-user", "namespace": "kafka"},
        "data": {"password": "czNjcjN0", "sasl.jaas.config": "eA=="},
    });
    let (password, seen) = with_strimzi(
        Box::new(move |_, _| (200, secret.clone())),
        |strimzi| async move { strimzi.password("edu-user").await },
    )
    .await;
    assert_eq!(password.expect("password"), "s3cr3t");
    assert_eq!(seen[0].uri, "/api/v1/namespaces/kafka/secrets/edu-user");
}
