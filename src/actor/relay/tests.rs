use std::time::Duration;

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::metadata_response::MetadataResponseBroker;
use kafka_protocol::messages::{ApiVersionsRequest, BrokerId, MetadataRequest};
use kafka_protocol::protocol::HeaderVersion;

use super::*;
use crate::cluster::wire;

fn answer_frame<R: Encodable + HeaderVersion>(
    correlation: i32,
    answer: &R,
    version: i16,
) -> Vec<u8> {
    let mut out = Vec::new();
    ResponseHeader::default()
        .with_correlation_id(correlation)
        .encode(&mut out, R::header_version(version))
        .expect("header encodes");
    answer.encode(&mut out, version).expect("answer encodes");
    out
}

fn to_relay(host: &str, port: i32) -> Option<(String, i32)> {
    (host == "broker-1").then(|| ("127.0.0.1".to_owned(), port + 1000))
}

#[test]
fn metadata_and_find_coordinator_requests_are_noted_and_others_are_not() {
    let metadata =
        wire::frame(ApiKey::Metadata as i16, 12, &MetadataRequest::default()).expect("encodes");
    assert_eq!(
        addressing_request(&metadata[4..]),
        Some((ApiKey::Metadata, 12, 1))
    );
    let versions = wire::frame(
        ApiKey::ApiVersions as i16,
        3,
        &ApiVersionsRequest::default(),
    )
    .expect("encodes");
    assert_eq!(addressing_request(&versions[4..]), None);
    assert_eq!(addressing_request(&[0, 3]), None);
}

#[test]
fn metadata_brokers_get_the_relay_addresses_and_unknown_ones_stay() {
    let answer = MetadataResponse::default().with_brokers(vec![
        MetadataResponseBroker::default()
            .with_node_id(BrokerId(1))
            .with_host(StrBytes::from_static_str("broker-1"))
            .with_port(9092),
        MetadataResponseBroker::default()
            .with_node_id(BrokerId(2))
            .with_host(StrBytes::from_static_str("elsewhere"))
            .with_port(9093),
    ]);
    let frame = answer_frame(7, &answer, 12);
    let rewritten = rewrite_answer(ApiKey::Metadata, 12, &frame, &mut to_relay).expect("rewrites");
    let mut buf = &rewritten[..];
    let header = ResponseHeader::decode(&mut buf, MetadataResponse::header_version(12))
        .expect("header decodes");
    assert_eq!(header.correlation_id, 7);
    let back = MetadataResponse::decode(&mut buf, 12).expect("decodes");
    let brokers: Vec<(i32, &str, i32)> = back
        .brokers
        .iter()
        .map(|b| (b.node_id.0, b.host.as_str(), b.port))
        .collect();
    assert_eq!(
        brokers,
        vec![(1, "127.0.0.1", 10092), (2, "elsewhere", 9093)]
    );
}

#[test]
fn the_coordinator_is_rewritten_in_old_and_new_answers() {
    let old = FindCoordinatorResponse::default()
        .with_host(StrBytes::from_static_str("broker-1"))
        .with_port(9092);
    let rewritten = rewrite_answer(
        ApiKey::FindCoordinator,
        3,
        &answer_frame(1, &old, 3),
        &mut to_relay,
    )
    .expect("rewrites");
    let back: FindCoordinatorResponse = wire::decode(&rewritten, 3).expect("decodes");
    assert_eq!((back.host.as_str(), back.port), ("127.0.0.1", 10092));

    let new = FindCoordinatorResponse::default().with_coordinators(vec![
        Coordinator::default()
            .with_host(StrBytes::from_static_str("broker-1"))
            .with_port(9094),
    ]);
    let rewritten = rewrite_answer(
        ApiKey::FindCoordinator,
        4,
        &answer_frame(1, &new, 4),
        &mut to_relay,
    )
    .expect("rewrites");
    let back: FindCoordinatorResponse = wire::decode(&rewritten, 4).expect("decodes");
    assert_eq!(
        (
            back.coordinators[0].host.as_str(),
            back.coordinators[0].port
        ),
        ("127.0.0.1", 10094)
    );
}

#[test]
fn a_truncated_answer_is_an_error() {
    let frame = answer_frame(1, &MetadataResponse::default(), 12);
    assert!(
        rewrite_answer(
            ApiKey::Metadata,
            12,
            &frame[..frame.len() - 1],
            &mut to_relay
        )
        .is_err()
    );
}

