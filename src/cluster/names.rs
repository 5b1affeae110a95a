//! The names a run gives its topics and groups on a cluster. On a shared cluster each run draws
//! a suffix, so that runs never share a topic or a group; the scenario's own names stay in
//! the event log and the Outcome.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::record::events::TopicPartition;

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

/// Draws a run's suffix: four characters from the clock and the process id, e.g. `r7k2`.
pub fn draw_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut seed = nanos ^ (u128::from(std::process::id()) << 64);
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..4)
        .map(|_| {
            let c = alphabet[(seed % alphabet.len() as u128) as usize] as char;
            seed /= alphabet.len() as u128;
            c
        })
        .collect()
}
