//! A crowd's assignment summarised: how many of its members hold how many partitions, how many
//! are rebalancing or frozen, and how many of its topics' partitions nobody in its group holds.
//! A thousand members listed one by one make a checkpoint or a terminal line nobody reads; the
//! summary is what a person asks of a crowd, and it is the same from run to run where who holds
//! which partition is not.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::record::events::TopicPartition;
use crate::record::state::Holding;
use crate::scenario::plan::Plan;

/// What a crowd's running members held at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrowdView {
    /// Members running (in the group, joining it, or frozen).
    pub members: usize,
    /// How many partitions -> how many members hold that many, e.g. `{ none: 2, 1 partition:
    /// 6 }`; rebalancing and frozen members are left out.
    pub members_holding: MembersHolding,
    /// Members between a revocation and their next assignment.
    #[serde(skip_serializing_if = "is_zero")]
    pub rebalancing: usize,
    /// Members frozen (what they hold is their own stale view).
    #[serde(skip_serializing_if = "is_zero")]
    pub frozen: usize,
    /// Partitions of the crowd's topics that no running member of its group holds.
    pub unowned: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Partitions held -> members holding that many, shown in order of the partitions, as
/// `none`, `1 partition`, `2 partitions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembersHolding(pub BTreeMap<usize, usize>);

/// How a number of partitions reads: `none`, `1 partition`, `3 partitions` (the Outcome's
/// `members_holding` keys, and what a crowd expectation is compared in).
pub fn partitions_phrase(n: usize) -> String {
    match n {
        0 => "none".to_owned(),
        1 => "1 partition".to_owned(),
        n => format!("{n} partitions"),
    }
}

impl Serialize for MembersHolding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (partitions, members) in &self.0 {
            map.serialize_entry(&partitions_phrase(*partitions), members)?;
        }
        map.end()
    }
}

impl std::fmt::Display for CrowdView {
    /// One short line, e.g. `8 members: 6 hold 1, 2 hold none, 1 rebalancing, 1 unowned`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts: Vec<String> = self
            .members_holding
            .0
            .iter()
            .rev()
            .map(|(partitions, members)| match partitions {
                0 => format!("{members} hold none"),
                n => format!("{members} hold {n}"),
            })
            .collect();
        if self.rebalancing > 0 {
            parts.push(format!("{} rebalancing", self.rebalancing));
        }
        if self.frozen > 0 {
            parts.push(format!("{} frozen", self.frozen));
        }
        if self.unowned > 0 {
            parts.push(format!("{} unowned", self.unowned));
        }
        let noun = if self.members == 1 {
            "member"
        } else {
            "members"
        };
        write!(f, "{} {noun}: {}", self.members, parts.join(", "))
    }
}

/// Each crowd with a running member, summarised from what the running consumers held (`held`)
/// after the steps up to `line` (`None`: the end of the timeline).
pub fn crowd_views<K: Borrow<str> + Ord>(
    plan: &Plan,
    held: &BTreeMap<K, Holding>,
    frozen: &BTreeSet<Arc<str>>,
    line: Option<usize>,
) -> BTreeMap<String, CrowdView> {
    plan.crowds
        .iter()
        .filter_map(|(crowd, members)| {
            let view = crowd_view(plan, members, held, frozen, line)?;
            Some((crowd.clone(), view))
        })
        .collect()
}

fn crowd_view<K: Borrow<str> + Ord>(
    plan: &Plan,
    members: &[String],
    held: &BTreeMap<K, Holding>,
    frozen: &BTreeSet<Arc<str>>,
    line: Option<usize>,
) -> Option<CrowdView> {
    let running: Vec<(&str, &Holding)> = members
        .iter()
        .filter_map(|m| Some((m.as_str(), held.get(m.as_str())?)))
        .collect();
    let first = running.first()?.0;
    let mut view = CrowdView {
        members: running.len(),
        members_holding: MembersHolding::default(),
        rebalancing: 0,
        frozen: 0,
        unowned: 0,
    };
    for (member, holding) in &running {
        match holding {
            _ if frozen.contains(*member) => view.frozen += 1,
            None => view.rebalancing += 1,
            Some(parts) => *view.members_holding.0.entry(parts.len()).or_default() += 1,
        }
    }
    let group = plan.group_of(first);
    let owned: BTreeSet<(&str, i32)> = held
        .iter()
        .filter(|(actor, _)| group.is_some() && plan.group_of((*actor).borrow()) == group)
        .filter_map(|(_, holding)| holding.as_ref())
        .flatten()
        .map(|p: &TopicPartition| (&*p.topic, p.partition))
        .collect();
    let topics = plan
        .actors
        .get(first)
        .map_or(&[][..], |actor| actor.consumed_topics());
    view.unowned = topics
        .iter()
        .map(|topic| {
            let partitions = plan.partitions_at(topic, line).unwrap_or_default();
            (0..partitions)
                .filter(|p| !owned.contains(&(topic.as_str(), *p)))
                .count()
        })
        .sum();
    Some(view)
}

#[cfg(test)]
mod tests;
