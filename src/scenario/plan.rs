//! The validated scenario: every name resolved, every default applied, every step known to be
//! possible. The runner executes a `Plan` and never sees the raw file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::model::{AssignmentDetail, CommitPolicy, Expectations};
use super::properties::Properties;
use super::source::SourceText;
use super::template::{Slot, Template};
use super::values::Rate;

/// A scenario file, validated: one plan per variant (a single plan when it declares none) and
/// the orderings between the variants' measurements, judged once they have all run.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The runs, in the order the variants are written.
    pub plans: Vec<Plan>,
    /// `smaller < larger` orderings from the file's `compare:` section.
    pub orderings: Vec<Ordering>,
}

/// One ordering a scenario states between two of its variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordering {
    /// What is compared.
    pub measure: Measure,
    /// The variant whose figure must be the smaller.
    pub smaller: String,
    /// The variant whose figure must be the larger.
    pub larger: String,
    /// Line of the ordering in the scenario file.
    pub line: usize,
}

/// A figure of one run that variants are compared on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Measure {
    /// Total time no member of any group consumed, over every rebalance.
    StopTheWorld,
    /// Total time members spent without partitions after a revocation, every member together.
    Paused,
    /// The longest any partition waited for its next owner's first record.
    LargestGap,
    /// The largest end-to-end latency of a record that waited through a rebalance.
    LargestLatency,
}

impl Measure {
    /// The key written in `compare:`.
    pub fn key(self) -> &'static str {
        match self {
            Measure::StopTheWorld => "stop-the-world",
            Measure::Paused => "paused",
            Measure::LargestGap => "largest-gap",
            Measure::LargestLatency => "largest-latency",
        }
    }
}

/// A scenario ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Scenario name.
    pub name: String,
    /// The variant this plan runs, when the scenario declares variants.
    pub variant: Option<Variant>,
    /// Free text describing the scenario.
    pub about: String,
    /// The file it came from.
    pub file: PathBuf,
    /// The file's text, so that a failed step points at its line the way a load error does.
    pub source: Arc<SourceText>,
    /// Brokers the scenario needs for itself (fault steps act on them).
    pub brokers: Option<BrokerSetup>,
    /// Topics to create, in name order.
    pub topics: Vec<TopicPlan>,
    /// Actors by name.
    pub actors: BTreeMap<String, ActorPlan>,
    /// The timeline.
    pub steps: Vec<PlannedStep>,
    /// Expectations checked after the timeline.
    pub final_expect: Option<Expectations>,
    /// What the Outcome's checkpoints show of each assignment.
    pub assignments: AssignmentDetail,
    /// Sets of consumers whose assignments are judged and shown as a set (`outcome.alike`).
    pub alike: Vec<BTreeSet<String>>,
    /// Crowd (a consumer with `members: N`) -> its members' names, in order: reports show a
    /// crowd's assignment summarised instead of member by member.
    pub crowds: BTreeMap<String, Vec<String>>,
    /// In a scenario with a `sweep:`, the size of its crowds in this run.
    pub sweep: Option<u32>,
    /// The seed that drew the members of the steps with `which: drawn`, when there are any:
    /// printed with the run, so that `--seed` draws them again.
    pub drawn_with: Option<u64>,
    /// What the target must be able to do for this scenario to run.
    pub needs: BTreeSet<Capability>,
    /// Values given on the command line (`--var NAME=VALUE`) for `{var.NAME}` placeholders.
    pub vars: BTreeMap<String, String>,
}

/// The variant a plan runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// Its name in `variants:`.
    pub name: String,
    /// What it shows.
    pub about: String,
}

impl Plan {
    /// The group an actor consumes in, when it is a consumer (a client or a process).
    pub fn group_of(&self, actor: &str) -> Option<&str> {
        self.actors.get(actor).and_then(ActorPlan::group)
    }

    /// The crowd `actor` is a member of, if any.
    pub fn crowd_of(&self, actor: &str) -> Option<&str> {
        // A member is named `crowd.N`, and a crowd's names sort in order (zero-padded numbers).
        let (crowd, _) = actor.rsplit_once('.')?;
        let (name, members) = self.crowds.get_key_value(crowd)?;
        members
            .binary_search_by(|m| m.as_str().cmp(actor))
            .ok()
            .map(|_| name.as_str())
    }

