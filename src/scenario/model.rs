//! The scenario file as written: plain data that serde reads from YAML.
//!
//! Nothing here is checked beyond its shape; `validate` turns it into a `Plan`.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use super::values::{BrokerRefSpec, Duration, MemberCount, PropertyValue, Rate, StringOrStruct};

pub mod explore;

pub use explore::{ExploreSpec, Invariant};

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Short identifier, used in reports and snapshot names.
    pub name: String,
    /// Free text: which course section this reproduces and what it expects.
    #[serde(default)]
    pub about: String,
    /// Brokers started for this scenario alone, which fault steps may stop, kill or pause.
    #[serde(default)]
    pub brokers: Option<BrokersSpec>,
    /// Topics the run creates before the first step.
    pub topics: BTreeMap<String, TopicSpec>,
    /// librdkafka properties applied to every consumer or producer unless an actor overrides them.
    #[serde(default)]
    pub defaults: Defaults,
    /// Named Kafka clients that the timeline starts, stops and kills.
    pub actors: BTreeMap<String, ActorSpec>,
    /// What happens, in order.
    pub timeline: Vec<Step>,
    /// Expectations checked once the timeline has finished.
    #[serde(default)]
    pub expect: Option<Expectations>,
    /// How the Outcome shows what it shows.
    #[serde(default)]
    pub outcome: OutcomeSpec,
    /// The same scenario under other client settings, e.g. one per rebalance protocol: each
    /// variant is a run of its own, with its own snapshot, in the order written.
    #[serde(default)]
    pub variants: IndexMap<String, VariantSpec>,
    /// Orderings between the variants' measurements, judged once all of them have run.
    #[serde(default)]
    pub compare: Option<CompareSpec>,
    /// Sizes every crowd of the file takes in turn: the scenario runs once per size (and per
    /// variant), `compare:` is judged at each size, and the report draws the figures against
    /// the size.
    #[serde(default)]
    pub sweep: Option<SweepSpec>,
    /// What `scenario-run explore` may do after the timeline: the events it draws at random,
    /// how often and how long, and the invariants every generated run must keep. A plain run
    /// of the file runs its timeline only.
    #[serde(default)]
    pub explore: Option<ExploreSpec>,
}

/// The sizes a scenario's crowds take, one run each.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Members of every crowd, e.g. `[10, 100, 1000]`.
    pub members: Vec<u32>,
    /// Topics created with as many partitions as the crowds have members, so that every member
    /// can own one at every size.
    #[serde(default)]
    pub partitions: Vec<String>,
}

/// How the Outcome shows a scenario's results.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeSpec {
    /// What a checkpoint shows of each consumer's assignment.
    #[serde(default)]
    pub assignments: AssignmentDetail,
    /// Sets of consumers the broker cannot tell apart: it orders their members by ids it draws
    /// at random (kafka-python's `kafka-python-2.0.2-<uuid>`), so which of them holds what
    /// varies from run to run. An expectation about them holds if it holds for some way of
    /// matching their names to what they held; the Outcome shows each set as one entry.
    #[serde(default)]
    pub alike: Vec<Vec<String>>,
}

/// What a checkpoint shows of each consumer's assignment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AssignmentDetail {
    /// Which partitions it held.
    #[default]
    Partitions,
    /// How many: for scenarios whose assignors hand out equal shares in an order the broker's
    /// member ids decide (the mock draws them at random; KIP-848 members draw UUIDs).
    Counts,
}

/// One variant: client properties laid over the scenario's `defaults`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    /// What this variant shows, for reports.
    #[serde(default)]
    pub about: String,
    /// Consumer properties that replace or add to `defaults.consumer`.
    #[serde(default)]
    pub consumer: BTreeMap<String, PropertyValue>,
    /// Producer properties that replace or add to `defaults.producer`.
    #[serde(default)]
    pub producer: BTreeMap<String, PropertyValue>,
}

