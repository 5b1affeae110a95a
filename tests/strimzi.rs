//! What a real API server cannot be made to do on demand, against a mocked one (tower-test):
//! Strimzi served only as v1 (Strimzi 1.0), or in no version the harness knows. Everything
//! else the Kubernetes target does runs against a real kube-apiserver in tests/kubernetes.rs.

use std::pin::pin;

use http::{Request, Response};
use kafka_scenario::cluster::kubernetes::strimzi::{Strimzi, StrimziError};
use kube::client::Body;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// A fake API server answering every request with `answer`, until the client is dropped;
/// returns the path of every request it saw.
fn api_server(answer: Value) -> (kube::Client, JoinHandle<Vec<String>>) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let task = tokio::spawn(async move {
        let mut handle = pin!(handle);
        let mut seen = Vec::new();
        while let Some((request, reply)) = handle.next_request().await {
            seen.push(request.uri().to_string());
            let response = Response::builder()
                .status(200)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(&answer).expect("json")))
                .expect("response");
            reply.send_response(response);
        }
        seen
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

#[tokio::test]
async fn discovery_prefers_v1_and_falls_back_to_v1beta2() {
    for (served, expected) in [
        (&["v1beta2"][..], "kafka.strimzi.io/v1beta2"),
        (&["v1", "v1beta2"][..], "kafka.strimzi.io/v1"),
        (&["v1"][..], "kafka.strimzi.io/v1"),
    ] {
        let (client, server) = api_server(group(served));
        let strimzi = Strimzi::discover(client, "kafka", "my-cluster", "r7k2")
            .await
            .expect("discovery");
        assert_eq!(strimzi.api_version(), expected);
        drop(strimzi);
        let seen = server.await.expect("server");
        assert_eq!(seen, ["/apis/kafka.strimzi.io"]);
    }
}

#[tokio::test]
async fn discovery_without_a_known_version_says_what_is_served() {
    let (client, server) = api_server(group(&["v1alpha1"]));
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