    /// The partitions of `topic` after the timeline's steps up to line `line` (all of them for
    /// `None`, the end): as created, then as grown.
    pub fn partitions_at(&self, topic: &str, line: Option<usize>) -> Option<i32> {
        let created = self.topics.iter().find(|t| t.name == topic)?.partitions;
        Some(
            self.steps
                .iter()
                .take_while(|step| line.is_none_or(|line| step.line <= line))
                .filter_map(|step| match &step.action {
                    Action::Grow {
                        topic: grown,
                        partitions,
                    } if grown == topic => Some(*partitions),
                    _ => None,
                })
                .last()
                .unwrap_or(created),
        )
    }

    /// The name in reports and snapshots: the scenario's, with `@variant` when it has one and
    /// `.size` (`@size` without variants) in a sweep (insta's convention for several snapshots
    /// of one test).
    pub fn label(&self) -> String {
        match (&self.variant, self.sweep) {
            (Some(variant), Some(size)) => format!("{}@{}.{size}", self.name, variant.name),
            (Some(variant), None) => format!("{}@{}", self.name, variant.name),
            (None, Some(size)) => format!("{}@{size}", self.name),
            (None, None) => self.name.clone(),
        }
    }

    /// The `{var.NAME}` placeholders its processes use that no `--var` gave a value: a plan
    /// with any is not runnable.
    pub fn missing_vars(&self) -> BTreeSet<&str> {
        self.actors
            .values()
            .filter_map(|a| match a {
                ActorPlan::Process(p) => Some(p.templates()),
                _ => None,
            })
            .flatten()
            .flat_map(Template::slots)
            .filter_map(|slot| match slot {
                Slot::Var(name) if !self.vars.contains_key(name) => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The set of alike consumers `actor` belongs to, if any.
    pub fn alike_set(&self, actor: &str) -> Option<&BTreeSet<String>> {
        self.alike.iter().find(|set| set.contains(actor))
    }

    /// Every consumer group, once each.
    pub fn groups(&self) -> impl Iterator<Item = &str> {
        let groups: std::collections::BTreeSet<&str> =
            self.actors.values().filter_map(ActorPlan::group).collect();
        groups.into_iter()
    }

    /// Whether the scenario states the number of rebalances of `group` (in an `await` or an
    /// `expect`), which makes it part of the Outcome: how many rebalances a group goes through
    /// depends on timing unless the scenario is written so that it does not.
    pub fn states_rebalances(&self, group: &str) -> bool {
        let stated = |e: &Expectations| e.rebalances.contains_key(group);
        self.final_expect.as_ref().is_some_and(stated)
            || self.steps.iter().any(|s| match &s.action {
                Action::Await(b) => b.rebalances.contains_key(group),
                Action::Expect(e) => stated(e),
                _ => false,
            })
    }

    /// Whether the timeline freezes this actor.
    pub fn freezes(&self, actor: &str) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(&s.action, Action::Freeze(a) if a == actor))
    }

    /// Whether the timeline changes this actor's link.
    pub fn links(&self, actor: &str) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(&s.action, Action::Link { actor: a, .. } if a == actor))
    }

    /// Whether this consumer reaches the cluster through a relay: a consumer the timeline
    /// freezes or whose link it changes must, and so does every other member of its group, so
    /// that all members reach
    /// the coordinator by the same path. A lone relayed member's SyncGroup tends to arrive
    /// after the leader's, which librdkafka's mock refuses with INVALID_REQUEST (Kafka does
    /// not), and the group then goes through rejoin rounds of seconds each.
    pub fn behind_relay(&self, actor: &str) -> bool {
        let Some(group) = self.group_of(actor) else {
            return false;
        };
        self.actors.keys().any(|other| {
            self.group_of(other) == Some(group) && (self.freezes(other) || self.links(other))
        })
    }
}

/// Something a target may or may not support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Capability {
    /// Adding partitions to an existing topic.
    CreatePartitions,
    /// Brokers started for one scenario, with its settings, which fault steps act on.
    OwnBrokers,
    /// The consumer group protocol of KIP-848 (`group.protocol: consumer`).
    ConsumerGroupProtocol,
    /// SASL credentials that process actors are handed (`{sasl.username}`...).
    SaslCredentials,
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Capability::CreatePartitions => "create-partitions",
            Capability::OwnBrokers => {
                "brokers of its own (a `brokers:` section and broker faults: use --cluster kafka-local)"
            }
            Capability::ConsumerGroupProtocol => {
                "the consumer group protocol of KIP-848 (`group.protocol: consumer`, Kafka 4.0 and later)"
            }
            Capability::SaslCredentials => {
                "SASL credentials to hand its processes (`--cluster kafka-local --scram`, or `-X sasl.username=... -X sasl.password=...`)"
            }
        })
    }
}

/// The brokers a scenario starts for itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerSetup {
    /// Number of brokers, node ids 1 to `count`.
    pub count: i32,
    /// Extra `server.properties` settings of every broker.
    pub config: Vec<(String, String)>,
}