/// Per measurement, orderings written `smaller < larger` between variant names, e.g.
/// `stop-the-world: [cooperative < eager]`. Only orderings: absolute times depend on the
/// machine, which variant pauses longer does not.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CompareSpec {
    /// Total time no member of any group consumed, over every rebalance of the run.
    #[serde(default)]
    pub stop_the_world: Vec<String>,
    /// Total time members spent without partitions after a revocation, all members together.
    #[serde(default)]
    pub paused: Vec<String>,
    /// The longest any partition waited for its next owner's first record.
    #[serde(default)]
    pub largest_gap: Vec<String>,
    /// The largest end-to-end latency of a record that waited through a rebalance.
    #[serde(default)]
    pub largest_latency: Vec<String>,
}

/// A topic to create.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    /// Number of partitions at creation.
    #[serde(default = "one")]
    pub partitions: i32,
    /// Replication factor.
    #[serde(default = "one")]
    pub replicas: i32,
    /// Topic-level configuration (retention.ms, min.insync.replicas, ...).
    #[serde(default)]
    pub config: BTreeMap<String, PropertyValue>,
}

fn one() -> i32 {
    1
}

/// The scenario's own brokers: how many, and settings for each broker's `server.properties`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrokersSpec {
    /// Number of brokers (node ids 1 to count).
    pub count: i32,
    /// Broker settings, e.g. `replica.lag.time.max.ms`.
    #[serde(default)]
    pub config: BTreeMap<String, PropertyValue>,
}

/// Default librdkafka properties per client kind.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Applied to every consumer actor.
    #[serde(default)]
    pub consumer: BTreeMap<String, PropertyValue>,
    /// Applied to every producer actor.
    #[serde(default)]
    pub producer: BTreeMap<String, PropertyValue>,
}

/// An actor is a consumer or a producer of the harness's own, or an external program.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum ActorSpec {
    /// A group member that subscribes to topics and polls.
    Consumer(ConsumerSpec),
    /// A producer of records carrying a harness id header.
    Producer(ProducerSpec),
    /// An external program (a course script, a Spring Boot jar), observed through the broker.
    Process(ProcessSpec),
}

/// An external program on the timeline. `start` spawns it, `stop` sends SIGINT (Ctrl+C),
/// `kill` SIGKILL. Every string may hold placeholders that only the run knows, e.g.
/// `{bootstrap}`, `{topic.orders}`, `{group.orders-cg}`, `{sasl.username}`, `{var.course}`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ProcessSpec {
    /// The program and its arguments.
    pub command: Vec<String>,
    /// Working directory; the actor's own fresh directory, where `files` are written, when
    /// absent.
    #[serde(default)]
    pub dir: Option<String>,
    /// Environment variables added to the harness's own.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// File name -> contents, written into the actor's fresh directory before it starts (the
    /// course's scripts read `./config.ini`).
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// What the harness observes of it as a consumer: its group and topics.
    #[serde(default)]
    pub consumer: Option<ProcessConsumerSpec>,
    /// What the harness observes of it as a producer: the topic it writes to.
    #[serde(default)]
    pub producer: Option<ProcessProducerSpec>,
    /// How its standard output reports a consumed record: `course` (the course's kafka-python
    /// line, `topic=%s partition=%d offset=%d: key=%s value=%s`), `course-spring` (the course's
    /// Spring Boot block: `Topic:`, `Partion:` and `Value:` lines, no offset), a regular
    /// expression for one line, or a list of them for a block of lines. Their named groups give
    /// `topic`, `partition`, and `offset` or `value`. Without it, what it consumed is not
    /// observed.
    #[serde(default)]
    pub prints: Option<PrintsSpec>,
    /// It ends by itself (a producer that sends its records and exits): exiting with status 0
    /// is then its end, not a failure.
    #[serde(default)]
    pub exits: bool,
    /// How long it may take to exit after `stop` (SIGINT) before it is killed; 10 s when absent.
    #[serde(default)]
    pub grace: Option<Duration>,
}

/// How a process reports a consumed record: a preset or pattern for one line, or patterns for
/// the lines of a block.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "`course`, `course-spring`, a regular expression, or a list of them (a line each)"
)]
pub enum PrintsSpec {
    /// A preset's name or one line's pattern.
    Line(String),
    /// One pattern per line of a block, in order.
    Block(Vec<String>),
}

