//! The parts of the Outcome document: what each checkpoint saw, per actor, per group, per key
//! and per producer, in the shapes snapshots show them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::crowd::CrowdView;

/// One checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointView {
    /// The step, e.g. `line 14: await stable edu-topic13-cg`, or `end`.
    pub at: String,
    /// Running consumer -> what it held.
    pub assignment: BTreeMap<String, AssignmentView>,
}

/// What one consumer held.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AssignmentView {
    /// Partitions of the consumer's only topic.
    Partitions(Vec<i32>),
    /// Topic -> partitions, for consumers of several topics.
    PerTopic(BTreeMap<String, Vec<i32>>),
    /// A word instead of partitions: `rebalancing` between a revocation and the next
    /// assignment, `frozen` while the consumer is frozen.
    Status(&'static str),
    /// How many partitions, where the scenario asks for counts (`outcome: { assignments:
    /// counts }`).
    Count(usize),
    /// What a set of alike consumers held, in a fixed order that says nothing of who held what
    /// (`outcome: { alike: [...] }`).
    Alike(Vec<AssignmentView>),
    /// What a crowd's members held, summarised.
    Crowd(CrowdView),
}

/// Assignments of alike consumers in a fixed order, e.g. `[[], [1], [2]]`: who holds which of
/// them may differ from run to run, the set of what they hold may not.
pub fn sorted_views(views: &[AssignmentView]) -> String {
    let mut shown: Vec<String> = views.iter().map(ToString::to_string).collect();
    shown.sort();
    format!("[{}]", shown.join(", "))
}

impl std::fmt::Display for AssignmentView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |parts: &[i32]| {
            let items: Vec<String> = parts.iter().map(i32::to_string).collect();
            format!("[{}]", items.join(", "))
        };
        match self {
            AssignmentView::Partitions(parts) => f.write_str(&list(parts)),
            AssignmentView::PerTopic(map) => {
                let items: Vec<String> = map
                    .iter()
                    .map(|(t, p)| format!("{t}: {}", list(p)))
                    .collect();
                write!(f, "{{{}}}", items.join(", "))
            }
            AssignmentView::Status(word) => f.write_str(word),
            AssignmentView::Count(1) => f.write_str("1 partition"),
            AssignmentView::Count(n) => write!(f, "{n} partitions"),
            AssignmentView::Alike(views) => f.write_str(&sorted_views(views)),
            AssignmentView::Crowd(view) => write!(f, "{view}"),
        }
    }
}

/// Counts for one actor; absent fields were timing-dependent or do not apply.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ActorCounts {
    /// Records consumed, re-deliveries included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed: Option<u64>,
    /// Records acknowledged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub produced: Option<u64>,
    /// Records that failed delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<u64>,
    /// Largest poll batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_poll_batch: Option<u64>,
    /// Commits the broker accepted (always timing-dependent: auto-commit runs on a timer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits: Option<u64>,
    /// Times the consumer left its group for exceeding `max.poll.interval.ms` (shown when any).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_poll_exceeded: Option<u64>,
}

/// One group's accounting.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupView {
    /// Distinct records consumed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
    /// Consumptions beyond the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<u64>,
    /// Acknowledged records on subscribed topics that no member consumed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost: Option<u64>,
    /// Topic -> partition -> committed offset, from the broker at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committed: Option<BTreeMap<String, BTreeMap<i32, i64>>>,
    /// Sum of the committed offsets, shown when the per-partition figures vary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committed_total: Option<i64>,
    /// Rebalances its members saw, the first join included (in the Outcome only where the
    /// scenario states the number, as it depends on timing otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebalances: Option<u64>,
}

/// Where records of one topic went.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KeyPlacement {
    /// Key -> partition (a list if a key went to several).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub keyed: BTreeMap<String, Partitions>,
    /// Partitions that unkeyed records went to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unkeyed: Vec<i32>,
}

/// The part of a producer's accounting its settings make certain, whatever the timing:
/// nothing acknowledged is lost with `acks=all` (unless the topic allows unclean leader
/// election), nothing is stored twice by an idempotent producer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DurabilityView {
    /// `0`, `1` or `all`.
    pub acks: String,
    /// Acknowledged records absent from the topic (certain only with `acks=all`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost: Option<u64>,
    /// Copies beyond the first (certain only with idempotence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicated: Option<u64>,
}

/// One partition, or several.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Partitions {
    /// The usual case for a key.
    One(i32),
    /// A key that moved (e.g. after partitions were added).
    Many(Vec<i32>),
}
