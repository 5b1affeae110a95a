//! The live course cluster: Strimzi on Kubernetes. Topics are KafkaTopic resources applied
//! through the Kubernetes API; records flow through the Kafka resource's listener with SCRAM
//! credentials from the KafkaUser's secret, as in the course.
//!
//! - [`cluster`]: the target: settings, connect, topics, the listener and its login;
//! - [`strimzi`]: Strimzi's resources through the Kubernetes API.

pub mod cluster;
pub mod strimzi;

pub use cluster::{
    KubeCluster, KubeSettings, OFFLINE_API_VERSION, TOPIC_TIMEOUT, dry_run_manifests,
};