/// A process consumer as the broker sees it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessConsumerSpec {
    /// Its consumer group (the scenario's name; placeholders hand the program the run's).
    pub group: String,
    /// The topics it subscribes to.
    pub topics: Vec<String>,
    /// The `client.id` it sets, which tells its member apart from the start; without it, its
    /// member is the one that joins the group after it started.
    #[serde(rename = "client.id", default)]
    pub client_id: Option<String>,
}

/// A process producer as the broker sees it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessProducerSpec {
    /// The topic it writes to.
    pub topic: String,
}

/// How a consumer commits offsets (`commit:` in the file); librdkafka's own `CommitMode` (sync or
/// async) is a different thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CommitPolicy {
    /// librdkafka's auto commit on a timer (`auto.commit.interval.ms`), as kafka-python's default.
    Auto,
    /// A synchronous commit after every record, as the course's manual-commit consumer.
    PerRecord,
    /// A synchronous commit after every poll batch.
    PerPoll,
    /// Never commit.
    Never,
}

/// A consumer actor; any key not named here is passed to librdkafka as a property.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ConsumerSpec {
    /// Consumer group id.
    pub group: String,
    /// A crowd: this many consumers of the group, alike, named after the actor and their number
    /// (`workers.01` to `workers.40`); steps naming the actor act on its members.
    #[serde(default)]
    pub members: Option<u32>,
    /// Topics to subscribe to.
    pub topics: Vec<String>,
    /// Largest number of records one poll returns (kafka-python / Java semantics, emulated).
    #[serde(rename = "max.poll.records", default)]
    pub max_poll_records: Option<u32>,
    /// Commit strategy; `auto` when absent.
    #[serde(default)]
    pub commit: Option<CommitPolicy>,
    /// Time spent on each record after a poll returned it, as a slow handler does: the next
    /// poll waits for it, heartbeats go on.
    #[serde(default)]
    pub process: Option<Duration>,
    /// Every other key: a librdkafka consumer property.
    #[serde(flatten)]
    pub properties: BTreeMap<String, PropertyValue>,
}

/// A producer actor; any key not named here is passed to librdkafka as a property.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ProducerSpec {
    /// Topic the records go to.
    pub topic: String,
    /// One key for every record.
    #[serde(default)]
    pub key: Option<String>,
    /// Keys used in turn, record after record.
    #[serde(default)]
    pub keys: Option<Vec<String>>,
    /// Records sent when the actor is started or used by `produce` without a count.
    #[serde(default)]
    pub count: Option<u64>,
    /// Pace of a started producer, e.g. `1/s`; without it a started producer sends as fast as it can.
    #[serde(default)]
    pub rate: Option<Rate>,
    /// Payload size in bytes.
    #[serde(default)]
    pub payload: Option<usize>,
    /// Every other key: a librdkafka producer property.
    #[serde(flatten)]
    pub properties: BTreeMap<String, PropertyValue>,
}

