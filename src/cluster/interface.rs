//! The interface every target answers: what a run needs of a cluster (connection, topics,
//! capabilities, timing defaults) and of brokers it owns (faults), and how either fails.

use std::collections::BTreeSet;

use async_trait::async_trait;

use crate::scenario::plan::{Capability, Fault, TopicPlan};
use crate::scenario::properties::Properties;

/// A cluster could not do what the run asked of it.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The cluster could not be started or reached.
    #[error("cluster unavailable: {0}")]
    Unavailable(String),
    /// A topic operation failed.
    #[error("topic `{topic}`: {message}")]
    Topic {
        /// Topic name as written in the scenario.
        topic: String,
        /// What the cluster said.
        message: String,
    },
}

/// A Kafka-protocol cluster the harness can run a scenario on.
#[async_trait]
pub trait Cluster: Send + Sync {
    /// A one-line description for reports, e.g. `embedded (librdkafka mock, 3 brokers)`.
    fn describe(&self) -> String;
    /// What every client needs to connect: `bootstrap.servers` and any security settings.
    fn connection(&self) -> Properties;
    /// The suffix that makes this run's topic and group names unique on the cluster, if any:
    /// the id of the run it was connected for (`run_names::RunId`), unless names are kept.
    fn run_suffix(&self) -> Option<String> {
        None
    }
    /// What this target can do.
    fn capabilities(&self) -> BTreeSet<Capability>;
    /// Classic-protocol consumer timing tuned for this target, applied before the scenario's
    /// own (never to a consumer of the KIP-848 protocol, whose timing the broker decides).
    fn consumer_defaults(&self) -> Properties;
    /// Creates a topic and returns once clients can use it.
    async fn create_topic(&self, topic: &TopicPlan) -> Result<(), ClusterError>;
    /// Raises a topic's partition count.
    async fn grow_topic(&self, topic: &str, partitions: i32) -> Result<(), ClusterError>;
    /// Removes what this run created (only that), also after a failed or interrupted run.
    async fn cleanup(&self) -> Result<(), ClusterError> {
        Ok(())
    }
    /// The brokers this target started for the scenario, for fault steps; `None` where the
    /// harness does not own the brokers.
    fn broker_control(&self) -> Option<&dyn BrokerControl> {
        None
    }
}

/// Brokers a target started for one scenario, which fault steps act on.
#[async_trait]
pub trait BrokerControl: Send + Sync {
    /// Node ids of the brokers.
    fn brokers(&self) -> Vec<i32>;
    /// The node id of the active KRaft controller, if the target knows it.
    fn controller(&self) -> Option<i32>;
    /// Does `fault` to node `node`; returns once it is done (a stopped broker has exited).
    async fn apply(&self, node: i32, fault: Fault) -> Result<(), ClusterError>;
}
