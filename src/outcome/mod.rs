//! The normalised Outcome: what a scenario did, identical on every run and every target. Values
//! that depend on timing go to `measurements`, which snapshots redact.
//!
//! - [`build`](mod@build): a run record -> its facts (once) -> the `Outcome`;
//! - [`views`]: the document's parts (checkpoints, actors, groups, keys, durability);
//! - [`crowd`]: a crowd's assignment summarised instead of member by member;
//! - [`facts`](mod@facts): what happened, folded from the events (assignments, counts, commits, keys);
//! - [`measurements`]: the timing section; `timing` decides which facts belong there;
//! - [`durability`], [`failover`], [`progress`], [`pauses`]: acknowledged against kept,
//!   leaders lost and found, rebalances and stalls, what each rebalance cost;
//! - [`invariants`]: what the whole run must keep (nothing acknowledged lost, no offset read
//!   holding two records, ...), each one broken named with its first witness.

pub mod build;
pub mod crowd;
pub mod durability;
pub mod facts;
pub mod failover;
pub mod invariants;
pub mod measurements;
pub mod pauses;
pub mod progress;
mod rounding;
mod timing;
pub mod views;

pub use build::{Outcome, assignment_view, build, members_view, run_facts};
pub use crowd::{CrowdView, crowd_views};
pub use facts::{Facts, GroupFacts, facts};
pub use views::{
    ActorCounts, AssignmentView, CheckpointView, DurabilityView, GroupView, KeyPlacement,
    Partitions, sorted_views,
};