/// One timeline step.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step {
    /// Start an actor (a consumer joins its group; a producer begins sending in the background);
    /// a crowd's name starts every member not running, `{ actor, members: k }` the next k.
    Start(StringOrStruct<ActorStep>),
    /// Graceful close: a consumer leaves its group after its final commit; a producer flushes.
    /// A crowd's name stops every running member, `{ actor, members: k, which }` k of them.
    Stop(StringOrStruct<ActorStep>),
    /// Crash: no LeaveGroup, no final commit, nothing flushed (a crowd's members as for `stop`).
    Kill(StringOrStruct<ActorStep>),
    /// Commit a running consumer's current positions now, as kafka-python's and Java's
    /// `commit()` do (librdkafka on its own commits only offsets of consumed records).
    Commit(String),
    /// A foreground burst: the step ends when every record is acknowledged.
    Produce(StringOrStruct<ProduceStep>),
    /// Wait this long.
    Sleep(Duration),
    /// Wait until this long after the scenario started.
    At(Duration),
    /// Wait for a condition, with a timeout.
    Await(StringOrStruct<AwaitStep>),
    /// Check expectations now.
    Expect(Expectations),
    /// Add partitions to a topic.
    Grow(GrowStep),
    /// Change a consumer's processing time per record from now on.
    Process(ProcessStep),
    /// Freeze a running consumer entirely, as SIGSTOP freezes a process: no poll and no byte
    /// to or from the cluster (heartbeats included), and no LeaveGroup (a crowd's members as
    /// for `stop`).
    Freeze(StringOrStruct<ActorStep>),
    /// Let a frozen consumer go on (a crowd's name: every frozen member).
    Thaw(StringOrStruct<ActorStep>),
    /// What the network does to a consumer's connections from now on, until its next `link`
    /// step (`link: c1` alone heals it): cut (nothing passes, connections stay open), slowed
    /// by latency, or reset. The consumer itself goes on polling, unlike a frozen one.
    Link(StringOrStruct<LinkStep>),
    /// SIGKILL a broker: no controlled shutdown, its leadership lost after the broker session
    /// timeout.
    KillBroker(BrokerRefSpec),
    /// SIGTERM a broker and wait for it to exit: controlled shutdown moves leadership first.
    StopBroker(BrokerRefSpec),
    /// SIGSTOP a broker: a long GC pause; it holds its connections and answers nothing.
    PauseBroker(BrokerRefSpec),
    /// SIGCONT a paused broker.
    ResumeBroker(BrokerRefSpec),
    /// Start a stopped or killed broker again on its own data.
    RestartBroker(BrokerRefSpec),
}

/// The actor a `start`, `stop`, `kill`, `freeze` or `thaw` step acts on: a name alone, or a
/// crowd and how many of its members.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActorStep {
    /// The actor, or a crowd (a consumer with `members:`).
    pub actor: String,
    /// With a crowd: how many of its members (a count, or a share of the crowd such as `25%`);
    /// all that the step can act on when absent.
    #[serde(default)]
    pub members: Option<MemberCount>,
    /// With a crowd: which running members a `stop`, `kill` or `freeze` takes, `oldest` (the
    /// first started, the default), `newest`, or `drawn` with the run's seed; a `start` always
    /// takes the next members in order.
    #[serde(default)]
    pub which: Option<Which>,
}

impl From<String> for ActorStep {
    fn from(actor: String) -> Self {
        ActorStep {
            actor,
            ..ActorStep::default()
        }
    }
}

/// Which members of a crowd a step takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Which {
    /// Those started first.
    Oldest,
    /// Those started last.
    Newest,
    /// Drawn at random with the run's seed (`--seed`, printed with the run), so that the same
    /// seed draws the same members again.
    Drawn,
}

/// A `link` step: the whole state of a consumer's network link from now on; what it leaves
/// out is healthy.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkStep {
    /// The consumer (of the harness's own) whose connections to the cluster change.
    pub actor: String,
    /// Nothing passes either way, heartbeats included, as in a network partition: the
    /// connections stay open and what was sent waits, as TCP retransmits it, until the link
    /// is healed. The consumer goes on polling what it holds: a zombie once its group moves on.
    #[serde(default)]
    pub cut: bool,
    /// Every request and answer is held this long on its way, each way.
    #[serde(default)]
    pub latency: Option<Duration>,
    /// Up to this much more or less latency, drawn for each request and answer (never
    /// reordering them).
    #[serde(default)]
    pub jitter: Option<Duration>,
    /// First reset every open connection (a TCP reset to both ends), as a firewall or NAT that
    /// forgets its connections does; the client connects again.
    #[serde(default)]
    pub reset: bool,
}

impl From<String> for LinkStep {
    fn from(actor: String) -> Self {
        LinkStep {
            actor,
            ..LinkStep::default()
        }
    }
}

/// A consumer's new processing time per record.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessStep {
    /// The consumer actor.
    pub actor: String,
    /// Time per record; `0s` makes it fast again.
    pub time: Duration,
}

/// A foreground burst.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProduceStep {
    /// The producer actor that sends.
    pub actor: String,
    /// Number of records; the actor's `count`, else 1.
    #[serde(default)]
    pub count: Option<u64>,
    /// One key for every record of this burst.
    #[serde(default)]
    pub key: Option<String>,
    /// Keys used in turn.
    #[serde(default)]
    pub keys: Option<Vec<String>>,
    /// Payload size in bytes.
    #[serde(default)]
    pub payload: Option<usize>,
}