/// A topic to create.
#[derive(Debug, Clone)]
pub struct TopicPlan {
    /// Name as written in the scenario.
    pub name: String,
    /// Partitions at creation.
    pub partitions: i32,
    /// Replication factor.
    pub replicas: i32,
    /// Topic configuration.
    pub config: Vec<(String, String)>,
}

/// A consumer or producer, with its librdkafka properties merged from defaults, or an external
/// program.
#[derive(Debug, Clone)]
pub enum ActorPlan {
    /// A consumer group member.
    Consumer(ConsumerPlan),
    /// A producer.
    Producer(ProducerPlan),
    /// An external program, a consumer or a producer observed through the broker.
    Process(ProcessPlan),
}

impl ActorPlan {
    /// The consumer group it belongs to, if it is a consumer of either kind.
    pub fn group(&self) -> Option<&str> {
        match self {
            ActorPlan::Consumer(c) => Some(&c.group),
            ActorPlan::Process(p) => match &p.role {
                ProcessRole::Consumer { group, .. } => Some(group),
                ProcessRole::Producer { .. } => None,
            },
            ActorPlan::Producer(_) => None,
        }
    }

    /// The topics it consumes, if it is a consumer of either kind.
    pub fn consumed_topics(&self) -> &[String] {
        match self {
            ActorPlan::Consumer(c) => &c.topics,
            ActorPlan::Process(ProcessPlan {
                role: ProcessRole::Consumer { topics, .. },
                ..
            }) => topics,
            _ => &[],
        }
    }

    /// The topic it writes to, if it is a producer of either kind.
    pub fn produced_topic(&self) -> Option<&str> {
        match self {
            ActorPlan::Producer(p) => Some(&p.topic),
            ActorPlan::Process(ProcessPlan {
                role: ProcessRole::Producer { topic },
                ..
            }) => Some(topic),
            _ => None,
        }
    }

    /// Whether it is an external program, whose client the harness does not see into.
    pub fn is_process(&self) -> bool {
        matches!(self, ActorPlan::Process(_))
    }
}

/// An external program on the timeline, its strings still holding the run's placeholders.
#[derive(Debug, Clone)]
pub struct ProcessPlan {
    /// The program and its arguments.
    pub command: Vec<Template>,
    /// Its working directory; its own fresh directory when `None`.
    pub dir: Option<Template>,
    /// Environment variables added to the harness's.
    pub env: Vec<(String, Template)>,
    /// Files written into its fresh directory before it starts.
    pub files: Vec<(String, Template)>,
    /// What the harness observes of it.
    pub role: ProcessRole,
    /// How its output reports a consumed record.
    pub prints: Option<RecordPrint>,
    /// It ends by itself: exiting with status 0 is its end, not a failure.
    pub exits: bool,
    /// How long it may take to exit after SIGINT before it is killed.
    pub grace: Duration,
}

impl ProcessPlan {
    /// Every template it holds.
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.command
            .iter()
            .chain(&self.dir)
            .chain(self.env.iter().map(|(_, t)| t))
            .chain(self.files.iter().map(|(_, t)| t))
    }
}

/// What a process is to the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessRole {
    /// A member of a consumer group.
    Consumer {
        /// The scenario's group name.
        group: String,
        /// The topics it subscribes to.
        topics: Vec<String>,
        /// The `client.id` it sets, if the scenario knows it.
        client_id: Option<String>,
    },
    /// A producer writing to one topic.
    Producer {
        /// The scenario's topic name.
        topic: String,
    },
}

/// How a process's standard output reports a record it consumed: one line, or a block of lines
/// in order (other lines may come between them), whose named groups give the record's `topic`,
/// `partition`, and its `offset` or its `value`.
#[derive(Debug, Clone)]
pub struct RecordPrint {
    /// The lines of one report, in order; a line matching the first begins a new report.
    pub lines: Vec<regex::Regex>,
    /// Whether a report names its record by offset or by value.
    pub names_by: NamedBy,
}

/// How a consumer's report names the record it consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedBy {
    /// Its offset in the partition (the course's kafka-python consumer).
    Offset,
    /// Its value, which the harness finds among the records a process producer wrote (the
    /// course's Spring Boot consumer prints no offset).
    Value,
}

