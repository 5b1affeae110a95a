//! Metadata (leaders, replicas, in-sync replicas, registered brokers) read from one chosen
//! broker, so the harness can skip a broker it paused instead of waiting on it as librdkafka,
//! which picks brokers itself, would.

use std::time::Duration;

use kafka_protocol::messages::{ApiKey, MetadataRequest, MetadataResponse};

use super::wire;

/// Metadata version asked for: supported by Kafka 2.8 to 4.x.
const VERSION: i16 = 12;

/// One partition as a broker's metadata shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    /// Cluster name of the topic.
    pub topic: String,
    /// Partition number.
    pub partition: i32,
    /// Leader node id; `None` while there is none.
    pub leader: Option<i32>,
    /// Replicas in assignment order.
    pub replicas: Vec<i32>,
    /// In-sync replicas.
    pub isr: Vec<i32>,
}

/// What one broker says of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerView {
    /// Registered (unfenced) brokers, sorted.
    pub brokers: Vec<i32>,
    /// Every partition of every topic.
    pub partitions: Vec<PartitionInfo>,
}

/// Asks the broker at `address` for the metadata of every topic.
pub fn fetch(address: &str, timeout: Duration) -> Result<BrokerView, String> {
    let answer: MetadataResponse = wire::exchange(
        address,
        ApiKey::Metadata as i16,
        VERSION,
        &MetadataRequest::default().with_topics(None),
        timeout,
    )?;
    let mut brokers: Vec<i32> = answer.brokers.iter().map(|b| b.node_id.0).collect();
    brokers.sort_unstable();
    let partitions = answer
        .topics
        .iter()
        .filter_map(|t| t.name.as_ref().map(|name| (name.0.as_str(), t)))
        .flat_map(|(name, topic)| {
            topic.partitions.iter().map(move |p| PartitionInfo {
                topic: name.to_owned(),
                partition: p.partition_index,
                leader: (p.leader_id.0 >= 0).then_some(p.leader_id.0),
                replicas: p.replica_nodes.iter().map(|r| r.0).collect(),
                isr: p.isr_nodes.iter().map(|r| r.0).collect(),
            })
        })
        .collect();
    Ok(BrokerView {
        brokers,
        partitions,
    })
}