impl From<String> for ProduceStep {
    fn from(actor: String) -> Self {
        ProduceStep {
            actor,
            ..ProduceStep::default()
        }
    }
}

/// A barrier: wait until every listed condition holds, or fail after `timeout`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwaitStep {
    /// Groups that must be stable; `all` (or `stable` written alone) means every group with running members.
    #[serde(default)]
    pub stable: Option<StableTarget>,
    /// Groups that must have consumed every record acknowledged to their topics so far.
    #[serde(default)]
    pub drained: Option<StableTarget>,
    /// Actor -> number of records it must have consumed in total.
    #[serde(default)]
    pub consumed: BTreeMap<String, u64>,
    /// Actor -> number of records it must have had acknowledged in total.
    #[serde(default)]
    pub produced: BTreeMap<String, u64>,
    /// Consumer -> times it must have left its group for exceeding `max.poll.interval.ms`.
    #[serde(default)]
    pub max_poll_exceeded: BTreeMap<String, u64>,
    /// Group -> rebalances it must have gone through (the first join counts), at least.
    #[serde(default)]
    pub rebalances: BTreeMap<String, u64>,
    /// Producer -> number of records whose delivery it must have seen fail.
    #[serde(default)]
    pub failed: BTreeMap<String, u64>,
    /// `topic/partition` -> `full` (every replica in sync) or the exact number of in-sync replicas.
    #[serde(default)]
    pub isr: BTreeMap<String, IsrWanted>,
    /// `topic/partition`s whose leader must differ from the one before the last broker fault.
    #[serde(default)]
    pub leader_changed: Vec<String>,
    /// `all`: every broker of the scenario registered with the controller (or an exact number).
    #[serde(default)]
    pub brokers: Option<BrokersWanted>,
    /// Process actors that must have ended by themselves (`exits: true`), with status 0.
    #[serde(default)]
    pub exited: Vec<String>,
    /// How long to wait before failing.
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// A single word other than `stable`, kept so validation can say what was meant.
    #[serde(skip)]
    pub unknown_word: Option<String>,
}

/// How many replicas of a partition an `await` wants in sync.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum IsrWanted {
    /// `full`: as many as the topic has replicas.
    Word(String),
    /// Exactly this many.
    Count(usize),
}

/// How many brokers an `await` wants registered.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum BrokersWanted {
    /// `all`.
    Word(String),
    /// Exactly this many.
    Count(usize),
}

/// Which groups a `stable` barrier waits for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum StableTarget {
    /// `all`, or a single group name.
    One(String),
    /// Several group names.
    Many(Vec<String>),
}

impl From<String> for AwaitStep {
    fn from(word: String) -> Self {
        if word == "stable" {
            AwaitStep {
                stable: Some(StableTarget::One("all".to_owned())),
                ..AwaitStep::default()
            }
        } else {
            AwaitStep {
                unknown_word: Some(word),
                ..AwaitStep::default()
            }
        }
    }
}

/// Add partitions to an existing topic.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrowStep {
    /// The topic to grow.
    pub topic: String,
    /// The new total number of partitions.
    pub partitions: i32,
}

