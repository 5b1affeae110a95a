//! `await` steps: what a barrier waits for must be able to happen (a group to be stable has a
//! running member, a count is asked of an actor that has it) and something must be waited
//! for, so that a barrier cannot wait out its timeout on a typo.

use std::collections::{BTreeMap, BTreeSet};

use super::{DEFAULT_AWAIT_TIMEOUT, Result, Validator, Walk, faults, path};
use crate::scenario::model::{AwaitStep, StableTarget};
use crate::scenario::plan::{ActorPlan, Barrier, GroupProtocol};
use crate::scenario::source::{PathSeg, did_you_mean};

impl Validator<'_> {
    /// An `await` step's barrier (step `index`): it waits for something, and every group and
    /// actor it names is declared, of the right kind and, for groups, has a running member.
    pub(super) fn barrier(
        &self,
        spec: &AwaitStep,
        index: usize,
        actors: &BTreeMap<String, ActorPlan>,
        walk: &Walk,
        cluster: faults::ClusterConditions,
        partitions: &BTreeMap<String, i32>,
    ) -> Result<Barrier> {
        let base = || path(&[&"timeline", &index, &"await"]);
        if let Some(word) = &spec.unknown_word {
            let hint = match did_you_mean(word, ["stable"]) {
                Some(close) => format!("did you mean `{close}`?"),
                None => {
                    "write `await: stable`, or a mapping with `stable`, `consumed` or `produced`"
                        .into()
                }
            };
            return Err(self.err(
                base(),
                false,
                format!("`{word}` is not something to await"),
                Some(hint),
            ));
        }
        let running_groups: BTreeSet<&str> = walk
            .running
            .iter()
            .filter_map(|a| actors.get(a).and_then(ActorPlan::group))
            .collect();
        let declared_groups: BTreeSet<&str> =
            actors.values().filter_map(ActorPlan::group).collect();
        let stable = self.groups_of(
            &spec.stable,
            "stable",
            base(),
            &running_groups,
            &declared_groups,
        )?;
        for group in &stable {
            let mut at = base();
            at.push("stable".into());
            self.more_members_than_partitions(group, at, actors, walk, partitions)?;
        }
        let drained = self.groups_of(
            &spec.drained,
            "drained",
            base(),
            &running_groups,
            &declared_groups,
        )?;
        self.counted(spec, &base(), actors)?;
        self.known_groups(spec.rebalances.keys(), &declared_groups, |group| {
            let mut at = base();
            at.extend(["rebalances".into(), PathSeg::Key(group.to_owned())]);
            at
        })?;
        if stable.is_empty()
            && drained.is_empty()
            && spec.rebalances.is_empty()
            && spec.consumed.is_empty()
            && spec.produced.is_empty()
            && spec.max_poll_exceeded.is_empty()
            && spec.failed.is_empty()
            && cluster.isr.is_empty()
            && cluster.leader_changed.is_empty()
            && cluster.brokers.is_none()
            && spec.exited.is_empty()
        {
            return Err(self.err(
                base(),
                false,
                "this `await` waits for nothing",
                Some(
                    "give `stable`, `drained`, `consumed`, `produced`, `max_poll_exceeded`, \
                     `rebalances`, `failed`, `isr`, `leader_changed`, `brokers` or `exited`"
                        .into(),
                ),
            ));
        }
        Ok(Barrier {
            stable_groups: stable,
            drained_groups: drained,
            consumed: spec.consumed.clone(),
            produced: spec.produced.clone(),
            max_poll_exceeded: spec.max_poll_exceeded.clone(),
            rebalances: spec.rebalances.clone(),
            failed: spec.failed.clone(),
            isr: cluster.isr,
            leader_changed: cluster.leader_changed,
            brokers: cluster.brokers,
            exited: spec.exited.clone(),
            timeout: spec.timeout.map_or(DEFAULT_AWAIT_TIMEOUT, |t| t.0),
        })
    }

    /// The actors an `await` counts something of: each declared, of the kind that has the
    /// count (`consumed` and `max_poll_exceeded` of consumers, `produced` and `failed` of
    /// producers), and observable.
    fn counted(
        &self,
        spec: &AwaitStep,
        base: &[PathSeg],
        actors: &BTreeMap<String, ActorPlan>,
    ) -> Result<()> {
        for (field, map, want_consumer) in [
            ("consumed", &spec.consumed, true),
            ("produced", &spec.produced, false),
            ("max_poll_exceeded", &spec.max_poll_exceeded, true),
            ("failed", &spec.failed, false),
        ] {
            for actor in map.keys() {
                let mut at = base.to_vec();
                at.extend([field.into(), PathSeg::Key(actor.clone())]);
                let plan = self.actor_ref(actor, actors, at.clone())?;
                if plan.group().is_some() != want_consumer {
                    let kind = if want_consumer {
                        "consumer"
                    } else {
                        "producer"
                    };
                    return Err(self.err(
                        at,
                        true,
                        format!("`{field}` is counted for a {kind}; `{actor}` is not one"),
                        None,
                    ));
                }
                self.observable(actor, field, actors, at)?;
            }
        }
        Ok(())
    }

    /// A KIP-848 group awaited stable must not have more running members than partitions:
    /// librdkafka (2.12) reconciles a member's assignment only when it differs from what the
    /// member holds, so a member the broker gives nothing is never told of it (no rebalance
    /// callback), and the harness cannot tell it from one still waiting for a partition (found
    /// with crowds: 5 members on 2 partitions waited out every timeout).
    fn more_members_than_partitions(
        &self,
        group: &str,
        at: Vec<PathSeg>,
        actors: &BTreeMap<String, ActorPlan>,
        walk: &Walk,
        partitions: &BTreeMap<String, i32>,
    ) -> Result<()> {
        let members: Vec<&ActorPlan> = walk
            .running
            .iter()
            .filter(|a| !walk.frozen.contains_key(*a))
            .filter_map(|a| actors.get(a))
            .filter(|a| a.group() == Some(group))
            .collect();
        let kip848 = members
            .iter()
            .all(|a| matches!(a, ActorPlan::Consumer(c) if c.protocol == GroupProtocol::Consumer));
        let topics: BTreeSet<&String> = members.iter().flat_map(|a| a.consumed_topics()).collect();
        let held: i64 = topics
            .iter()
            .map(|t| i64::from(partitions.get(*t).copied().unwrap_or(0)))
            .sum();
        let running = i64::try_from(members.len()).unwrap_or(i64::MAX);
        if !kip848 || running <= held {
            return Ok(());
        }
        Err(self.err(
            at,
            false,
            format!(
                "group `{group}` speaks KIP-848 and has {running} members running on {held} \
                 partitions here: librdkafka never tells a KIP-848 member that it was assigned \
                 nothing, so `await stable` could not see the members beyond the partitions \
                 assigned"
            ),
            Some(
                "give its topics at least as many partitions as members at this step, or await \
                 something else (`consumed`, `rebalances`)"
                    .into(),
            ),
        ))
    }

    /// Resolves `all`, one group or a list of groups; each must have a running member.
    fn groups_of(
        &self,
        target: &Option<StableTarget>,
        field: &str,
        base: Vec<PathSeg>,
        running: &BTreeSet<&str>,
        declared: &BTreeSet<&str>,
    ) -> Result<Vec<String>> {
        let requested: Vec<String> = match target {
            None => return Ok(Vec::new()),
            Some(StableTarget::One(all)) if all == "all" => {
                if running.is_empty() {
                    return Err(self.err(
                        base,
                        false,
                        format!(
                            "`await: {field}` with no consumer running: no group can be {field}"
                        ),
                        Some("start a consumer before this step".into()),
                    ));
                }
                return Ok(running.iter().map(|g| (*g).to_owned()).collect());
            }
            Some(StableTarget::One(group)) => vec![group.clone()],
            Some(StableTarget::Many(groups)) => groups.clone(),
        };
        let mut at = base;
        at.push(field.into());
        for group in &requested {
            if !declared.contains(group.as_str()) {
                return Err(self.unknown(
                    "group",
                    group,
                    declared.iter().map(|g| (*g).to_owned()),
                    at,
                    false,
                ));
            }
            if !running.contains(group.as_str()) {
                return Err(self.err(
                    at,
                    false,
                    format!("no member of group `{group}` is running at this step"),
                    Some("start one of its consumers before awaiting the group".into()),
                ));
            }
        }
        Ok(requested)
    }
}

