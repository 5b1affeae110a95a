//! Crowds: a consumer actor with `members: N` is N consumers of one group, alike, named after
//! it and their number (`workers.01` to `workers.40`). Validation expands the crowd into its
//! members, and a step naming the crowd into one step per member it takes, chosen from the walk
//! of the timeline: a `start` takes the next members not running, in order; a `stop`, `kill`
//! or `freeze` the oldest running ones (or the newest, or members drawn with the run's seed); a
//! `thaw` the frozen ones.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{Result, Validator, Walk, path};
use crate::scenario::model::{ActorSpec, ActorStep, Step, SweepSpec, Which};
use crate::scenario::plan::{Action, ActorPlan};
use crate::scenario::source::PathSeg;
use crate::scenario::values::MemberCount;

/// What a step naming an actor does to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verb {
    Start,
    Stop,
    Kill,
    Freeze,
    Thaw,
}

impl Verb {
    /// The step's key in the file.
    pub(super) fn word(self) -> &'static str {
        match self {
            Verb::Start => "start",
            Verb::Stop => "stop",
            Verb::Kill => "kill",
            Verb::Freeze => "freeze",
            Verb::Thaw => "thaw",
        }
    }
}

/// The names of a crowd's members, numbered from 1 with as many digits as the last, so that
/// they sort in order.
pub(super) fn member_names(crowd: &str, members: u32) -> Vec<String> {
    let width = members.to_string().len();
    (1..=members)
        .map(|n| format!("{crowd}.{n:0width$}"))
        .collect()
}

