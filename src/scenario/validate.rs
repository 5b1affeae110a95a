//! `ScenarioFile` -> `Plan`: resolves names, merges defaults and walks the timeline once to
//! prove every step can happen. Nothing runs until this has passed.

mod faults;
mod freeze;
mod process;
mod variants;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::ClientConfig;

use super::model::{
    ActorSpec, AssignmentExpect, AwaitStep, CommitMode, ConsumerSpec, Expectations, ProducerSpec,
    ScenarioFile, StableTarget, Step,
};
use super::plan::{
    Action, ActorPlan, Barrier, BrokerSetup, Burst, Capability, ConsumerPlan, Fault, GroupProtocol,
    Keys, Plan, PlannedStep, ProducerPlan, Scenario, TopicPlan, Variant,
};
use super::source::{PathSeg, ScenarioError, SourceText, did_you_mean};
use super::template::{Slot, Template};
use super::values::PropertyValue;

/// Payload size when a scenario does not say.
pub const DEFAULT_PAYLOAD_BYTES: usize = 100;
/// Poll batch limit when a consumer does not say (the Java and kafka-python default).
pub const DEFAULT_MAX_POLL_RECORDS: usize = 500;
/// Barrier timeout when a step does not say.
pub const DEFAULT_AWAIT_TIMEOUT: Duration = Duration::from_secs(60);
/// librdkafka's own `auto.commit.interval.ms` default.
const LIBRDKAFKA_AUTO_COMMIT_INTERVAL: Duration = Duration::from_secs(5);

/// Properties the harness sets itself; writing them would silently be overridden.
const OWNED_PROPERTIES: &[(&str, &str)] = &[
    ("group.id", "use `group:`"),
    (
        "bootstrap.servers",
        "the target supplies it; choose one with --cluster",
    ),
    (
        "metadata.broker.list",
        "the target supplies it; choose one with --cluster",
    ),
    (
        "enable.auto.offset.store",
        "the harness stores each record's offset as its poll returns it (commit decides when it is committed)",
    ),
];

/// Classic-protocol consumer settings that librdkafka refuses with `group.protocol: consumer`,
/// and what takes their place.
const CLASSIC_ONLY_PROPERTIES: &[(&str, &str)] = &[
    (
        "session.timeout.ms",
        "the broker's `group.consumer.session.timeout.ms` decides it",
    ),
    (
        "heartbeat.interval.ms",
        "the broker's `group.consumer.heartbeat.interval.ms` decides it",
    ),
    (
        "partition.assignment.strategy",
        "the broker assigns; `group.remote.assignor` chooses its assignor (`uniform` or `range`)",
    ),
    ("group.protocol.type", "it belongs to the classic protocol"),
];

type Result<T> = std::result::Result<T, Box<ScenarioError>>;

fn path(segs: &[&dyn AsSeg]) -> Vec<PathSeg> {
    segs.iter().map(|s| s.seg()).collect()
}

trait AsSeg {
    fn seg(&self) -> PathSeg;
}
impl AsSeg for &str {
    fn seg(&self) -> PathSeg {
        PathSeg::Key((*self).to_owned())
    }
}
impl AsSeg for String {
    fn seg(&self) -> PathSeg {
        PathSeg::Key(self.clone())
    }
}
impl AsSeg for usize {
    fn seg(&self) -> PathSeg {
        PathSeg::Index(*self)
    }
}

/// Checks a parsed scenario and turns it into a plan per variant.
pub fn validate(file: ScenarioFile, source: &SourceText) -> Result<Scenario> {
    let v = Validator {
        source,
        file: &file,
    };
    // One copy of the text, shared by every variant's plan.
    let shared = Arc::new(source.clone());
    if file.variants.is_empty() {
        v.no_comparison_without_variants()?;
        return Ok(Scenario {
            plans: vec![plan(&file, &shared, None)?],
            orderings: Vec::new(),
        });
    }
    let mut plans = Vec::new();
    for (name, spec) in &file.variants {
        v.variant(name, spec)?;
        let mut overlaid = file.clone();
        overlaid.defaults.consumer.extend(spec.consumer.clone());
        overlaid.defaults.producer.extend(spec.producer.clone());
        let variant = Variant {
            name: name.clone(),
            about: spec.about.trim().to_owned(),
        };
        plans.push(plan(&overlaid, &shared, Some(variant))?);
    }
    Ok(Scenario {
        plans,
        orderings: v.orderings()?,
    })
}

