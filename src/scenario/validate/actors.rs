//! `topics:`, `actors:` and `defaults:`: every topic has at least one partition and replica,
//! every actor reads or writes a declared topic, and every passthrough property is one
//! librdkafka accepts and the harness does not set itself, so that a typo fails here with its
//! line instead of when a client starts.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::config::ClientConfig;

use super::crowd::member_names;
use super::{DEFAULT_MAX_POLL_RECORDS, DEFAULT_PAYLOAD_BYTES, Result, Validator, path};
use crate::scenario::model::{ActorSpec, CommitPolicy, ConsumerSpec, ProducerSpec};
use crate::scenario::plan::{
    ActorPlan, ConsumerPlan, GroupProtocol, Keys, ProducerPlan, TopicPlan,
};
use crate::scenario::properties::Properties;
use crate::scenario::source::{PathSeg, did_you_mean};
use crate::scenario::values::PropertyValue;

/// librdkafka's own `auto.commit.interval.ms` default.
const LIBRDKAFKA_AUTO_COMMIT_INTERVAL: Duration = Duration::from_secs(5);

/// What a crowd member gets unless its actor says otherwise: what a member costs cut where the
/// group's behaviour does not depend on it (measured on kafka-local, docs: Crowds, measured).
/// Client telemetry (KIP-714, on by default) keeps eight HDR histograms for every broker a
/// member knows: 0.35 MB of a member's 0.6 at 10 partitions. librdkafka's prefetch limits stay
/// as they are: lower ones make a member with a backlog read in bursts a second apart.
const CROWD_MEMBER_DEFAULTS: [(&str, &str); 1] = [("enable.metrics.push", "false")];

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

impl Validator<'_> {
    /// The declared topics: at least one, each with at least one partition and one replica.
    pub(super) fn topics(&self) -> Result<Vec<TopicPlan>> {
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

    /// The declared actors (at least one), each with its properties merged over the defaults.
    pub(super) fn actors(&self, topics: &[TopicPlan]) -> Result<BTreeMap<String, ActorPlan>> {
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
            if let ActorSpec::Consumer(c) = spec
                && let Some(members) = c.members
            {
                for (member, plan) in self.crowd_members(name, members, c, topics)? {
                    actors.insert(member, ActorPlan::Consumer(plan));
                }
                continue;
            }
            let plan = match spec {
                ActorSpec::Consumer(c) => ActorPlan::Consumer(self.consumer(name, c, topics)?),
                ActorSpec::Producer(p) => ActorPlan::Producer(self.producer(name, p, topics)?),
                ActorSpec::Process(p) => ActorPlan::Process(self.process(name, p, topics)?),
            };
            actors.insert(name.clone(), plan);
        }
        Ok(actors)
    }

    /// A crowd's members, each a consumer alike, its `client.id` its own name unless the file
    /// gives one; none may share its name with another actor.
    fn crowd_members(
        &self,
        name: &str,
        members: u32,
        spec: &ConsumerSpec,
        topics: &[TopicPlan],
    ) -> Result<Vec<(String, ConsumerPlan)>> {
        let at = || path(&[&"actors", &name.to_owned(), &"consumer", &"members"]);
        if members == 0 {
            return Err(self.err(
                at(),
                false,
                "a crowd has at least one member",
                Some("leave `members` out for a single consumer".into()),
            ));
        }
        let mut plan = self.consumer(name, spec, topics)?;
        let names = member_names(name, members);
        if let Some(taken) = names.iter().find(|m| self.file.actors.contains_key(*m)) {
            return Err(self.err(
                at(),
                false,
                format!("`{taken}`, a member of crowd `{name}`, is also the name of an actor"),
                Some(format!("rename the actor `{taken}`")),
            ));
        }
        let own_id = plan.properties.get("client.id") != Some(name);
        for (key, value) in CROWD_MEMBER_DEFAULTS {
            plan.properties.set_default(key, value);
        }
        Ok(names
            .into_iter()
            .map(|member| {
                let mut plan = plan.clone();
                if !own_id {
                    plan.properties.set("client.id", &member);
                }
                (member, plan)
            })
            .collect())
    }

    /// `topic` must be one of the declared `topics`.
    pub(super) fn topic_exists(
        &self,
        topic: &str,
        topics: &[TopicPlan],
        at: Vec<PathSeg>,
    ) -> Result<()> {
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

    /// A consumer: its topics, group, commit mode, poll limit and group protocol.
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
        let auto_commit_written = properties.get("enable.auto.commit").map(|v| v == "true");
        let commit = match (spec.commit, auto_commit_written) {
            (Some(mode), Some(auto)) if (mode == CommitPolicy::Auto) != auto => {
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
            (None, Some(false)) => CommitPolicy::Never,
            (None, _) => CommitPolicy::Auto,
        };
        properties.set(
            "enable.auto.commit",
            (commit == CommitPolicy::Auto).to_string(),
        );
        let auto_commit_interval = (commit == CommitPolicy::Auto).then(|| {
            properties
                .get("auto.commit.interval.ms")
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
        properties: &Properties,
    ) -> Result<GroupProtocol> {
        let written = properties
            .get("group.protocol")
            .map(str::to_ascii_lowercase);
        if written.as_deref() != Some("consumer") {
            return Ok(GroupProtocol::Classic);
        }
        for (key, instead) in CLASSIC_ONLY_PROPERTIES {
            if properties.get(key).is_none() {
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

    /// A producer: its topic, keys and payload size.
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

    /// `key` or `keys` (not both, and `keys` not empty) of a producer or a `produce` step.
    pub(super) fn keys(
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
    pub(super) fn properties(
        &self,
        props: &BTreeMap<String, PropertyValue>,
        at: Vec<PathSeg>,
    ) -> Result<()> {
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
}

/// Scenario defaults, then the actor's own properties (the last layer that sets a key wins);
/// `client.id` defaults to the actor name so that range assignment follows actor-name order.
fn merge(
    defaults: &BTreeMap<String, PropertyValue>,
    own: &BTreeMap<String, PropertyValue>,
    actor: &str,
) -> Properties {
    let layer = |written: &BTreeMap<String, PropertyValue>| -> Properties {
        written
            .iter()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect()
    };
    let mut merged = Properties::layered([&layer(defaults), &layer(own)]);
    merged.set_default("client.id", actor);
    merged
}
