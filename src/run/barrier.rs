//! `await` steps: wait until every condition holds, or give up after the timeout and say what
//! was still missing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::time::Duration;

use crate::record::events::{EventLog, TopicPartition};
use crate::record::state::LiveState;
use crate::scenario::plan::{ActorPlan, Barrier, GroupProtocol, Plan};

/// How often the barrier looks at the log again.
const RECHECK: Duration = Duration::from_millis(20);

/// A barrier whose conditions did not all hold in time.
#[derive(Debug, Clone)]
pub struct BarrierTimeout {
    /// How long it waited.
    pub waited: Duration,
    /// Each condition still unmet, with what was seen instead.
    pub unmet: Vec<String>,
}

/// Waits for the barrier; `partitions` is each topic's current partition count.
pub async fn wait(
    barrier: &Barrier,
    plan: &Plan,
    partitions: &BTreeMap<String, i32>,
    log: &EventLog,
    state: &mut LiveState,
) -> Result<(), BarrierTimeout> {
    let started = tokio::time::Instant::now();
    loop {
        state.refresh(log, |actor| plan.group_of(actor).map(str::to_owned));
        let unmet = unmet(barrier, plan, partitions, state);
        if unmet.is_empty() {
            return Ok(());
        }
        if started.elapsed() >= barrier.timeout {
            return Err(BarrierTimeout {
                waited: started.elapsed(),
                unmet,
            });
        }
        tokio::time::sleep(RECHECK).await;
    }
}

fn unmet(
    barrier: &Barrier,
    plan: &Plan,
    partitions: &BTreeMap<String, i32>,
    state: &LiveState,
) -> Vec<String> {
    let mut unmet = Vec::new();
    for group in &barrier.stable_groups {
        if let Some(problem) = unstable(group, plan, partitions, state) {
            unmet.push(format!("group {group} stable: {problem}"));
        }
    }
    for group in &barrier.drained_groups {
        let topics: BTreeSet<&str> = plan
            .actors
            .values()
            .filter(|a| a.group() == Some(group))
            .flat_map(|a| a.consumed_topics().iter().map(String::as_str))
            .collect();
        let consumed = state.consumed_ids.get(group);
        let (mut total, mut missing) = (0, 0);
        for produced in topics
            .into_iter()
            .filter_map(|topic| state.produced_to(topic))
        {
            total += produced.len();
            missing += produced.missing_from(consumed);
        }
        if missing > 0 {
            unmet.push(format!(
                "group {group} drained: {} of {total} records consumed",
                total - missing
            ));
        }
    }
    for (what, counts, wanted) in [
        ("consumed", &state.consumed, &barrier.consumed),
        ("produced", &state.produced, &barrier.produced),
        (
            "exceeded max.poll.interval.ms, times:",
            &state.max_poll_exceeded,
            &barrier.max_poll_exceeded,
        ),
        ("failed deliveries", &state.failed, &barrier.failed),
    ] {
        for (actor, n) in wanted {
            let have = counts.get(actor.as_str()).copied().unwrap_or(0);
            if have < *n {
                unmet.push(format!("{actor} {what} {n}: {have} so far"));
            }
        }
    }
    for (group, n) in &barrier.rebalances {
        let spans = state.rebalances.get(group).map_or(&[][..], Vec::as_slice);
        let have = spans.iter().filter(|s| s.ended.is_some()).count() as u64;
        if have < *n {
            let now = match spans.last() {
                Some(span) if span.ended.is_none() => ", one under way",
                _ => "",
            };
            unmet.push(format!(
                "group {group} rebalanced {n} times: {have} so far{now}"
            ));
        }
    }
    unmet.extend(cluster_unmet(barrier, state));
    unmet
}

/// The cluster-state conditions still unmet, each saying what metadata shows instead.
fn cluster_unmet(barrier: &Barrier, state: &LiveState) -> Vec<String> {
    let mut unmet = Vec::new();
    for (partition, wanted) in &barrier.isr {
        match state.partition(partition) {
            Some(view) if view.isr.len() == *wanted => {}
            Some(view) => unmet.push(format!(
                "{partition} {wanted} in-sync replica(s): in sync {:?} of replicas {:?}",
                view.isr, view.replicas
            )),
            None => unmet.push(format!(
                "{partition} {wanted} in-sync replica(s): no metadata yet"
            )),
        }
    }
    for partition in &barrier.leader_changed {
        let before = state.leader_at_fault(partition);
        match state.partition(partition).and_then(|v| v.leader) {
            Some(leader) if Some(leader) != before => {}
            Some(leader) => {
                unmet.push(format!("{partition} leader changed: still broker {leader}"))
            }
            None => unmet.push(format!("{partition} leader changed: it has no leader")),
        }
    }
    for actor in &barrier.exited {
        if !state.exited.contains_key(actor.as_str()) {
            unmet.push(format!("{actor} exited: it still runs"));
        }
    }
    if let Some(wanted) = barrier.brokers {
        match &state.brokers {
            Some(brokers) if brokers.len() == wanted => {}
            Some(brokers) => unmet.push(format!(
                "{wanted} brokers registered: metadata lists {brokers:?}"
            )),
            None => unmet.push(format!("{wanted} brokers registered: no metadata yet")),
        }
    }
    unmet
}

