//! Fault steps in words and numbers: which broker(s) a step means at the moment it runs, how
//! the terminal says what was done, and how long a partition went without its leader.

use std::collections::BTreeMap;

use super::cluster_view::Snapshot;
use crate::record::state::LiveState;
use crate::scenario::plan::{BrokerRef, Fault, PartitionRef};

/// The node ids `broker` means now, and the role that chose them (for the terminal).
/// `snapshot` is fresh metadata, needed for leaders and followers; `named` holds the brokers
/// earlier steps named with `as`.
pub fn resolve(
    broker: &BrokerRef,
    controller: Option<i32>,
    snapshot: Option<&Snapshot>,
    named: &BTreeMap<String, Vec<i32>>,
) -> Result<(Vec<i32>, Option<String>), String> {
    let partition = |p: &PartitionRef| {
        snapshot
            .and_then(|s| s.partitions.iter().find(|(tp, _)| tp.is(p)))
            .map(|(_, metadata)| metadata)
            .ok_or_else(|| format!("no metadata for {p}"))
    };
    match broker {
        BrokerRef::Node(node) => Ok((vec![*node], None)),
        BrokerRef::Controller => controller
            .map(|c| (vec![c], Some("the active controller".to_owned())))
            .ok_or_else(|| "this target has no KRaft controller of its own".to_owned()),
        BrokerRef::LeaderOf(p) => match partition(p)?.leader {
            Some(leader) => Ok((vec![leader], Some(format!("the leader of {p}")))),
            None => Err(format!("{p} has no leader now")),
        },
        BrokerRef::FollowersOf(p) => {
            let metadata = partition(p)?;
            let followers: Vec<i32> = metadata
                .replicas
                .iter()
                .copied()
                .filter(|r| Some(*r) != metadata.leader)
                .collect();
            if metadata.leader.is_none() {
                return Err(format!("{p} has no leader now, so no followers"));
            }
            if followers.is_empty() {
                return Err(format!("{p} has a single replica: no followers"));
            }
            Ok((followers, Some(format!("the followers of {p}"))))
        }
        BrokerRef::Named(name) => named
            .get(name)
            .map(|nodes| (nodes.clone(), Some(name.clone())))
            .ok_or_else(|| format!("no broker was named `{name}`")),
    }
}

/// `killed broker 2 (the leader of orders/0)`, `paused brokers 1, 3 (the followers of orders/0)`.
pub fn describe_done(fault: Fault, nodes: &[i32], role: Option<&str>) -> String {
    let list: Vec<String> = nodes.iter().map(i32::to_string).collect();
    let noun = if nodes.len() == 1 {
        "broker"
    } else {
        "brokers"
    };
    match role {
        Some(role) => format!("{} {noun} {} ({role})", fault.done(), list.join(", ")),
        None => format!("{} {noun} {}", fault.done(), list.join(", ")),
    }
}

/// `orders/0 leader 2 -> 3 after 9.4 s` for each partition, counted from the last fault that
/// took a broker away.
pub fn failovers(partitions: &[PartitionRef], state: &LiveState) -> String {
    let lines: Vec<String> = partitions
        .iter()
        .map(|p| {
            let before = state.leader_at_fault(p);
            let Some(view) = state.partition(p) else {
                return format!("{p}: no metadata");
            };
            let from = before.map_or("none".to_owned(), |b| b.to_string());
            let to = view.leader.map_or("none".to_owned(), |l| l.to_string());
            match state.last_fault {
                Some(fault) => format!(
                    "{p} leader {from} -> {to} after {:.1} s",
                    view.leader_since.saturating_sub(fault).as_secs_f64()
                ),
                None => format!("{p} leader {from} -> {to}"),
            }
        })
        .collect();
    lines.join(", ")
}

#[cfg(test)]
mod tests;
