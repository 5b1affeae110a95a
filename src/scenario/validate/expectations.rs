//! `expect:`, in the timeline and at the end: every actor, group, topic and partition an
//! expectation names must exist and be of the kind the expectation is about, so that a check
//! cannot pass or fail only because it names nothing.

use std::collections::{BTreeMap, BTreeSet};

use super::{Result, Validator};
use crate::scenario::model::{AssignmentExpect, CrowdExpect, Expectations, Invariant};
use crate::scenario::plan::{Action, ActorPlan, PlannedStep, TopicPlan};
use crate::scenario::source::PathSeg;

impl Validator<'_> {
    /// The expectations of an `expect:` at `base` (in the timeline or at the end), against
    /// the topics' `partitions` at that point; `durability` needs the scenario's own brokers.
    pub(super) fn expectations(
        &self,
        expect: &Expectations,
        base: &[PathSeg],
        actors: &BTreeMap<String, ActorPlan>,
        partitions: &BTreeMap<String, i32>,
        own_brokers: bool,
    ) -> Result<()> {
        let at = |segs: &[PathSeg]| -> Vec<PathSeg> {
            base.iter().cloned().chain(segs.iter().cloned()).collect()
        };
        let consumer = |field: &str, actor: &str| -> Result<&[String]> {
            let here = at(&[field.into(), PathSeg::Key(actor.to_owned())]);
            let plan = self.actor_ref(actor, actors, here.clone())?;
            if plan.group().is_none() {
                return Err(self.err(
                    here,
                    true,
                    format!("`{actor}` is a producer; `{field}` is about consumers"),
                    None,
                ));
            }
            self.observable(actor, field, actors, here)?;
            Ok(plan.consumed_topics())
        };
        for (actor, assignment) in &expect.assignment {
            let here = at(&["assignment".into(), PathSeg::Key(actor.clone())]);
            if !actors.contains_key(actor) && self.crowd(actor).is_some() {
                self.crowd_assignment(actor, assignment, here)?;
                continue;
            }
            let topics = consumer("assignment", actor)?;
            self.assignment(actor, assignment, topics, here, partitions)?;
        }
        for actor in expect
            .consumed
            .keys()
            .chain(expect.max_poll_batch.keys())
            .chain(expect.max_poll_exceeded.keys())
        {
            let field = if expect.consumed.contains_key(actor) {
                "consumed"
            } else if expect.max_poll_batch.contains_key(actor) {
                "max_poll_batch"
            } else {
                "max_poll_exceeded"
            };
            consumer(field, actor)?;
        }
        for (field, actor) in expect
            .produced
            .keys()
            .map(|a| ("produced", a))
            .chain(expect.durability.keys().map(|a| ("durability", a)))
        {
            let here = at(&[field.into(), PathSeg::Key(actor.clone())]);
            if self
                .actor_ref(actor, actors, here.clone())?
                .group()
                .is_some()
            {
                return Err(self.err(
                    here,
                    true,
                    format!("`{actor}` is a consumer; `{field}` is about producers"),
                    None,
                ));
            }
            self.observable(actor, field, actors, here.clone())?;
            if field == "durability" && !own_brokers {
                return Err(self.err(
                    here,
                    true,
                    "`durability` is read back from the scenario's own brokers",
                    Some("add e.g. `brokers: { count: 3 }`".into()),
                ));
            }
        }
        if expect.invariants.contains(&Invariant::LostAcknowledged) && !own_brokers {
            return Err(self.err(
                at(&["invariants".into()]),
                true,
                "`lost-acknowledged` compares what producers were told with the topics read back from the scenario's own brokers",
                Some("add e.g. `brokers: { count: 3 }`".into()),
            ));
        }
        let groups: BTreeSet<&str> = actors.values().filter_map(ActorPlan::group).collect();
        self.known_groups(expect.rebalances.keys(), &groups, |group| {
            at(&["rebalances".into(), PathSeg::Key(group.to_owned())])
        })?;
        for (group, per_topic) in &expect.committed {
            if !groups.contains(group.as_str()) {
                return Err(self.unknown(
                    "group",
                    group,
                    groups.iter().map(|g| (*g).to_owned()),
                    at(&["committed".into(), PathSeg::Key(group.clone())]),
                    true,
                ));
            }
            for topic in per_topic.keys() {
                self.known_topic(
                    topic,
                    partitions,
                    at(&[
                        "committed".into(),
                        PathSeg::Key(group.clone()),
                        PathSeg::Key(topic.clone()),
                    ]),
                )?;
            }
        }
        for topic in expect.keys.keys().chain(expect.unkeyed.keys()) {
            let field = if expect.keys.contains_key(topic) {
                "keys"
            } else {
                "unkeyed"
            };
            self.known_topic(
                topic,
                partitions,
                at(&[field.into(), PathSeg::Key(topic.clone())]),
            )?;
        }
        Ok(())
    }

    /// An expected assignment of a crowd: its summary, each `members_holding` key a number of
    /// partitions.
    fn crowd_assignment(
        &self,
        crowd: &str,
        assignment: &AssignmentExpect,
        here: Vec<PathSeg>,
    ) -> Result<()> {
        let AssignmentExpect::Crowd(summary) = assignment else {
            return Err(self.err(
                here,
                true,
                format!("`{crowd}` is a crowd: its assignment is expected as a summary"),
                Some(
                    "write e.g. `{ members: 8, members_holding: { 1 partition: 8 }, unowned: 0 }`, \
                     or name one of its members"
                        .into(),
                ),
            ));
        };
        for key in summary.members_holding.iter().flat_map(BTreeMap::keys) {
            if CrowdExpect::partitions_of(key).is_none() {
                let mut at = here.clone();
                at.extend(["members_holding".into(), PathSeg::Key(key.clone())]);
                return Err(self.err(
                    at,
                    true,
                    format!("`{key}` is not a number of partitions"),
                    Some("write `none`, `1 partition`, `3 partitions` or the number alone".into()),
                ));
            }
        }
        Ok(())
    }

    /// An expected assignment of `actor`, which consumes `topics`: a bare list of partitions
    /// only for a consumer of one topic, every topic one it consumes, every partition one the
    /// topic has.
    fn assignment(
        &self,
        actor: &str,
        assignment: &AssignmentExpect,
        topics: &[String],
        here: Vec<PathSeg>,
        partitions: &BTreeMap<String, i32>,
    ) -> Result<()> {
        let per_topic: Vec<(String, &Vec<i32>)> = match assignment {
            AssignmentExpect::Crowd(_) => {
                return Err(self.err(
                    here,
                    true,
                    format!("`{actor}` is not a crowd: a summary is expected of crowds only"),
                    Some("give the partitions it holds, e.g. `[0, 1]`".into()),
                ));
            }
            AssignmentExpect::Partitions(list) => {
                if topics.len() != 1 {
                    return Err(self.err(
                        here,
                        false,
                        format!("`{actor}` subscribes to {} topics; say which partitions of which topic", topics.len()),
                        Some("write `{ topic: [0, 1] }`".into()),
                    ));
                }
                vec![(topics[0].clone(), list)]
            }
            AssignmentExpect::PerTopic(map) => map.iter().map(|(t, l)| (t.clone(), l)).collect(),
        };
        for (topic, list) in per_topic {
            if !topics.contains(&topic) {
                return Err(self.unknown(
                    "topic",
                    &topic,
                    topics.iter().cloned(),
                    here.clone(),
                    false,
                ));
            }
            let count = partitions.get(&topic).copied().unwrap_or(0);
            if let Some(p) = list.iter().find(|p| **p < 0 || **p >= count) {
                return Err(self.err(
                    here.clone(),
                    false,
                    format!("`{topic}` has no partition {p} (it has {count})"),
                    Some(format!("partitions are numbered 0 to {}", count - 1)),
                ));
            }
        }
        Ok(())
    }

    /// `topic` must be one of the topics in `partitions`.
    fn known_topic(
        &self,
        topic: &str,
        partitions: &BTreeMap<String, i32>,
        at: Vec<PathSeg>,
    ) -> Result<()> {
        if partitions.contains_key(topic) {
            Ok(())
        } else {
            Err(self.unknown("topic", topic, partitions.keys().cloned(), at, true))
        }
    }

    /// Every group named must be one the scenario's consumers join.
    pub(super) fn known_groups<'g>(
        &self,
        named: impl IntoIterator<Item = &'g String>,
        declared: &BTreeSet<&str>,
        at: impl Fn(&str) -> Vec<PathSeg>,
    ) -> Result<()> {
        for group in named {
            if !declared.contains(group.as_str()) {
                return Err(self.unknown(
                    "group",
                    group,
                    declared.iter().map(|g| (*g).to_owned()),
                    at(group),
                    true,
                ));
            }
        }
        Ok(())
    }

    /// Each topic's partition count once every `grow` step has run.
    pub(super) fn partitions_after(
        &self,
        steps: &[PlannedStep],
        topics: &[TopicPlan],
    ) -> BTreeMap<String, i32> {
        let mut partitions: BTreeMap<String, i32> = topics
            .iter()
            .map(|t| (t.name.clone(), t.partitions))
            .collect();
        for step in steps {
            if let Action::Grow {
                topic,
                partitions: n,
            } = &step.action
            {
                partitions.insert(topic.clone(), *n);
            }
        }
        partitions
    }
}