/// A barrier's short rendering for its step, e.g. `await stable g1, c1 consumed 10`.
pub(super) fn describe_barrier(b: &Barrier) -> String {
    let mut parts = Vec::new();
    if !b.stable_groups.is_empty() {
        parts.push(format!("stable {}", b.stable_groups.join(", ")));
    }
    if !b.drained_groups.is_empty() {
        parts.push(format!("drained {}", b.drained_groups.join(", ")));
    }
    for (actor, n) in &b.consumed {
        parts.push(format!("{actor} consumed {n}"));
    }
    for (actor, n) in &b.produced {
        parts.push(format!("{actor} produced {n}"));
    }
    for (actor, n) in &b.max_poll_exceeded {
        parts.push(format!("{actor} exceeded max.poll.interval.ms {n} times"));
    }
    for (group, n) in &b.rebalances {
        parts.push(format!("{group} rebalanced {n} times"));
    }
    for (actor, n) in &b.failed {
        parts.push(format!("{actor} failed {n}"));
    }
    for (partition, n) in &b.isr {
        parts.push(format!("{partition} isr {n}"));
    }
    for partition in &b.leader_changed {
        parts.push(format!("{partition} leader changed"));
    }
    if let Some(n) = b.brokers {
        parts.push(format!("{n} brokers registered"));
    }
    if !b.exited.is_empty() {
        parts.push(format!("exited {}", b.exited.join(", ")));
    }
    format!("await {}", parts.join(", "))
}