/// What the outcome must contain, inline or at the end.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// Actor -> partitions it holds now (a list when it subscribes to one topic, else topic -> list).
    #[serde(default)]
    pub assignment: BTreeMap<String, AssignmentExpect>,
    /// Actor -> records consumed so far (re-deliveries included).
    #[serde(default)]
    pub consumed: BTreeMap<String, u64>,
    /// Actor -> records acknowledged so far.
    #[serde(default)]
    pub produced: BTreeMap<String, u64>,
    /// Group -> topic -> partition -> committed offset.
    #[serde(default)]
    pub committed: BTreeMap<String, BTreeMap<String, BTreeMap<i32, i64>>>,
    /// Records consumed more than once, summed over groups.
    #[serde(default)]
    pub duplicates: Option<u64>,
    /// Records acknowledged but never consumed by a group that subscribes to their topic, summed over groups.
    #[serde(default)]
    pub lost: Option<u64>,
    /// Topic -> key -> the partition every record with that key went to, or every partition
    /// its records reached (a key moves when its topic grows).
    #[serde(default)]
    pub keys: BTreeMap<String, BTreeMap<String, KeyPartitions>>,
    /// Topic -> partitions that unkeyed records went to.
    #[serde(default)]
    pub unkeyed: BTreeMap<String, Vec<i32>>,
    /// Actor -> the largest number of records one poll returned.
    #[serde(default)]
    pub max_poll_batch: BTreeMap<String, u64>,
    /// Consumer -> times it left its group for exceeding `max.poll.interval.ms`.
    #[serde(default)]
    pub max_poll_exceeded: BTreeMap<String, u64>,
    /// Group -> rebalances its members saw (the first join counts).
    #[serde(default)]
    pub rebalances: BTreeMap<String, u64>,
    /// Producer -> what the topic holds of its records, read back after the run (scenarios
    /// with their own `brokers:` only).
    #[serde(default)]
    pub durability: BTreeMap<String, DurabilityExpect>,
    /// Properties that must hold over the whole run, each named (`lost-acknowledged`,
    /// `offset-reused`, `committed-went-back`, `read-backwards`, `two-owners`): what
    /// `scenario-run explore`
    /// writes into the files it generates and shrinks.
    #[serde(default)]
    pub invariants: Vec<Invariant>,
}

/// Expected durability figures of one producer; only the ones given are checked.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DurabilityExpect {
    /// Acknowledged records absent from the topic.
    #[serde(default)]
    pub lost: Option<u64>,
    /// Records stored more than once (copies beyond the first).
    #[serde(default)]
    pub duplicated: Option<u64>,
    /// Records whose delivery failed.
    #[serde(default)]
    pub failed: Option<u64>,
}

/// Where an expected key's records went.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum KeyPartitions {
    /// Every record of the key on this partition.
    One(i32),
    /// Exactly these partitions, each reached by some record of the key.
    Several(Vec<i32>),
}

impl KeyPartitions {
    /// The partitions, sorted and without repeats.
    pub fn sorted(&self) -> Vec<i32> {
        let mut partitions = match self {
            KeyPartitions::One(partition) => vec![*partition],
            KeyPartitions::Several(partitions) => partitions.clone(),
        };
        partitions.sort_unstable();
        partitions.dedup();
        partitions
    }
}

/// Expected assignment of one actor, or of a crowd as a whole.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum AssignmentExpect {
    /// Partitions of the actor's only topic.
    Partitions(Vec<i32>),
    /// Topic -> partitions.
    PerTopic(BTreeMap<String, Vec<i32>>),
    /// A crowd's assignment as the Outcome summarises it.
    Crowd(CrowdExpect),
}

/// A crowd's assignment as the Outcome summarises it; only the keys given are checked.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrowdExpect {
    /// Members running.
    #[serde(default)]
    pub members: Option<u64>,
    /// Partitions held -> members holding that many, every count that occurs:
    /// `{ none: 2, 1 partition: 6 }` (as the Outcome writes it) or `{ 0: 2, 1: 6 }`.
    #[serde(default)]
    pub members_holding: Option<BTreeMap<String, u64>>,
    /// Members between a revocation and their next assignment.
    #[serde(default)]
    pub rebalancing: Option<u64>,
    /// Members frozen.
    #[serde(default)]
    pub frozen: Option<u64>,
    /// Partitions of the crowd's topics that no running member of its group holds.
    #[serde(default)]
    pub unowned: Option<u64>,
}

impl CrowdExpect {
    /// A `members_holding` key as a number of partitions: `none`, `1 partition`,
    /// `3 partitions`, or the number alone.
    pub fn partitions_of(key: &str) -> Option<usize> {
        let key = key.trim();
        if key == "none" {
            return Some(0);
        }
        let number = key
            .strip_suffix(" partitions")
            .or_else(|| key.strip_suffix(" partition"))
            .unwrap_or(key);
        number.trim().parse().ok()
    }
}