/// A consumer actor.
#[derive(Debug, Clone)]
pub struct ConsumerPlan {
    /// Group id.
    pub group: String,
    /// Subscribed topics.
    pub topics: Vec<String>,
    /// Largest poll batch (emulated).
    pub max_poll_records: usize,
    /// How offsets are committed.
    pub commit: CommitPolicy,
    /// `auto.commit.interval.ms` in effect, when committing automatically.
    pub auto_commit_interval: Option<Duration>,
    /// Time spent on each polled record before the next poll.
    pub process: Duration,
    /// Which group protocol it speaks.
    pub protocol: GroupProtocol,
    /// librdkafka properties: scenario defaults, then the actor's own, `client.id` defaulting to
    /// the actor name.
    pub properties: Properties,
}

impl ConsumerPlan {
    /// Whether its rebalances are incremental (only what moves is revoked): under KIP-848, and
    /// under the classic protocol with the cooperative-sticky assignor (librdkafka's only
    /// cooperative one; it refuses to mix eager and cooperative assignors).
    pub fn incremental(&self) -> bool {
        self.protocol == GroupProtocol::Consumer
            || self
                .properties
                .get("partition.assignment.strategy")
                .is_some_and(|v| v.trim() == "cooperative-sticky")
    }
}

/// The consumer group protocol a consumer speaks (`group.protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupProtocol {
    /// JoinGroup and SyncGroup, the assignment computed by a member; the session and heartbeat
    /// timing are the client's.
    Classic,
    /// KIP-848's ConsumerGroupHeartbeat, the assignment computed by the broker; the session
    /// and heartbeat timing are the broker's.
    Consumer,
}

/// A producer actor.
#[derive(Debug, Clone)]
pub struct ProducerPlan {
    /// Destination topic.
    pub topic: String,
    /// Keys used when nothing else is said.
    pub keys: Keys,
    /// Records sent by `start`, or by `produce` without a count.
    pub count: Option<u64>,
    /// Pace of a started producer.
    pub rate: Option<Rate>,
    /// Payload size in bytes.
    pub payload: usize,
    /// librdkafka properties: scenario defaults, then the actor's own.
    pub properties: Properties,
}

/// Which keys records carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keys {
    /// No key: the partitioner chooses.
    None,
    /// The same key on every record.
    One(String),
    /// Keys in turn.
    Cycle(Vec<String>),
}

impl Keys {
    /// The key of the `seq`-th record.
    pub fn key_for(&self, seq: u64) -> Option<&str> {
        match self {
            Keys::None => None,
            Keys::One(key) => Some(key),
            Keys::Cycle(keys) => keys
                .get((seq % keys.len().max(1) as u64) as usize)
                .map(String::as_str),
        }
    }
}

/// One step, with where it was written so reports can point at it.
#[derive(Debug, Clone)]
pub struct PlannedStep {
    /// 0-based position in the file's timeline (the steps one step naming a crowd expands
    /// into share it).
    pub index: usize,
    /// Line in the scenario file.
    pub line: usize,
    /// A short rendering, e.g. `kill consumer2`.
    pub text: String,
    /// What to do.
    pub action: Action,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Start an actor.
    Start(String),
    /// Close an actor gracefully.
    Stop(String),
    /// Crash an actor.
    Kill(String),
    /// Commit a consumer's positions.
    Commit(String),
    /// Send records and wait until all are acknowledged.
    Produce(Burst),
    /// Wait.
    Sleep(Duration),
    /// Wait until this offset from the scenario start.
    At(Duration),
    /// Wait for a condition.
    Await(Barrier),
    /// Check expectations.
    Expect(Expectations),
    /// Add partitions.
    Grow {
        /// Topic name as written in the scenario.
        topic: String,
        /// New total.
        partitions: i32,
    },
    /// Change a consumer's processing time per record.
    Process {
        /// The consumer actor.
        actor: String,
        /// Time per record from now on.
        time: Duration,
    },
    /// Freeze a consumer (it runs behind a relay from its start).
    Freeze(String),
    /// Let a frozen consumer go on.
    Thaw(String),
    /// Change what the network does to a consumer's connections (it runs behind a relay from
    /// its start).
    Link {
        /// The consumer actor.
        actor: String,
        /// The link from now on.
        link: Link,
        /// Whether its open connections are reset first.
        reset: bool,
    },
    /// Do something to brokers.
    Fault(FaultStep),
}

/// What the network does to a consumer's connections, from a `link` step on; the default lets
/// everything through at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Link {
    /// Nothing passes either way; the connections stay open and what was sent waits.
    pub cut: bool,
    /// How long every request and answer is held, each way, in milliseconds.
    #[serde(rename = "latency_ms", serialize_with = "millis")]
    pub latency: Duration,
    /// Up to how much more or less, drawn per request and answer, in milliseconds.
    #[serde(rename = "jitter_ms", serialize_with = "millis")]
    pub jitter: Duration,
}