/// The plan of `file` as it is (its variant's properties already laid over its defaults).
fn plan(file: &ScenarioFile, source: &Arc<SourceText>, variant: Option<Variant>) -> Result<Plan> {
    let v = Validator { source, file };
    let topics = v.topics()?;
    let brokers = v.brokers(&topics)?;
    let actors = v.actors(&topics)?;
    let (steps, mut needs) = v.timeline(&topics, &actors, brokers.as_ref())?;
    if brokers.is_some() {
        needs.insert(Capability::OwnBrokers);
    }
    if actors
        .values()
        .any(|a| matches!(a, ActorPlan::Consumer(c) if c.protocol == GroupProtocol::Consumer))
    {
        needs.insert(Capability::ConsumerGroupProtocol);
    }
    let sasl = |t: &Template| t.slots().any(|s| matches!(s, Slot::Sasl(_)));
    if actors.values().any(|a| match a {
        ActorPlan::Process(p) => p.templates().any(sasl),
        _ => false,
    }) {
        needs.insert(Capability::SaslCredentials);
    }
    let alike = v.alike(&actors)?;
    let final_expect = match &file.expect {
        Some(expect) => {
            let partitions = v.partitions_after(&steps, &topics);
            v.expectations(
                expect,
                &["expect".seg()],
                &actors,
                &partitions,
                brokers.is_some(),
            )?;
            Some(expect.clone())
        }
        None => None,
    };
    Ok(Plan {
        name: file.name.clone(),
        variant,
        about: file.about.trim().to_owned(),
        file: source.file().to_owned(),
        source: Arc::clone(source),
        brokers,
        topics,
        actors,
        steps,
        final_expect,
        assignments: file.outcome.assignments,
        alike,
        needs,
        vars: BTreeMap::new(),
    })
}

struct Validator<'a> {
    source: &'a SourceText,
    file: &'a ScenarioFile,
}

/// The state of the timeline as validation walks it.
#[derive(Default)]
struct Walk {
    running: BTreeSet<String>,
    /// Actor -> line of the step that last stopped or killed it.
    ended_at: BTreeMap<String, usize>,
    last_at: Option<Duration>,
    brokers: faults::BrokerWalk,
    /// Frozen consumer -> line of the step that froze it.
    frozen: BTreeMap<String, usize>,
}

