//! What the cluster's metadata says about the scenario's topics and the brokers: leaders,
//! replicas, in-sync replicas, registered brokers. Fault steps resolve roles ("the leader of
//! orders/0") with it, and the cluster watch records its changes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::cluster::metadata::{self, BrokerView};
use crate::cluster::run_names::RunNames;
use crate::record::events::TopicPartition;
use crate::scenario::properties::Properties;

/// One partition's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionMetadata {
    /// The leader; `None` while there is none.
    pub leader: Option<i32>,
    /// Replicas in assignment order.
    pub replicas: Vec<i32>,
    /// In-sync replicas.
    pub isr: Vec<i32>,
}

/// The metadata of the scenario's topics at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Registered (unfenced) brokers, sorted.
    pub brokers: Vec<i32>,
    /// Partitions of the scenario's topics, by scenario name.
    pub partitions: BTreeMap<TopicPartition, PartitionMetadata>,
}

/// Reads metadata for one run from whichever of the cluster's brokers answers first.
pub struct ClusterView {
    addresses: Vec<String>,
    /// The broker that answered last, asked first next time.
    preferred: AtomicUsize,
    names: Arc<RunNames>,
}

impl ClusterView {
    /// A view of the cluster whose `bootstrap.servers` is in `connection`, reporting topics by
    /// their scenario names. Only plaintext listeners can be read this way.
    pub fn new(connection: &Properties, names: Arc<RunNames>) -> Result<ClusterView, String> {
        let addresses: Vec<String> = connection
            .get("bootstrap.servers")
            .map(|v| {
                v.split(',')
                    .map(|a| a.trim().to_owned())
                    .filter(|a| !a.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if addresses.is_empty() {
            return Err("no bootstrap.servers to read metadata from".into());
        }
        Ok(ClusterView {
            addresses,
            preferred: AtomicUsize::new(0),
            names,
        })
    }

    /// Reads the metadata of `topics` (scenario names) from the first broker that answers
    /// within `timeout` (blocking). A paused broker costs one timeout.
    pub fn read(&self, topics: &[String], timeout: Duration) -> Result<Snapshot, String> {
        let first = self.preferred.load(Ordering::Relaxed);
        let mut errors = Vec::new();
        for offset in 0..self.addresses.len() {
            let index = (first + offset) % self.addresses.len();
            match metadata::fetch(&self.addresses[index], timeout) {
                Ok(view) => {
                    self.preferred.store(index, Ordering::Relaxed);
                    return Ok(self.snapshot(view, topics));
                }
                Err(e) => errors.push(e),
            }
        }
        Err(format!(
            "no broker answered a metadata request: {}",
            errors.join("; ")
        ))
    }

    fn snapshot(&self, view: BrokerView, topics: &[String]) -> Snapshot {
        let partitions = view
            .partitions
            .into_iter()
            .filter_map(|p| {
                let logical = self.names.logical(&p.topic);
                topics.iter().any(|t| **t == *logical).then_some((
                    TopicPartition {
                        topic: logical,
                        partition: p.partition,
                    },
                    PartitionMetadata {
                        leader: p.leader,
                        replicas: p.replicas,
                        isr: p.isr,
                    },
                ))
            })
            .collect();
        Snapshot {
            brokers: view.brokers,
            partitions,
        }
    }
}