impl Link {
    /// Whether it lets everything through at once.
    pub fn is_healthy(&self) -> bool {
        *self == Link::default()
    }
}

impl std::fmt::Display for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.cut {
            return f.write_str("cut");
        }
        if self.latency.is_zero() && self.jitter.is_zero() {
            return f.write_str("healthy");
        }
        write!(f, "latency {}", humantime::format_duration(self.latency))?;
        if !self.jitter.is_zero() {
            write!(f, " ± {}", humantime::format_duration(self.jitter))?;
        }
        Ok(())
    }
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Action {
    /// For a start, stop, kill, freeze or thaw (the steps a step naming a crowd expands into,
    /// one per member): its word in the file and the actor it acts on.
    pub fn on_actor(&self) -> Option<(&'static str, &str)> {
        match self {
            Action::Start(actor) => Some(("start", actor)),
            Action::Stop(actor) => Some(("stop", actor)),
            Action::Kill(actor) => Some(("kill", actor)),
            Action::Freeze(actor) => Some(("freeze", actor)),
            Action::Thaw(actor) => Some(("thaw", actor)),
            _ => None,
        }
    }
}

/// What a fault step does to a broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// SIGKILL.
    Kill,
    /// SIGTERM, then wait for the exit (controlled shutdown).
    Stop,
    /// SIGSTOP.
    Pause,
    /// SIGCONT.
    Resume,
    /// Start again on the same data.
    Restart,
}

impl Fault {
    /// The past tense, for the terminal: `killed broker 2`.
    pub fn done(self) -> &'static str {
        match self {
            Fault::Kill => "killed",
            Fault::Stop => "stopped",
            Fault::Pause => "paused",
            Fault::Resume => "resumed",
            Fault::Restart => "restarted",
        }
    }

    /// The verb, as in the step's name (`kill-broker`).
    pub fn verb(self) -> &'static str {
        match self {
            Fault::Kill => "kill",
            Fault::Stop => "stop",
            Fault::Pause => "pause",
            Fault::Resume => "resume",
            Fault::Restart => "restart",
        }
    }
}

/// Which broker(s) a fault step acts on, resolved when the step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerRef {
    /// A node id.
    Node(i32),
    /// The active KRaft controller.
    Controller,
    /// The leader of a partition.
    LeaderOf(PartitionRef),
    /// Every replica of a partition but its leader.
    FollowersOf(PartitionRef),
    /// The broker(s) an earlier step named with `as`.
    Named(String),
}

/// A partition by its topic's scenario name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PartitionRef {
    /// Topic name as written in the scenario.
    pub topic: String,
    /// Partition number.
    pub partition: i32,
}

impl std::fmt::Display for PartitionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.topic, self.partition)
    }
}

/// A fault step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultStep {
    /// What to do.
    pub fault: Fault,
    /// To which broker(s).
    pub broker: BrokerRef,
    /// The name later steps may use for the same broker(s).
    pub name: Option<String>,
}

/// A foreground burst of records.
#[derive(Debug, Clone)]
pub struct Burst {
    /// Producer actor.
    pub actor: String,
    /// Number of records.
    pub count: u64,
    /// Keys.
    pub keys: Keys,
    /// Payload size.
    pub payload: usize,
}

/// A barrier's conditions, all of which must hold.
#[derive(Debug, Clone)]
pub struct Barrier {
    /// Groups that must be stable (resolved from `all` at validation time).
    pub stable_groups: Vec<String>,
    /// Groups that must have consumed every record acknowledged to their topics.
    pub drained_groups: Vec<String>,
    /// Actor -> total records consumed.
    pub consumed: BTreeMap<String, u64>,
    /// Actor -> total records acknowledged.
    pub produced: BTreeMap<String, u64>,
    /// Consumer -> times it left its group for exceeding `max.poll.interval.ms`.
    pub max_poll_exceeded: BTreeMap<String, u64>,
    /// Group -> rebalances so far, at least.
    pub rebalances: BTreeMap<String, u64>,
    /// Producer -> failed deliveries.
    pub failed: BTreeMap<String, u64>,
    /// Partition -> number of in-sync replicas wanted.
    pub isr: Vec<(PartitionRef, usize)>,
    /// Partitions whose leader must differ from the one before the last broker fault.
    pub leader_changed: Vec<PartitionRef>,
    /// Number of brokers that must be registered.
    pub brokers: Option<usize>,
    /// Process actors that must have ended by themselves.
    pub exited: Vec<String>,
    /// Give up after this long.
    pub timeout: Duration,
}

#[cfg(test)]
mod tests;