impl Validator<'_> {
    fn err(
        &self,
        at: Vec<PathSeg>,
        at_key: bool,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Box<ScenarioError> {
        self.source.error_at(&at, at_key, message, hint)
    }

    fn unknown(
        &self,
        what: &str,
        name: &str,
        known: impl IntoIterator<Item = String>,
        at: Vec<PathSeg>,
        at_key: bool,
    ) -> Box<ScenarioError> {
        let known: Vec<String> = known.into_iter().collect();
        let hint = match did_you_mean(name, known.iter().map(String::as_str)) {
            Some(close) => format!("did you mean `{close}`?"),
            None if known.is_empty() => format!("no {what} is declared"),
            None => format!("known {what}s: {}", known.join(", ")),
        };
        self.err(at, at_key, format!("unknown {what} `{name}`"), Some(hint))
    }

    fn topics(&self) -> Result<Vec<TopicPlan>> {
        if self.file.topics.is_empty() {
            return Err(self.err(
                path(&[&"topics"]),
                true,
                "no topic is declared",
                Some(
                    "declare at least one topic, e.g. `topics: { orders: { partitions: 3 } }`"
                        .into(),
                ),
            ));
        }
        let mut topics = Vec::new();
        for (name, spec) in &self.file.topics {
            for (field, value) in [("partitions", spec.partitions), ("replicas", spec.replicas)] {
                if value < 1 {
                    return Err(self.err(
                        path(&[&"topics", name, &field]),
                        false,
                        format!("`{field}` of topic `{name}` must be at least 1"),
                        None,
                    ));
                }
            }
            topics.push(TopicPlan {
                name: name.clone(),
                partitions: spec.partitions,
                replicas: spec.replicas,
                config: spec
                    .config
                    .iter()
                    .map(|(k, v)| (k.clone(), v.0.clone()))
                    .collect(),
            });
        }
        Ok(topics)
    }

    fn actors(&self, topics: &[TopicPlan]) -> Result<BTreeMap<String, ActorPlan>> {
        if self.file.actors.is_empty() {
            return Err(self.err(
                path(&[&"actors"]),
                true,
                "no actor is declared",
                Some("declare a consumer or a producer under `actors:`".into()),
            ));
        }
        self.properties(
            &self.file.defaults.consumer,
            path(&[&"defaults", &"consumer"]),
        )?;
        self.properties(
            &self.file.defaults.producer,
            path(&[&"defaults", &"producer"]),
        )?;
        let mut actors = BTreeMap::new();
        for (name, spec) in &self.file.actors {
            let plan = match spec {
                ActorSpec::Consumer(c) => ActorPlan::Consumer(self.consumer(name, c, topics)?),
                ActorSpec::Producer(p) => ActorPlan::Producer(self.producer(name, p, topics)?),
                ActorSpec::Process(p) => ActorPlan::Process(self.process(name, p, topics)?),
            };
            actors.insert(name.clone(), plan);
        }
        Ok(actors)
    }

    fn topic_exists(&self, topic: &str, topics: &[TopicPlan], at: Vec<PathSeg>) -> Result<()> {
        if topics.iter().any(|t| t.name == topic) {
            Ok(())
        } else {
            Err(self.unknown(
                "topic",
                topic,
                topics.iter().map(|t| t.name.clone()),
                at,
                false,
            ))
        }
    }

    fn consumer(
        &self,
        name: &str,
        spec: &ConsumerSpec,
        topics: &[TopicPlan],
    ) -> Result<ConsumerPlan> {
        let base = || path(&[&"actors", &name.to_owned(), &"consumer"]);
        if spec.topics.is_empty() {
            let mut at = base();
            at.push("topics".into());
            return Err(self.err(
                at,
                false,
                format!("consumer `{name}` subscribes to no topic"),
                None,
            ));
        }
        for (i, topic) in spec.topics.iter().enumerate() {
            let mut at = base();
            at.extend(["topics".into(), i.into()]);
            self.topic_exists(topic, topics, at)?;
        }
        if spec.group.trim().is_empty() {
            let mut at = base();
            at.push("group".into());
            return Err(self.err(at, false, "the group id is empty", None));
        }
        self.properties(&spec.properties, base())?;
        let mut properties = merge(&self.file.defaults.consumer, &spec.properties, name);
        let auto_commit_written = lookup(&properties, "enable.auto.commit").map(|v| v == "true");
        let commit = match (spec.commit, auto_commit_written) {
            (Some(mode), Some(auto)) if (mode == CommitMode::Auto) != auto => {
                let mut at = base();
                at.push("commit".into());
                return Err(self.err(
                    at,
                    false,
                    format!("`commit` contradicts `enable.auto.commit: {auto}`"),
                    Some("remove `enable.auto.commit`; `commit:` decides it".into()),
                ));
            }
            (Some(mode), _) => mode,
            (None, Some(false)) => CommitMode::Never,
            (None, _) => CommitMode::Auto,
        };
        properties.retain(|(k, _)| k != "enable.auto.commit");
        properties.push((
            "enable.auto.commit".into(),
            (commit == CommitMode::Auto).to_string(),
        ));
        let auto_commit_interval = (commit == CommitMode::Auto).then(|| {
            lookup(&properties, "auto.commit.interval.ms")
                .and_then(|v| v.parse().ok())
                .map_or(LIBRDKAFKA_AUTO_COMMIT_INTERVAL, Duration::from_millis)
        });
        let max_poll_records = match spec.max_poll_records {
            Some(0) => {
                let mut at = base();
                at.push("max.poll.records".into());
                return Err(self.err(at, false, "`max.poll.records` must be at least 1", None));
            }
            Some(n) => n as usize,
            None => DEFAULT_MAX_POLL_RECORDS,
        };
        let protocol = self.group_protocol(name, spec, &properties)?;
        Ok(ConsumerPlan {
            group: spec.group.clone(),
            topics: spec.topics.clone(),
            max_poll_records,
            commit,
            auto_commit_interval,
            process: spec.process.map_or(Duration::ZERO, |d| d.0),
            protocol,
            properties,
        })
    }

    /// The group protocol of a consumer's merged `properties`. Under the consumer protocol the
    /// broker decides the session, the heartbeat and the assignment, and librdkafka refuses
    /// the classic settings for them: said here, with the line, rather than when it starts.
    fn group_protocol(
        &self,
        name: &str,
        spec: &ConsumerSpec,
        properties: &[(String, String)],
    ) -> Result<GroupProtocol> {
        let written = lookup(properties, "group.protocol").map(str::to_ascii_lowercase);
        if written.as_deref() != Some("consumer") {
            return Ok(GroupProtocol::Classic);
        }
        for (key, instead) in CLASSIC_ONLY_PROPERTIES {
            if lookup(properties, key).is_none() {
                continue;
            }
            let at = if spec.properties.contains_key(*key) {
                path(&[&"actors", &name.to_owned(), &"consumer", key])
            } else {
                path(&[&"defaults", &"consumer", key])
            };
            return Err(self.err(
                at,
                true,
                format!("`{key}` has no effect on consumer `{name}`, which uses `group.protocol: consumer`"),
                Some(format!(
                    "{instead}; where variants differ in protocol, set it in the classic variants only"
                )),
            ));
        }
        Ok(GroupProtocol::Consumer)
    }

    fn producer(
        &self,
        name: &str,
        spec: &ProducerSpec,
        topics: &[TopicPlan],
    ) -> Result<ProducerPlan> {
        let base = || path(&[&"actors", &name.to_owned(), &"producer"]);
        let mut at = base();
        at.push("topic".into());
        self.topic_exists(&spec.topic, topics, at)?;
        self.properties(&spec.properties, base())?;
        let keys = self.keys(&spec.key, &spec.keys, base())?;
        Ok(ProducerPlan {
            topic: spec.topic.clone(),
            keys,
            count: spec.count,
            rate: spec.rate,
            payload: spec.payload.unwrap_or(DEFAULT_PAYLOAD_BYTES),
            properties: merge(&self.file.defaults.producer, &spec.properties, name),
        })
    }

    fn keys(
        &self,
        key: &Option<String>,
        keys: &Option<Vec<String>>,
        at: Vec<PathSeg>,
    ) -> Result<Keys> {
        match (key, keys) {
            (Some(_), Some(_)) => {
                let mut at = at;
                at.push("keys".into());
                Err(self.err(
                    at,
                    true,
                    "both `key` and `keys` are given",
                    Some("keep one of them".into()),
                ))
            }
            (Some(key), None) => Ok(Keys::One(key.clone())),
            (None, Some(keys)) if keys.is_empty() => {
                let mut at = at;
                at.push("keys".into());
                Err(self.err(
                    at,
                    false,
                    "`keys` is empty",
                    Some("list at least one key, or remove `keys`".into()),
                ))
            }
            (None, Some(keys)) => Ok(Keys::Cycle(keys.clone())),
            (None, None) => Ok(Keys::None),
        }
    }

    /// Every passthrough property must be one librdkafka knows, and not one the harness owns.
    fn properties(&self, props: &BTreeMap<String, PropertyValue>, at: Vec<PathSeg>) -> Result<()> {
        for (key, value) in props {
            let mut here = at.clone();
            here.push(PathSeg::Key(key.clone()));
            if let Some((_, hint)) = OWNED_PROPERTIES.iter().find(|(k, _)| k == key) {
                return Err(self.err(
                    here,
                    true,
                    format!("`{key}` is set by the harness"),
                    Some((*hint).to_owned()),
                ));
            }
            if key == "enable.auto.commit" && !matches!(value.0.as_str(), "true" | "false") {
                return Err(self.err(
                    here,
                    false,
                    "`enable.auto.commit` must be true or false",
                    None,
                ));
            }
            let mut config = ClientConfig::new();
            config.set(key.as_str(), value.0.as_str());
            if let Err(e) = config.create_native_config() {
                let first_class = [
                    "group",
                    "topics",
                    "topic",
                    "key",
                    "keys",
                    "count",
                    "rate",
                    "payload",
                    "commit",
                    "max.poll.records",
                    "process",
                ];
                let hint = did_you_mean(key, first_class)
                    .map(|close| format!("did you mean `{close}`?"))
                    .unwrap_or_else(|| {
                        "any librdkafka property is accepted; see librdkafka's CONFIGURATION.md"
                            .into()
                    });
                return Err(self.err(
                    here,
                    true,
                    format!("librdkafka rejects `{key}: {}`: {e}", value.0),
                    Some(hint),
                ));
            }
        }
        Ok(())
    }

    fn timeline(
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
                Step::Start(actor) => {
                    self.actor_ref(actor, actors, at("start"))?;
                    if walk.running.contains(actor) {
                        return Err(self.err(
                            at("start"),
                            false,
                            format!("`{actor}` is already running"),
                            Some(format!("stop or kill `{actor}` before starting it again")),
                        ));
                    }
                    self.one_process_per_topic(actor, actors, &walk, at("start"))?;
                    walk.running.insert(actor.clone());
                    (format!("start {actor}"), Action::Start(actor.clone()))
                }
                Step::Stop(actor) | Step::Kill(actor) => {
                    let verb = if matches!(step, Step::Stop(_)) {
                        "stop"
                    } else {
                        "kill"
                    };
                    self.actor_ref(actor, actors, at(verb))?;
                    if verb == "stop" {
                        self.not_frozen(actor, verb, at(verb), &walk)?;
                    }
                    walk.frozen.remove(actor);
                    if !walk.running.remove(actor) {
                        let hint = match walk.ended_at.get(actor) {
                            Some(line) => format!("`{actor}` already ended at line {line}"),
                            None => format!("add `- start: {actor}` before this step"),
                        };
                        return Err(self.err(
                            at(verb),
                            false,
                            format!("cannot {verb} `{actor}`: it is not running at this step"),
                            Some(hint),
                        ));
                    }
                    walk.ended_at.insert(actor.clone(), line);
                    let action = if verb == "stop" {
                        Action::Stop(actor.clone())
                    } else {
                        Action::Kill(actor.clone())
                    };
                    (format!("{verb} {actor}"), action)
                }
                Step::Commit(actor) => {
                    self.not_a_process(actor, actors, "commit for", at("commit"))?;
                    if let ActorPlan::Producer(_) = self.actor_ref(actor, actors, at("commit"))? {
                        return Err(self.err(
                            at("commit"),
                            false,
                            format!("`{actor}` is a producer; only consumers commit"),
                            None,
                        ));
                    }
                    if !walk.running.contains(actor) {
                        return Err(self.err(
                            at("commit"),
                            false,
                            format!("cannot commit for `{actor}`: it is not running at this step"),
                            Some(format!("add `- start: {actor}` before this step")),
                        ));
                    }
                    self.not_frozen(actor, "commit for", at("commit"), &walk)?;
                    (format!("commit {actor}"), Action::Commit(actor.clone()))
                }
                Step::Produce(p) => {
                    let p = &p.0;
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
                    let keys = match self.keys(&p.key, &p.keys, at("produce"))? {
                        Keys::None => producer.keys.clone(),
                        keys => keys,
                    };
                    let count = p.count.or(producer.count).unwrap_or(1);
                    (
                        format!("produce {count} from {}", p.actor),
                        Action::Produce(Burst {
                            actor: p.actor.clone(),
                            count,
                            keys,
                            payload: p.payload.unwrap_or(producer.payload),
                        }),
                    )
                }
                Step::Sleep(d) => (
                    format!("sleep {}", humantime::format_duration(d.0)),
                    Action::Sleep(d.0),
                ),
                Step::At(d) => {
                    if let Some(previous) = walk.last_at.filter(|p| *p > d.0) {
                        return Err(self.err(
                            at("at"),
                            false,
                            format!(
                                "`at: {}` is earlier than the `at: {}` before it",
                                humantime::format_duration(d.0),
                                humantime::format_duration(previous)
                            ),
                            Some(
                                "`at` offsets count from the scenario start and must not go back"
                                    .into(),
                            ),
                        ));
                    }
                    walk.last_at = Some(d.0);
                    (
                        format!("at {}", humantime::format_duration(d.0)),
                        Action::At(d.0),
                    )
                }
                Step::Await(a) => {
                    let cluster =
                        self.cluster_conditions(&a.0, at("await"), brokers, topics, &partitions)?;
                    let barrier = self.barrier(&a.0, index, actors, &walk, cluster)?;
                    self.exited(&barrier.exited, index, actors, &mut walk, line)?;
                    (describe_barrier(&barrier), Action::Await(barrier))
                }
                Step::Expect(e) => {
                    if !e.durability.is_empty() {
                        return Err(self.err(
                            path(&[&"timeline", &index, &"expect", &"durability"]),
                            true,
                            "`durability` is known only once the topics are read back after the run",
                            Some("move it to the final `expect:`".into()),
                        ));
                    }
                    self.expectations(
                        e,
                        &path(&[&"timeline", &index, &"expect"]),
                        actors,
                        &partitions,
                        brokers.is_some(),
                    )?;
                    ("expect".to_owned(), Action::Expect(e.clone()))
                }
                Step::Grow(g) => {
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
                    (
                        format!("grow {} to {} partitions", g.topic, g.partitions),
                        Action::Grow {
                            topic: g.topic.clone(),
                            partitions: g.partitions,
                        },
                    )
                }
                Step::Process(p) => {
                    let here = path(&[&"timeline", &index, &"process", &"actor"]);
                    self.not_a_process(
                        &p.actor,
                        actors,
                        "set the processing time of",
                        here.clone(),
                    )?;
                    if let ActorPlan::Producer(_) =
                        self.actor_ref(&p.actor, actors, here.clone())?
                    {
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
                    (
                        format!(
                            "process {} at {} per record",
                            p.actor,
                            humantime::format_duration(p.time.0)
                        ),
                        Action::Process {
                            actor: p.actor.clone(),
                            time: p.time.0,
                        },
                    )
                }
                Step::Freeze(actor) => {
                    self.freeze_step(actor, true, at("freeze"), actors, &mut walk)?
                }
                Step::Thaw(actor) => {
                    self.freeze_step(actor, false, at("thaw"), actors, &mut walk)?
                }
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

    fn actor_ref<'p>(
        &self,
        actor: &str,
        actors: &'p BTreeMap<String, ActorPlan>,
        at: Vec<PathSeg>,
    ) -> Result<&'p ActorPlan> {
        actors
            .get(actor)
            .ok_or_else(|| self.unknown("actor", actor, actors.keys().cloned(), at, false))
    }

    fn barrier(
        &self,
        spec: &AwaitStep,
        index: usize,
        actors: &BTreeMap<String, ActorPlan>,
        walk: &Walk,
        cluster: faults::ClusterConditions,
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
        let drained = self.groups_of(
            &spec.drained,
            "drained",
            base(),
            &running_groups,
            &declared_groups,
        )?;
        for (field, map, want_consumer) in [
            ("consumed", &spec.consumed, true),
            ("produced", &spec.produced, false),
            ("max_poll_exceeded", &spec.max_poll_exceeded, true),
            ("failed", &spec.failed, false),
        ] {
            for actor in map.keys() {
                let mut at = base();
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

    /// Every group named must be one the scenario's consumers join.
    fn known_groups<'g>(
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

    fn expectations(
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
            let topics = consumer("assignment", actor)?;
            let here = at(&["assignment".into(), PathSeg::Key(actor.clone())]);
            let per_topic: Vec<(String, &Vec<i32>)> = match assignment {
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
                AssignmentExpect::PerTopic(map) => {
                    map.iter().map(|(t, l)| (t.clone(), l)).collect()
                }
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

    fn partitions_after(
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

fn describe_barrier(b: &Barrier) -> String {
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

/// Scenario defaults, then the actor's own properties; `client.id` defaults to the actor name so
/// that range assignment follows actor-name order.
fn merge(
    defaults: &BTreeMap<String, PropertyValue>,
    own: &BTreeMap<String, PropertyValue>,
    actor: &str,
) -> Vec<(String, String)> {
    let mut merged: BTreeMap<String, String> = defaults
        .iter()
        .chain(own.iter())
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect();
    merged
        .entry("client.id".to_owned())
        .or_insert_with(|| actor.to_owned());
    merged.into_iter().collect()
}

fn lookup<'a>(properties: &'a [(String, String)], key: &str) -> Option<&'a str> {
    properties
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}