/// Why `group` is not stable, or `None` when it is: every running member that is not away
/// (frozen, or its link cut) holds an assignment received after the last membership change (a
/// freeze or cut is one, and so is a thaw or heal once the group rebalanced without the member;
/// one before that undoes the freeze or cut), and together they hold every partition of the
/// subscribed topics exactly once.
fn unstable(
    group: &str,
    plan: &Plan,
    partitions: &BTreeMap<String, i32>,
    state: &LiveState,
) -> Option<String> {
    let changed = state
        .membership_changed
        .get(group)
        .copied()
        .unwrap_or_default();
    let mut topics: BTreeSet<&str> = BTreeSet::new();
    let mut held: Vec<&TopicPartition> = Vec::new();
    let mut assigned: Vec<(&str, &BTreeSet<TopicPartition>)> = Vec::new();
    let mut waiting: Vec<&str> = Vec::new();
    for (name, actor) in &plan.actors {
        if actor.group() != Some(group) {
            continue;
        }
        // A process is observed through DescribeGroups, which sees classic groups only.
        let incremental_protocol =
            matches!(actor, ActorPlan::Consumer(c) if c.protocol == GroupProtocol::Consumer);
        let Some(member) = state
            .members
            .get(name.as_str())
            .filter(|m| m.running && m.away_since.is_none())
        else {
            continue;
        };
        topics.extend(actor.consumed_topics().iter().map(String::as_str));
        // An assignment from before the last membership change may be stale, unless the
        // member speaks KIP-848: the broker then calls back only members whose assignment
        // changes, and never gives a partition to one before its owner released it.
        let current = |at: Duration| at >= changed || incremental_protocol;
        match (&member.holding, member.assigned_at) {
            (Some(parts), Some(at)) if current(at) => {
                held.extend(parts);
                assigned.push((name, parts));
            }
            _ => waiting.push(name),
        }
    }
    if topics.is_empty() {
        return Some("no member is running".into());
    }
    let seen = || members_seen(&assigned, &waiting);
    if !waiting.is_empty() {
        return Some(format!(
            "waiting for {} to be assigned;{}",
            names(&waiting),
            seen()
        ));
    }
    let union: BTreeSet<(&str, i32)> = held.iter().map(|p| (&*p.topic, p.partition)).collect();
    if union.len() != held.len() {
        return Some(format!("a partition is held twice;{}", seen()));
    }
    let expected = topics
        .iter()
        .map(|topic| partitions.get(*topic).copied().unwrap_or(0))
        .map(|count| usize::try_from(count).unwrap_or(0))
        .sum::<usize>();
    if expected == 0 {
        return Some("its topics have no partitions yet".into());
    }
    let complete = union.len() == expected
        && union.iter().all(|(topic, p)| {
            topics.contains(topic) && (0..partitions.get(*topic).copied().unwrap_or(0)).contains(p)
        });
    if !complete {
        return Some(format!("not every partition is assigned;{}", seen()));
    }
    None
}

/// How many members a barrier's message names before it says how many more there are.
const MEMBERS_NAMED: usize = 12;

/// Member names for a barrier's message, the first [`MEMBERS_NAMED`] of them and a count of the
/// rest, so that a crowd's message stays readable.
fn names(members: &[&str]) -> String {
    let mut text = members
        .iter()
        .take(MEMBERS_NAMED)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if members.len() > MEMBERS_NAMED {
        let _ = write!(text, " and {} more", members.len() - MEMBERS_NAMED);
    }
    text
}

/// What the members held, ` c1=[t/0,t/1] c2=(no assignment yet)`, as many as
/// [`MEMBERS_NAMED`] of each kind.
fn members_seen(assigned: &[(&str, &BTreeSet<TopicPartition>)], waiting: &[&str]) -> String {
    let mut seen = String::new();
    for (name, parts) in assigned.iter().take(MEMBERS_NAMED) {
        let list: Vec<String> = parts
            .iter()
            .map(|p| format!("{}/{}", p.topic, p.partition))
            .collect();
        let _ = write!(seen, " {name}=[{}]", list.join(","));
    }
    if assigned.len() > MEMBERS_NAMED {
        let _ = write!(
            seen,
            " and {} more assigned",
            assigned.len() - MEMBERS_NAMED
        );
    }
    for name in waiting.iter().take(MEMBERS_NAMED) {
        let _ = write!(seen, " {name}=(no assignment yet)");
    }
    if waiting.len() > MEMBERS_NAMED {
        let _ = write!(seen, " and {} more waiting", waiting.len() - MEMBERS_NAMED);
    }
    seen
}
