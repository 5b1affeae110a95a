use std::path::Path;

use super::*;
use crate::cluster::local::scram::ScramUser;

fn nodes(n: u32) -> Vec<Node> {
    (1..=n)
        .map(|id| Node {
            id,
            client_port: 9000 + id as u16,
            controller_port: 9100 + id as u16,
            role: Role::Combined,
        })
        .collect()
}

fn value<'a>(properties: &'a str, key: &str) -> Option<&'a str> {
    properties
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
}

#[test]
fn every_node_knows_every_voter_and_listens_on_its_own_ports() {
    let cluster = nodes(3);
    let second = server_properties(&cluster[1], &cluster, Path::new("/d/2"), &[], None);
    assert_eq!(value(&second, "node.id"), Some("2"));
    assert_eq!(
        value(&second, "controller.quorum.voters"),
        Some("1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103")
    );
    assert_eq!(
        value(&second, "listeners"),
        Some("PLAINTEXT://127.0.0.1:9002,CONTROLLER://127.0.0.1:9102")
    );
    assert_eq!(
        value(&second, "advertised.listeners"),
        Some("PLAINTEXT://127.0.0.1:9002")
    );
    assert_eq!(value(&second, "log.dirs"), Some("/d/2"));
}

#[test]
fn internal_topics_fit_the_broker_count() {
    let one = nodes(1);
    let single = server_properties(&one[0], &one, Path::new("/d"), &[], None);
    assert_eq!(
        value(&single, "offsets.topic.replication.factor"),
        Some("1")
    );
    assert_eq!(value(&single, "transaction.state.log.min.isr"), Some("1"));
    let five = nodes(5);
    let large = server_properties(&five[0], &five, Path::new("/d"), &[], None);
    assert_eq!(value(&large, "offsets.topic.replication.factor"), Some("3"));
    assert_eq!(value(&large, "transaction.state.log.min.isr"), Some("2"));
}

#[test]
fn no_key_is_set_twice() {
    let cluster = nodes(3);
    let properties = server_properties(&cluster[0], &cluster, Path::new("/d"), &[], None);
    let mut keys: Vec<&str> = properties
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .collect();
    let count = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), count, "{properties}");
}

#[test]
fn logging_goes_to_the_given_file_in_either_flavour() {
    let file = Path::new("/tmp/x/server.log");
    assert!(logging(Logging::Log4j2, file).contains("appender.file.fileName = /tmp/x/server.log"));
    assert!(logging(Logging::Log4j1, file).contains("log4j.appender.file.File=/tmp/x/server.log"));
}

#[test]
fn heap_follows_kafka_heap_opts() {
    assert_eq!(heap_options(None), ["-Xms256m", "-Xmx512m"]);
    assert_eq!(heap_options(Some("  ")), ["-Xms256m", "-Xmx512m"]);
    assert_eq!(heap_options(Some("-Xmx1G -Xms1G")), ["-Xmx1G", "-Xms1G"]);
}

#[test]
fn tail_keeps_the_last_lines() {
    assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
    assert_eq!(tail("a", 5), "a");
    assert_eq!(tail("", 5), "");
}

#[test]
fn a_dedicated_controller_is_the_only_voter_and_brokers_take_the_scenario_settings() {
    let mut cluster = nodes(4);
    for node in &mut cluster[..3] {
        node.role = Role::Broker;
    }
    cluster[3].role = Role::Controller;
    let extra = [("replica.lag.time.max.ms".to_owned(), "5000".to_owned())];
    let broker = server_properties(&cluster[0], &cluster, Path::new("/d/1"), &extra, None);
    assert_eq!(value(&broker, "process.roles"), Some("broker"));
    assert_eq!(
        value(&broker, "controller.quorum.voters"),
        Some("4@127.0.0.1:9104")
    );
    assert_eq!(
        value(&broker, "listeners"),
        Some("PLAINTEXT://127.0.0.1:9001")
    );
    assert_eq!(value(&broker, "replica.lag.time.max.ms"), Some("5000"));
    assert_eq!(
        value(&broker, "offsets.topic.replication.factor"),
        Some("3")
    );
    let controller = server_properties(&cluster[3], &cluster, Path::new("/d/4"), &extra, None);
    assert_eq!(value(&controller, "process.roles"), Some("controller"));
    assert_eq!(
        value(&controller, "listeners"),
        Some("CONTROLLER://127.0.0.1:9104")
    );
    assert_eq!(value(&controller, "advertised.listeners"), None);
    assert_eq!(value(&controller, "replica.lag.time.max.ms"), None);
}

#[test]
fn with_a_scram_user_clients_and_brokers_authenticate_and_the_quorum_does_not() {
    let cluster = nodes(2);
    let user = ScramUser {
        name: "edu-user".into(),
        password: "s3cret".into(),
    };
    let properties = server_properties(&cluster[0], &cluster, Path::new("/d"), &[], Some(&user));
    let port = cluster[0].client_port;
    assert_eq!(
        value(&properties, "advertised.listeners"),
        Some(format!("SASL_PLAINTEXT://127.0.0.1:{port}").as_str())
    );
    assert_eq!(
        value(&properties, "listener.security.protocol.map"),
        Some("SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT")
    );
    assert_eq!(
        value(&properties, "inter.broker.listener.name"),
        Some("SASL_PLAINTEXT")
    );
    assert_eq!(
        value(&properties, "sasl.mechanism.inter.broker.protocol"),
        Some("SCRAM-SHA-512")
    );
    let jaas = value(
        &properties,
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config",
    )
    .expect("a login for the brokers");
    assert!(
        jaas.contains("username=\"edu-user\" password=\"s3cret\""),
        "{jaas}"
    );
    assert!(!format!("{user:?}").contains("s3cret"));
}
