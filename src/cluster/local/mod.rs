//! `kafka-local`: real Apache Kafka started by the harness as child JVMs in KRaft mode
//! (combined broker+controller nodes) on free loopback ports, with data in a fresh temporary
//! directory. Stopping kills every broker at once and removes the directory; so does dropping,
//! and a harness that dies takes its brokers with it (see `cluster::owned_process`).
//!
//! - [`kafka`]: the cluster: settings, start, faults, stop;
//! - [`config`]: each node's `server.properties`;
//! - [`distribution`]: where the Kafka distribution and Java are;
//! - [`own`]: brokers of a scenario's own, for its broker faults;
//! - [`scram`]: the SCRAM user the cluster is formatted with.

pub mod config;
pub mod distribution;
pub mod kafka;
pub mod own;
pub mod scram;

pub use kafka::{LocalKafka, LocalSettings};
