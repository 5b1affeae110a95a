//! The configuration of each broker the `kafka-local` target starts: combined KRaft
//! broker+controller nodes on loopback. Kafka's own defaults stay, except where they cannot
//! work with fewer than three brokers (README: "kafka-local").

use std::fmt::Write;
use std::path::Path;

use super::distribution::Logging;

/// One node of the cluster: its id and the two loopback ports it listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    /// `node.id`, from 1.
    pub id: u32,
    /// The PLAINTEXT listener clients and the other brokers use.
    pub client_port: u16,
    /// The CONTROLLER listener of the KRaft quorum.
    pub controller_port: u16,
}

/// `server.properties` for `node` of the cluster `nodes`, storing its data in `data`.
pub fn server_properties(node: &Node, nodes: &[Node], data: &Path) -> String {
    let voters: Vec<String> = nodes
        .iter()
        .map(|n| format!("{}@127.0.0.1:{}", n.id, n.controller_port))
        .collect();
    let replication = nodes.len().min(3);
    let min_isr = nodes.len().min(2);
    let mut text = String::new();
    let mut set = |key: &str, value: &dyn std::fmt::Display| {
        let _ = writeln!(text, "{key}={value}");
    };
    set("process.roles", &"broker,controller");
    set("node.id", &node.id);
    set("controller.quorum.voters", &voters.join(","));
    set(
        "listeners",
        &format!(
            "PLAINTEXT://127.0.0.1:{},CONTROLLER://127.0.0.1:{}",
            node.client_port, node.controller_port
        ),
    );
    set(
        "advertised.listeners",
        &format!("PLAINTEXT://127.0.0.1:{}", node.client_port),
    );
    set(
        "listener.security.protocol.map",
        &"PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    );
    set("controller.listener.names", &"CONTROLLER");
    set("inter.broker.listener.name", &"PLAINTEXT");
    set("log.dirs", &data.display());
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
