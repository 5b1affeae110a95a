//! Failovers, from the event log: for every broker taken away (killed, stopped, paused) that
//! led partitions, how long until metadata showed each of them led by another broker.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::rounding::seconds;
use crate::record::events::{Event, EventKind, TopicPartition};
use crate::scenario::plan::Fault;

/// One partition losing its leader to a fault.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failover {
    /// `topic/partition`.
    pub partition: String,
    /// `kill broker 2`.
    pub fault: String,
    /// When the fault step acted, seconds from the start.
    pub at_s: f64,
    /// The leader before.
    pub from: i32,
    /// The next leader, if one was seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<i32>,
    /// Seconds until metadata showed the next leader.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_s: Option<f64>,
}

/// A partition's leader or in-sync replicas as metadata showed them from some moment on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionChange {
    /// Seconds from the start.
    pub at_s: f64,
    /// `topic/partition`.
    pub partition: String,
    /// The leader, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader: Option<i32>,
    /// The in-sync replicas.
    pub isr: Vec<i32>,
}

/// Every change of leader or in-sync replicas, in order (the first reading included).
pub fn partition_changes(events: &[Event]) -> Vec<PartitionChange> {
    events
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::PartitionState {
                at, leader, isr, ..
            } => Some(PartitionChange {
                at_s: seconds(event.at),
                partition: format!("{}/{}", at.topic, at.partition),
                leader: *leader,
                isr: isr.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// Every failover the log shows, in the order of the faults.
pub fn failovers(events: &[Event]) -> Vec<Failover> {
    let mut leaders: BTreeMap<&TopicPartition, Option<i32>> = BTreeMap::new();
    // Partition -> index into `out` of its failover still waiting for a new leader, and when
    // the fault acted.
    let mut pending: BTreeMap<&TopicPartition, (usize, Duration)> = BTreeMap::new();
    let mut out: Vec<Failover> = Vec::new();
    for event in events {
        match &event.kind {
            EventKind::BrokerFault { node, fault }
                if matches!(fault, Fault::Kill | Fault::Stop | Fault::Pause) =>
            {
                for (partition, leader) in &leaders {
                    if *leader == Some(*node) && !pending.contains_key(partition) {
                        pending.insert(partition, (out.len(), event.at));
                        out.push(Failover {
                            partition: format!("{}/{}", partition.topic, partition.partition),
                            fault: format!("{} broker {node}", fault.verb()),
                            at_s: seconds(event.at),
                            from: *node,
                            to: None,
                            after_s: None,
                        });
                    }
                }
            }
            EventKind::PartitionState { at, leader, .. } => {
                leaders.insert(at, *leader);
                if let Some((index, since)) = pending.get(at).copied()
                    && let Some(new) = leader.filter(|l| *l != out[index].from)
                {
                    out[index].to = Some(new);
                    out[index].after_s = Some(seconds(event.at.saturating_sub(since)));
                    pending.remove(at);
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests;
