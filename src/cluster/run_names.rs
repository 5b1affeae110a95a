//! The names one run gives its topics and groups on a cluster, and the one place a run's id is
//! drawn. `Launched::connect` draws a [`RunId`] once per plan and hands it to the target that
//! creates the topics; the runner maps names through the target's suffix; `--dry-run` draws
//! the same way. On a shared cluster the names carry the id, so runs never share a topic or a
//! group; with `--keep-names` they are the scenario's own. The scenario's names stay in the
//! event log and the Outcome.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::record::events::TopicPartition;

/// A run's topic and group names: the scenario's, and the ones used on the cluster.
#[derive(Debug, Clone, Default)]
pub struct RunNames {
    physical: HashMap<String, String>,
    logical: HashMap<String, Arc<str>>,
    groups: HashMap<String, String>,
}

impl RunNames {
    /// Every topic keeps its scenario name on the cluster.
    pub fn identity<'a>(names: impl IntoIterator<Item = &'a str>) -> RunNames {
        RunNames::suffixed(names, [], None)
    }

    /// Topics and groups get `-<suffix>` on the cluster, so runs never share them.
    pub fn suffixed<'a>(
        topics: impl IntoIterator<Item = &'a str>,
        groups: impl IntoIterator<Item = &'a str>,
        suffix: Option<&str>,
    ) -> RunNames {
        let cluster_name = |name: &str| run_name(name, suffix);
        let mut map = RunNames::default();
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

/// One run's id, drawn once per plan; its topic and group names carry it unless the scenario's
/// own names are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunId {
    id: String,
    keep_names: bool,
}

impl RunId {
    /// Draws a fresh id; `keep_names` (`--keep-names`, a profile's `keep_names`) keeps the
    /// scenario's own names on the cluster.
    pub fn draw(keep_names: bool) -> RunId {
        RunId {
            id: draw_run_id(),
            keep_names,
        }
    }

    /// The id itself, e.g. for the label that marks what this run created.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The suffix of the run's names on the cluster; `None` when the scenario's names are kept.
    pub fn suffix(&self) -> Option<&str> {
        (!self.keep_names).then_some(self.id.as_str())
    }
}

/// Four characters from the clock and the process id, e.g. `r7k2`: a run's id, or the name of
/// what an invocation starts (a container network).
pub fn draw_run_id() -> String {
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
