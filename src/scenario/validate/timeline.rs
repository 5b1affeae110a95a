//! `timeline:`: walks the steps in order, tracking which actors run, which are frozen and
//! how many partitions each topic has, so that every step is proven possible at the point it
//! stands (no stopping what never started, no `grow` that adds no partition).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::barrier::describe_barrier;
use super::crowd::Verb;
use super::{Result, Validator, Walk, path};
use crate::scenario::model::{Expectations, GrowStep, ProcessStep, ProduceStep, Step};
use crate::scenario::plan::{
    Action, ActorPlan, BrokerSetup, Burst, Capability, Fault, Keys, PlannedStep, TopicPlan,
};
use crate::scenario::source::PathSeg;

impl Validator<'_> {
    /// The timeline's steps in order, each checked against the state the steps before it
    /// leave, and what the run needs of the cluster for them.
    pub(super) fn timeline(
        &self,
        topics: &[TopicPlan],
        actors: &BTreeMap<String, ActorPlan>,
        brokers: Option<&BrokerSetup>,
    ) -> Result<(Vec<PlannedStep>, BTreeSet<Capability>)> {
        if self.file.timeline.is_empty() {
            return Err(self.err(
                path(&[&"timeline"]),
                true,
                "the timeline is empty",
                Some("add steps such as `- start: consumer1`".into()),
            ));
        }
        let mut walk = Walk::default();
        let mut partitions: BTreeMap<String, i32> = topics
            .iter()
            .map(|t| (t.name.clone(), t.partitions))
            .collect();
        let mut needs = BTreeSet::new();
        let mut steps = Vec::new();
        for (index, step) in self.file.timeline.iter().enumerate() {
            let at = |key: &str| path(&[&"timeline", &index, &key]);
            let line = self.source.line_of(&path(&[&"timeline", &index]));
            let (text, action) = match step {
                Step::Start(on)
                | Step::Stop(on)
                | Step::Kill(on)
                | Step::Freeze(on)
                | Step::Thaw(on) => {
                    let verb = match step {
                        Step::Start(_) => Verb::Start,
                        Step::Stop(_) => Verb::Stop,
                        Step::Kill(_) => Verb::Kill,
                        Step::Freeze(_) => Verb::Freeze,
                        _ => Verb::Thaw,
                    };
                    let acted =
                        self.actor_step(verb, &on.0, at(verb.word()), line, actors, &mut walk)?;
                    push_all(&mut steps, index, line, acted);
                    continue;
                }
                Step::Commit(actor) => self.commit_step(actor, at("commit"), actors, &walk)?,
                Step::Produce(p) => self.produce_step(&p.0, index, actors)?,
                Step::Sleep(d) => (
                    format!("sleep {}", humantime::format_duration(d.0)),
                    Action::Sleep(d.0),
                ),
                Step::At(d) => self.at_step(d.0, at("at"), &mut walk)?,
                Step::Await(a) => {
                    let cluster =
                        self.cluster_conditions(&a.0, at("await"), brokers, topics, &partitions)?;
                    let barrier = self.barrier(&a.0, index, actors, &walk, cluster, &partitions)?;
                    self.exited(&barrier.exited, index, actors, &mut walk, line)?;
                    (describe_barrier(&barrier), Action::Await(barrier))
                }
                Step::Expect(e) => self.expect_step(e, index, actors, &partitions, brokers)?,
                Step::Grow(g) => self.grow_step(g, index, &mut partitions, &mut needs)?,
                Step::Process(p) => self.process_step(p, index, actors)?,
                Step::Link(l) => self.link_step(&l.0, at("link"), line, actors, &mut walk)?,
                Step::KillBroker(spec)
                | Step::StopBroker(spec)
                | Step::PauseBroker(spec)
                | Step::ResumeBroker(spec)
                | Step::RestartBroker(spec) => {
                    let fault = match step {
                        Step::KillBroker(_) => Fault::Kill,
                        Step::StopBroker(_) => Fault::Stop,
                        Step::PauseBroker(_) => Fault::Pause,
                        Step::ResumeBroker(_) => Fault::Resume,
                        _ => Fault::Restart,
                    };
                    let key = format!("{}-broker", fault.verb());
                    let (text, fault) = self.fault_step(
                        fault,
                        spec,
                        at(&key),
                        brokers,
                        &partitions,
                        &mut walk.brokers,
                    )?;
                    (text, Action::Fault(fault))
                }
            };
            steps.push(PlannedStep {
                index,
                line,
                text,
                action,
            });
        }
        Ok((steps, needs))
    }

    /// A `start` step: the actor is not running yet, and a process producer is the only
    /// process writing to its topic.
    pub(super) fn start_step(
        &self,
        actor: &str,
        at: Vec<PathSeg>,
        actors: &BTreeMap<String, ActorPlan>,
        walk: &mut Walk,
    ) -> Result<(String, Action)> {
        self.actor_ref(actor, actors, at.clone())?;
        if walk.running.contains(actor) {
            return Err(self.err(
                at,
                false,
                format!("`{actor}` is already running"),
                Some(format!("stop or kill `{actor}` before starting it again")),
            ));
        }
        self.one_process_per_topic(actor, actors, walk, at)?;
        walk.running.insert(actor.to_owned());
        walk.started.insert(actor.to_owned(), walk.starts);
        walk.starts += 1;
        Ok((format!("start {actor}"), Action::Start(actor.to_owned())))
    }

    /// A `stop` (`stop` true) or `kill` step: the actor is running, and only a kill ends a
    /// frozen one. `line` is remembered as where it ended.
    pub(super) fn end_step(
        &self,
        actor: &str,
        stop: bool,
        at: Vec<PathSeg>,
        line: usize,
        actors: &BTreeMap<String, ActorPlan>,
        walk: &mut Walk,
    ) -> Result<(String, Action)> {
        let verb = if stop { "stop" } else { "kill" };
        self.actor_ref(actor, actors, at.clone())?;
        if stop {
            self.not_frozen(actor, verb, at.clone(), walk)?;
            self.not_cut(actor, at.clone(), walk)?;
        }
        walk.frozen.remove(actor);
        if !walk.running.remove(actor) {
            let hint = match walk.ended_at.get(actor) {
                Some(line) => format!("`{actor}` already ended at line {line}"),
                None => format!("add `- start: {actor}` before this step"),
            };
            return Err(self.err(
                at,
                false,
                format!("cannot {verb} `{actor}`: it is not running at this step"),
                Some(hint),
            ));
        }
        walk.ended_at.insert(actor.to_owned(), line);
        walk.started.remove(actor);
        let action = if stop {
            Action::Stop(actor.to_owned())
        } else {
            Action::Kill(actor.to_owned())
        };
        Ok((format!("{verb} {actor}"), action))
    }

    /// A `commit` step: the actor is a running consumer of the harness's own, not frozen.
    fn commit_step(
        &self,
        actor: &str,
        at: Vec<PathSeg>,
        actors: &BTreeMap<String, ActorPlan>,
        walk: &Walk,
    ) -> Result<(String, Action)> {
        self.not_a_process(actor, actors, "commit for", at.clone())?;
        if let ActorPlan::Producer(_) = self.actor_ref(actor, actors, at.clone())? {
            return Err(self.err(
                at,
                false,
                format!("`{actor}` is a producer; only consumers commit"),
                None,
            ));
        }
        if !walk.running.contains(actor) {
            return Err(self.err(
                at,
                false,
                format!("cannot commit for `{actor}`: it is not running at this step"),
                Some(format!("add `- start: {actor}` before this step")),
            ));
        }
        self.not_frozen(actor, "commit for", at, walk)?;
        Ok((format!("commit {actor}"), Action::Commit(actor.to_owned())))
    }

    /// A `produce` step (step `index`): its actor is a producer of the harness's own, whose
    /// keys, count and payload size fill in what the step leaves out.
    fn produce_step(
        &self,
        p: &ProduceStep,
        index: usize,
        actors: &BTreeMap<String, ActorPlan>,
    ) -> Result<(String, Action)> {
        let here = path(&[&"timeline", &index, &"produce", &"actor"]);
        self.not_a_process(&p.actor, actors, "produce from", here.clone())?;
        let producer = match self.actor_ref(&p.actor, actors, here.clone())? {
            ActorPlan::Producer(producer) => producer,
            ActorPlan::Consumer(_) | ActorPlan::Process(_) => {
                return Err(self.err(
                    here,
                    false,
                    format!("`{}` is a consumer; `produce` needs a producer", p.actor),
                    None,
                ));
            }
        };
        let keys = match self.keys(&p.key, &p.keys, path(&[&"timeline", &index, &"produce"]))? {
            Keys::None => producer.keys.clone(),
            keys => keys,
        };
        let count = p.count.or(producer.count).unwrap_or(1);
        Ok((
            format!("produce {count} from {}", p.actor),
            Action::Produce(Burst {
                actor: p.actor.clone(),
                count,
                keys,
                payload: p.payload.unwrap_or(producer.payload),
            }),
        ))
    }

    /// An `at` step: offsets count from the scenario start, so none is earlier than the one
    /// before it.
    fn at_step(
        &self,
        offset: Duration,
        at: Vec<PathSeg>,
        walk: &mut Walk,
    ) -> Result<(String, Action)> {
        if let Some(previous) = walk.last_at.filter(|p| *p > offset) {
            return Err(self.err(
                at,
                false,
                format!(
                    "`at: {}` is earlier than the `at: {}` before it",
                    humantime::format_duration(offset),
                    humantime::format_duration(previous)
                ),
                Some("`at` offsets count from the scenario start and must not go back".into()),
            ));
        }
        walk.last_at = Some(offset);
        Ok((
            format!("at {}", humantime::format_duration(offset)),
            Action::At(offset),
        ))
    }

    /// An `expect` step (step `index`): its expectations hold the names of this point in the
    /// timeline, and it leaves `durability` to the final `expect:`.
    fn expect_step(
        &self,
        e: &Expectations,
        index: usize,
        actors: &BTreeMap<String, ActorPlan>,
        partitions: &BTreeMap<String, i32>,
        brokers: Option<&BrokerSetup>,
    ) -> Result<(String, Action)> {
        if !e.durability.is_empty() {
            return Err(self.err(
                path(&[&"timeline", &index, &"expect", &"durability"]),
                true,
                "`durability` is known only once the topics are read back after the run",
                Some("move it to the final `expect:`".into()),
            ));
        }
        if !e.invariants.is_empty() {
            return Err(self.err(
                path(&[&"timeline", &index, &"expect", &"invariants"]),
                true,
                "`invariants` are judged over the whole run",
                Some("move them to the final `expect:`".into()),
            ));
        }
        self.expectations(
            e,
            &path(&[&"timeline", &index, &"expect"]),
            actors,
            partitions,
            brokers.is_some(),
        )?;
        Ok(("expect".to_owned(), Action::Expect(e.clone())))
    }

    /// A `grow` step (step `index`): the topic exists and only gains partitions; `partitions`
    /// holds its new count from here on.
    fn grow_step(
        &self,
        g: &GrowStep,
        index: usize,
        partitions: &mut BTreeMap<String, i32>,
        needs: &mut BTreeSet<Capability>,
    ) -> Result<(String, Action)> {
        let Some(current) = partitions.get(&g.topic).copied() else {
            return Err(self.unknown(
                "topic",
                &g.topic,
                partitions.keys().cloned(),
                path(&[&"timeline", &index, &"grow", &"topic"]),
                false,
            ));
        };
        if g.partitions <= current {
            return Err(self.err(
                path(&[&"timeline", &index, &"grow", &"partitions"]),
                false,
                format!(
                    "`{}` already has {current} partitions; Kafka can only add partitions",
                    g.topic
                ),
                Some(format!("use a number above {current}")),
            ));
        }
        partitions.insert(g.topic.clone(), g.partitions);
        needs.insert(Capability::CreatePartitions);
        Ok((
            format!("grow {} to {} partitions", g.topic, g.partitions),
            Action::Grow {
                topic: g.topic.clone(),
                partitions: g.partitions,
            },
        ))
    }

    /// A `process` step (step `index`): its actor is a consumer of the harness's own.
    fn process_step(
        &self,
        p: &ProcessStep,
        index: usize,
        actors: &BTreeMap<String, ActorPlan>,
    ) -> Result<(String, Action)> {
        let here = path(&[&"timeline", &index, &"process", &"actor"]);
        self.not_a_process(&p.actor, actors, "set the processing time of", here.clone())?;
        if let ActorPlan::Producer(_) = self.actor_ref(&p.actor, actors, here.clone())? {
            return Err(self.err(
                here,
                false,
                format!(
                    "`{}` is a producer; only consumers process records",
                    p.actor
                ),
                None,
            ));
        }
        Ok((
            format!(
                "process {} at {} per record",
                p.actor,
                humantime::format_duration(p.time.0)
            ),
            Action::Process {
                actor: p.actor.clone(),
                time: p.time.0,
            },
        ))
    }

    /// The plan of `actor`, which must be declared.
    pub(super) fn actor_ref<'p>(
        &self,
        actor: &str,
        actors: &'p BTreeMap<String, ActorPlan>,
        at: Vec<PathSeg>,
    ) -> Result<&'p ActorPlan> {
        if let (None, Some(members)) = (actors.get(actor), self.crowd(actor)) {
            let (first, last) = (members.first(), members.last());
            return Err(self.err(
                at,
                false,
                format!(
                    "`{actor}` is a crowd of {} consumers, not one actor",
                    members.len()
                ),
                Some(format!(
                    "name one of its members, `{}` to `{}`",
                    first.map_or("", String::as_str),
                    last.map_or("", String::as_str)
                )),
            ));
        }
        actors
            .get(actor)
            .ok_or_else(|| self.unknown("actor", actor, actors.keys().cloned(), at, false))
    }
}

/// Adds one planned step per (text, action) of the file's step `index` at `line`.
fn push_all(
    steps: &mut Vec<PlannedStep>,
    index: usize,
    line: usize,
    actions: Vec<(String, Action)>,
) {
    steps.extend(actions.into_iter().map(|(text, action)| PlannedStep {
        index,
        line,
        text,
        action,
    }));
}
