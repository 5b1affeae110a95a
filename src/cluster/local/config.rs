//! The configuration of each broker the `kafka-local` target starts: combined KRaft
//! broker+controller nodes on loopback. Kafka's own defaults stay, except where they cannot
//! work with fewer than three brokers, and the KIP-848 group timing
//! (docs/src/targets/kafka-local.md).

use std::fmt::Write;
use std::path::Path;

use super::distribution::Logging;
use super::scram::{MECHANISM, ScramUser};
use crate::cluster::bootstrap::{HEARTBEAT_INTERVAL_MS, SESSION_TIMEOUT_MS};

/// What a node does in the KRaft cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Broker and controller in one JVM (the shared clusters: fewest processes).
    Combined,
    /// A broker only; the quorum lives elsewhere.
    Broker,
    /// A controller only (a scenario's own cluster: a broker fault never takes the quorum along).
    Controller,
}

/// One node of the cluster: its id, role and the two loopback ports it may listen on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    /// `node.id`, from 1.
    pub id: u32,
    /// The PLAINTEXT listener clients and the other brokers use (unused by a controller).
    pub client_port: u16,
    /// The CONTROLLER listener of the KRaft quorum (unused by a broker-only node).
    pub controller_port: u16,
    /// What it runs.
    pub role: Role,
}

impl Node {
    /// Whether it serves clients.
    pub fn is_broker(&self) -> bool {
        self.role != Role::Controller
    }

    /// Whether it votes in the KRaft quorum.
    pub fn is_controller(&self) -> bool {
        self.role != Role::Broker
    }
}

/// `server.properties` for `node` of the cluster `nodes`, storing its data in `data`; `extra`
/// (a scenario's broker settings) goes to brokers after ours, so it wins. With `scram`, clients
/// and brokers reach each other over SASL_PLAINTEXT as that user (the controllers keep a
/// plaintext listener of their own).
pub fn server_properties(
    node: &Node,
    nodes: &[Node],
    data: &Path,
    extra: &[(String, String)],
    scram: Option<&ScramUser>,
) -> String {
    let voters: Vec<String> = nodes
        .iter()
        .filter(|n| n.is_controller())
        .map(|n| format!("{}@127.0.0.1:{}", n.id, n.controller_port))
        .collect();
    let brokers = nodes.iter().filter(|n| n.is_broker()).count();
    let replication = brokers.min(3);
    let min_isr = brokers.min(2);
    let mut settings: Vec<(String, String)> = Vec::new();
    let mut set = |key: &str, value: &dyn std::fmt::Display| {
        settings.push((key.to_owned(), value.to_string()));
    };
    let protocol = if scram.is_some() {
        "SASL_PLAINTEXT"
    } else {
        "PLAINTEXT"
    };
    let client = format!("{protocol}://127.0.0.1:{}", node.client_port);
    let controller = format!("CONTROLLER://127.0.0.1:{}", node.controller_port);
    let (roles, listeners) = match node.role {
        Role::Combined => ("broker,controller", format!("{client},{controller}")),
        Role::Broker => ("broker", client.clone()),
        Role::Controller => ("controller", controller),
    };
    set("process.roles", &roles);
    set("node.id", &node.id);
    set("controller.quorum.voters", &voters.join(","));
    set("listeners", &listeners);
    set(
        "listener.security.protocol.map",
        &format!("{protocol}:{protocol},CONTROLLER:PLAINTEXT"),
    );
    set("controller.listener.names", &"CONTROLLER");
    set("log.dirs", &data.display());
    if node.is_broker() {
        set("advertised.listeners", &client);
        set("inter.broker.listener.name", &protocol);
        if let Some(user) = scram {
            set("sasl.enabled.mechanisms", &MECHANISM);
            set("sasl.mechanism.inter.broker.protocol", &MECHANISM);
            set(
                &format!(
                    "listener.name.sasl_plaintext.{}.sasl.jaas.config",
                    MECHANISM.to_ascii_lowercase()
                ),
                &user.jaas(),
            );
        }
        // Kafka's defaults want 3 replicas (and 2 in sync) for its internal topics: with fewer
        // brokers the group coordinator could never start.
        set("offsets.topic.replication.factor", &replication);
        set("transaction.state.log.replication.factor", &replication);
        set("transaction.state.log.min.isr", &min_isr);
        set(
            "share.coordinator.state.topic.replication.factor",
            &replication,
        );
        set("share.coordinator.state.topic.min.isr", &min_isr);
        // KIP-848 groups get the session and heartbeat of the harness's classic consumers
        // (Kafka's minimums, 45 s and 5 s, would make every protocol comparison about them).
        for (key, value) in [
            ("group.consumer.min.session.timeout.ms", SESSION_TIMEOUT_MS),
            ("group.consumer.session.timeout.ms", SESSION_TIMEOUT_MS),
            (
                "group.consumer.min.heartbeat.interval.ms",
                HEARTBEAT_INTERVAL_MS,
            ),
            (
                "group.consumer.heartbeat.interval.ms",
                HEARTBEAT_INTERVAL_MS,
            ),
        ] {
            set(key, &value);
        }
        for (key, value) in extra {
            match settings.iter_mut().find(|(k, _)| k == key) {
                Some(setting) => setting.1.clone_from(value),
                None => settings.push((key.clone(), value.clone())),
            }
        }
    }
    let mut text = String::new();
    for (key, value) in settings {
        let _ = writeln!(text, "{key}={value}");
    }
    text
}

/// A logging configuration that writes everything at INFO to `log_file`.
pub fn logging(flavour: Logging, log_file: &Path) -> String {
    let file = log_file.display();
    match flavour {
        Logging::Log4j2 => format!(
            "appender.file.type = File\n\
             appender.file.name = FILE\n\
             appender.file.fileName = {file}\n\
             appender.file.layout.type = PatternLayout\n\
             appender.file.layout.pattern = [%d] %p %m (%c)%n\n\
             rootLogger.level = INFO\n\
             rootLogger.appenderRef.file.ref = FILE\n"
        ),
        Logging::Log4j1 => format!(
            "log4j.rootLogger=INFO, file\n\
             log4j.appender.file=org.apache.log4j.FileAppender\n\
             log4j.appender.file.File={file}\n\
             log4j.appender.file.layout=org.apache.log4j.PatternLayout\n\
             log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
        ),
    }
}

/// JVM heap options: `KAFKA_HEAP_OPTS` as Kafka's own start script reads it, else 512 MiB.
pub fn heap_options(kafka_heap_opts: Option<&str>) -> Vec<String> {
    match kafka_heap_opts.map(str::trim).filter(|o| !o.is_empty()) {
        Some(options) => options.split_whitespace().map(str::to_owned).collect(),
        None => vec!["-Xms256m".to_owned(), "-Xmx512m".to_owned()],
    }
}

/// The last `lines` lines of a text, for error messages.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests;