/// A server that answers every frame with the same frame.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind((LOOPBACK, 0)).await.expect("binds");
    let address = listener.local_addr().expect("has an address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut read, mut write) = stream.into_split();
                while let Ok(Some(frame)) = read_frame(&mut read).await {
                    if write_frame(&mut write, &frame).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    address
}

/// A connection to the relay, as a client's to a broker.
async fn client_of(relay: &Relay) -> TcpStream {
    TcpStream::connect(relay.bootstrap())
        .await
        .expect("connects")
}

async fn send(stream: &mut TcpStream, payload: &[u8]) {
    let size = i32::try_from(payload.len()).expect("small");
    stream.write_all(&size.to_be_bytes()).await.expect("writes");
    stream.write_all(payload).await.expect("writes");
}

async fn receive(stream: &mut TcpStream) -> Vec<u8> {
    let mut size = [0u8; 4];
    stream.read_exact(&mut size).await.expect("reads");
    let mut frame = vec![0u8; usize::try_from(i32::from_be_bytes(size)).expect("positive")];
    stream.read_exact(&mut frame).await.expect("reads");
    frame
}

#[tokio::test]
async fn a_frozen_relay_holds_what_is_sent_and_delivers_it_once_thawed() {
    let server = echo_server().await;
    let relay = Relay::start(&server.to_string(), Link::default()).expect("starts");
    let mut client = client_of(&relay).await;
    send(&mut client, b"before").await;
    assert_eq!(receive(&mut client).await, b"before");

    relay.freeze();
    send(&mut client, b"while frozen").await;
    let held = tokio::time::timeout(Duration::from_millis(300), receive(&mut client)).await;
    assert!(held.is_err(), "a frozen relay let an answer through");

    relay.thaw();
    assert_eq!(receive(&mut client).await, b"while frozen");
}

#[tokio::test]
async fn a_dropped_relay_closes_its_connections() {
    let server = echo_server().await;
    let relay = Relay::start(&server.to_string(), Link::default()).expect("starts");
    let mut client = client_of(&relay).await;
    send(&mut client, b"hello").await;
    assert_eq!(receive(&mut client).await, b"hello");
    drop(relay);
    let mut rest = Vec::new();
    let read = client.read_to_end(&mut rest).await;
    assert!(
        read.is_err() || rest.is_empty(),
        "the connection stayed open"
    );
}

#[test]
fn bootstrap_addresses_must_be_host_and_port() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let _guard = runtime.enter();
    assert!(Relay::start("localhost", Link::default()).is_err());
    assert!(Relay::start("", Link::default()).is_err());
}

#[tokio::test]
async fn a_cut_link_holds_what_is_sent_through_a_freeze_and_thaw_until_it_is_healed() {
    let server = echo_server().await;
    let relay = Relay::start(&server.to_string(), Link::default()).expect("starts");
    let mut client = client_of(&relay).await;
    relay.set_link(Link {
        cut: true,
        ..Link::default()
    });
    send(&mut client, b"while cut").await;
    relay.freeze();
    relay.thaw();
    let held = tokio::time::timeout(Duration::from_millis(300), receive(&mut client)).await;
    assert!(held.is_err(), "a cut link let an answer through");

    relay.set_link(Link::default());
    assert_eq!(receive(&mut client).await, b"while cut");
}

#[tokio::test]
async fn latency_holds_each_frame_each_way_and_keeps_their_order() {
    let server = echo_server().await;
    let latency = Duration::from_millis(150);
    let relay = Relay::start(
        &server.to_string(),
        Link {
            latency,
            jitter: Duration::from_millis(100),
            ..Link::default()
        },
    )
    .expect("starts");
    let mut client = client_of(&relay).await;
    let sent = std::time::Instant::now();
    for n in 0..20u8 {
        send(&mut client, &[n]).await;
    }
    for n in 0..20u8 {
        assert_eq!(receive(&mut client).await, [n]);
    }
    // Each way at least latency - jitter: the round trip of the first frame alone.
    assert!(sent.elapsed() >= Duration::from_millis(100));
}

#[tokio::test]
async fn a_reset_ends_open_connections_and_new_ones_pass() {
    let server = echo_server().await;
    let relay = Relay::start(&server.to_string(), Link::default()).expect("starts");
    let mut client = client_of(&relay).await;
    send(&mut client, b"before").await;
    assert_eq!(receive(&mut client).await, b"before");
    relay.reset();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), client.read_to_end(&mut rest))
        .await
        .expect("the connection ended");
    assert_eq!(
        read.map_err(|e| e.kind()).err(),
        Some(std::io::ErrorKind::ConnectionReset),
        "the connection was not reset"
    );
    let mut again = client_of(&relay).await;
    send(&mut again, b"after").await;
    assert_eq!(receive(&mut again).await, b"after");
}

#[test]
fn delay_spreads_the_jitter_on_either_side_of_the_latency() {
    let link = Link {
        latency: Duration::from_millis(100),
        jitter: Duration::from_millis(40),
        ..Link::default()
    };
    assert_eq!(delay(&link, 0.0), Duration::from_millis(60));
    assert_eq!(delay(&link, 0.5), Duration::from_millis(100));
    assert!(delay(&link, 0.999_999) <= Duration::from_millis(140));
    assert_eq!(delay(&Link::default(), 0.7), Duration::ZERO);
}