impl Validator<'_> {
    /// A `sweep:`'s sizes, each at least one and none twice, in a file with a crowd.
    pub(super) fn sweep(&self, sweep: &SweepSpec) -> Result<Vec<u32>> {
        let at = |index: Option<usize>| match index {
            Some(index) => path(&[&"sweep", &"members", &index]),
            None => path(&[&"sweep", &"members"]),
        };
        if !self
            .file
            .actors
            .values()
            .any(|a| matches!(a, ActorSpec::Consumer(c) if c.members.is_some()))
        {
            return Err(self.err(
                path(&[&"sweep"]),
                true,
                "a sweep sizes crowds, and the file has none",
                Some("give a consumer `members: N` to make it a crowd".into()),
            ));
        }
        if sweep.members.is_empty() {
            return Err(self.err(at(None), true, "a sweep needs at least one size", None));
        }
        for (index, size) in sweep.members.iter().enumerate() {
            if *size == 0 {
                return Err(self.err(
                    at(Some(index)),
                    false,
                    "a crowd has at least one member",
                    None,
                ));
            }
            if sweep.members[..index].contains(size) {
                return Err(self.err(
                    at(Some(index)),
                    false,
                    format!("{size} members is already a size of the sweep"),
                    None,
                ));
            }
        }
        for (index, topic) in sweep.partitions.iter().enumerate() {
            if !self.file.topics.contains_key(topic) {
                return Err(self.unknown(
                    "topic",
                    topic,
                    self.file.topics.keys().cloned(),
                    path(&[&"sweep", &"partitions", &index]),
                    false,
                ));
            }
        }
        Ok(sweep.members.clone())
    }

    /// Every crowd of the file and its members.
    pub(super) fn crowds(&self) -> BTreeMap<String, Vec<String>> {
        self.file
            .actors
            .keys()
            .filter_map(|actor| Some((actor.clone(), self.crowd(actor)?)))
            .collect()
    }

    /// Whether a step of the timeline draws members (`which: drawn`), so that the run's seed
    /// matters.
    pub(super) fn draws(&self) -> bool {
        self.file.timeline.iter().any(|step| match step {
            Step::Stop(on) | Step::Kill(on) | Step::Freeze(on) => on.0.which == Some(Which::Drawn),
            _ => false,
        })
    }

    /// The members of `actor` when it is a crowd.
    pub(super) fn crowd(&self, actor: &str) -> Option<Vec<String>> {
        match self.file.actors.get(actor) {
            Some(ActorSpec::Consumer(c)) => c.members.map(|n| member_names(actor, n)),
            _ => None,
        }
    }

    /// A `start`, `stop`, `kill`, `freeze` or `thaw` step: on one actor, or on members of a
    /// crowd, one (text, action) each, in the order they happen.
    pub(super) fn actor_step(
        &self,
        verb: Verb,
        step: &ActorStep,
        at: Vec<PathSeg>,
        line: usize,
        actors: &BTreeMap<String, ActorPlan>,
        walk: &mut Walk,
    ) -> Result<Vec<(String, Action)>> {
        let Some(members) = self.crowd(&step.actor) else {
            if step.members.is_some() || step.which.is_some() {
                return Err(self.err(
                    at,
                    false,
                    format!(
                        "`{}` is not a crowd: `members` and `which` choose members of one",
                        step.actor
                    ),
                    Some(
                        "give a consumer `members: N` to make it a crowd, or name the actor alone"
                            .into(),
                    ),
                ));
            }
            return Ok(vec![self.one(verb, &step.actor, at, line, actors, walk)?]);
        };
        let chosen = self.choose(verb, step, &members, at.clone(), walk)?;
        chosen
            .iter()
            .map(|member| self.one(verb, member, at.clone(), line, actors, walk))
            .collect()
    }

    fn one(
        &self,
        verb: Verb,
        actor: &str,
        at: Vec<PathSeg>,
        line: usize,
        actors: &BTreeMap<String, ActorPlan>,
        walk: &mut Walk,
    ) -> Result<(String, Action)> {
        match verb {
            Verb::Start => self.start_step(actor, at, actors, walk),
            Verb::Stop => self.end_step(actor, true, at, line, actors, walk),
            Verb::Kill => self.end_step(actor, false, at, line, actors, walk),
            Verb::Freeze => self.freeze_step(actor, true, at, actors, walk),
            Verb::Thaw => self.freeze_step(actor, false, at, actors, walk),
        }
    }

    /// The members a crowd step takes, in the order it acts on them.
    fn choose(
        &self,
        verb: Verb,
        step: &ActorStep,
        members: &[String],
        at: Vec<PathSeg>,
        walk: &mut Walk,
    ) -> Result<Vec<String>> {
        let crowd = &step.actor;
        if step.which.is_some() && matches!(verb, Verb::Start | Verb::Thaw) {
            return Err(self.err(
                at,
                false,
                format!(
                    "`which` chooses running members; a `{}` takes them in order",
                    verb.word()
                ),
                Some("remove `which`".into()),
            ));
        }
        let mut candidates: Vec<&String> = members
            .iter()
            .filter(|m| match verb {
                Verb::Start => !walk.running.contains(*m),
                Verb::Stop | Verb::Freeze => {
                    walk.running.contains(*m) && !walk.frozen.contains_key(*m)
                }
                Verb::Kill => walk.running.contains(*m),
                Verb::Thaw => walk.frozen.contains_key(*m),
            })
            .collect();
        if matches!(verb, Verb::Stop | Verb::Kill | Verb::Freeze) {
            candidates.sort_by_key(|m| walk.started.get(*m).copied().unwrap_or_default());
            if step.which == Some(Which::Newest) {
                candidates.reverse();
            }
        }
        if step.which == Some(Which::Drawn) && step.members.is_none() {
            return Err(self.err(
                at,
                false,
                "`which: drawn` draws some of the members a step can take, and `members` does \
                 not say how many",
                Some("give `members: k` (or a share, `members: 25%`)".into()),
            ));
        }
        let wanted = match step.members {
            Some(MemberCount::Exactly(0)) => {
                return Err(self.err(
                    at,
                    false,
                    "`members` must be at least 1",
                    Some(format!(
                        "leave `members` out to {} every member the step can take",
                        verb.word()
                    )),
                ));
            }
            Some(count) => count.of(members.len()),
            None => candidates.len(),
        };
        if candidates.is_empty() || candidates.len() < wanted {
            let which = match verb {
                Verb::Start => "not running",
                Verb::Stop | Verb::Freeze => "running and not frozen",
                Verb::Kill => "running",
                Verb::Thaw => "frozen",
            };
            return Err(self.err(
                at,
                false,
                format!(
                    "cannot {} {} of crowd `{crowd}`: {} of its {} members are {which} at this step",
                    verb.word(),
                    if step.members.is_some() { wanted.to_string() } else { "any".into() },
                    candidates.len(),
                    members.len()
                ),
                None,
            ));
        }
        if step.which != Some(Which::Drawn) {
            return Ok(candidates.into_iter().take(wanted).cloned().collect());
        }
        // Drawn from the candidates in the order of their names, so that a seed draws the same
        // members whatever order they were started in; acted on in that order too.
        candidates.sort();
        let seed = self.seed;
        let draw = walk
            .draw
            .get_or_insert_with(|| ChaCha8Rng::seed_from_u64(seed));
        let mut drawn = rand::seq::index::sample(draw, candidates.len(), wanted).into_vec();
        drawn.sort_unstable();
        Ok(drawn.into_iter().map(|i| candidates[i].clone()).collect())
    }
}

#[cfg(test)]
mod tests;
