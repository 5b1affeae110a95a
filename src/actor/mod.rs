//! Kafka clients that act on the timeline: consumers and producers. Each writes what it does and
//! sees to the run's event log, under its actor name and the scenario's topic names.

pub mod consumer;
pub mod group_watch;
pub mod id_header;
mod main_queue;
pub mod offsets;
pub mod places;
pub mod process;
pub mod producer;
pub mod readback;
pub mod relay;
pub mod symbols;
pub mod topic_tail;

use std::collections::HashMap;
use std::sync::Arc;

use rdkafka::config::ClientConfig;

use crate::run::events::{EventLog, TopicPartition};

pub use consumer::ConsumerActor;
pub use producer::ProducerActor;

/// Header carrying the harness's record id (`<producer actor>:<sequence>`).
pub const RECORD_ID_HEADER: &str = match id_header::NAME.to_str() {
    Ok(name) => name,
    Err(_) => panic!("the id header's name is UTF-8"),
};

/// Scenario topic and group names and the names used on the cluster.
#[derive(Debug, Clone, Default)]
pub struct TopicNames {
    physical: HashMap<String, String>,
    logical: HashMap<String, Arc<str>>,
    groups: HashMap<String, String>,
}

impl TopicNames {
    /// Every topic keeps its scenario name on the cluster.
    pub fn identity<'a>(names: impl IntoIterator<Item = &'a str>) -> TopicNames {
        TopicNames::suffixed(names, [], None)
    }

    /// Topics and groups get `-<suffix>` on the cluster, so runs never share them.
    pub fn suffixed<'a>(
        topics: impl IntoIterator<Item = &'a str>,
        groups: impl IntoIterator<Item = &'a str>,
        suffix: Option<&str>,
    ) -> TopicNames {
        let cluster_name = |name: &str| run_name(name, suffix);
        let mut map = TopicNames::default();
        for name in topics {
            let physical = cluster_name(name);
            map.logical.insert(physical.clone(), Arc::from(name));
            map.physical.insert(name.to_owned(), physical);
        }
        for group in groups {
            map.groups.insert(group.to_owned(), cluster_name(group));
        }
        map
    }

    /// The cluster name of a scenario group.
    pub fn group<'a>(&'a self, logical: &'a str) -> &'a str {
        self.groups.get(logical).map_or(logical, String::as_str)
    }

    /// The cluster name of a scenario topic.
    pub fn physical<'a>(&'a self, logical: &'a str) -> &'a str {
        self.physical.get(logical).map_or(logical, String::as_str)
    }

    /// The scenario name of a cluster topic.
    pub fn logical(&self, physical: &str) -> Arc<str> {
        self.logical
            .get(physical)
            .cloned()
            .unwrap_or_else(|| Arc::from(physical))
    }

    /// A partition of a cluster topic, named the scenario's way.
    pub fn partition(&self, physical: &str, partition: i32) -> TopicPartition {
        TopicPartition {
            topic: self.logical(physical),
            partition,
        }
    }
}

/// The name a topic or group gets on a cluster: `name-suffix`, or `name` itself without a suffix.
pub fn run_name(name: &str, suffix: Option<&str>) -> String {
    match suffix {
        Some(suffix) => format!("{name}-{suffix}"),
        None => name.to_owned(),
    }
}

/// What every actor needs: its name, the log and the topic names.
#[derive(Debug, Clone)]
pub struct ActorEnv {
    /// Actor name.
    pub name: Arc<str>,
    /// The run's event log.
    pub log: Arc<EventLog>,
    /// Topic name mapping.
    pub topics: Arc<TopicNames>,
    /// Where the harness's records landed, for consumers that name records by place.
    pub places: Arc<places::RecordPlaces>,
}

/// A client configuration from properties applied in order (later ones win).
pub fn client_config<'a>(layers: impl IntoIterator<Item = &'a (String, String)>) -> ClientConfig {
    let mut config = ClientConfig::new();
    for (key, value) in layers {
        config.set(key.as_str(), value.as_str());
    }
    config
}

/// The value of `key` in properties applied in order, as `client_config` applies them (the
/// last one wins).
pub fn setting<'a>(layers: &'a [(String, String)], key: &str) -> Option<&'a str> {
    layers
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// An actor's client could not be created or used.
#[derive(Debug, thiserror::Error)]
#[error("actor `{actor}`: {message}")]
pub struct ActorError {
    /// Actor name.
    pub actor: String,
    /// What went wrong.
    pub message: String,
}
