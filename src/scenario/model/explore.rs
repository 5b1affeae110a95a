//! The `explore:` section as written: which events `scenario-run explore` may draw after the
//! file's own timeline, and the invariants every generated run is judged by.

use schemars::JsonSchema;
use serde::Deserialize;

use super::super::values::Duration;

/// Each heal barrier's timeout when the section does not say, in milliseconds.
pub const DEFAULT_HEAL_MS: u64 = 60_000;

/// What `scenario-run explore` may do after the file's timeline, which it runs first as it is
/// (start the actors, await a stable group). Each run draws `steps` events from `events`, with
/// its own seed, then heals: every fault undone, every broker back and in sync, the groups
/// stable and drained, each within `heal`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExploreSpec {
    /// Events drawn per run; 10 when absent.
    #[serde(default)]
    pub steps: Option<u32>,
    /// Time between two drawn events; 200ms to 2s when absent.
    #[serde(default)]
    pub gap: Option<DurationRange>,
    /// How long a fault (a consumer killed, stopped or frozen, a broker killed, stopped or
    /// paused) lasts before it is undone; 1s to 8s when absent.
    #[serde(default)]
    pub lasting: Option<DurationRange>,
    /// Brokers down (killed, stopped or paused) at once, at most; 1 when absent. Fewer than the
    /// brokers, and at most the fewest replicas of a topic less one for the runs to keep what
    /// the settings promise.
    #[serde(default)]
    pub brokers_down: Option<u32>,
    /// How long the heal may take for each of its barriers (brokers back and in sync, groups
    /// stable, groups drained); 60s when absent.
    #[serde(default)]
    pub heal: Option<Duration>,
    /// The events to draw from.
    pub events: ExploreEvents,
    /// Invariants every run must keep, judged over the whole run.
    #[serde(default)]
    pub invariants: Vec<Invariant>,
}

/// The events `explore` draws from; each one absent is never drawn.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExploreEvents {
    /// Crash one of these consumers, and start it again after `lasting`.
    #[serde(default)]
    pub kill: Option<ActorEvent>,
    /// Stop one of these consumers gracefully, and start it again after `lasting`.
    #[serde(default)]
    pub stop: Option<ActorEvent>,
    /// Freeze one of these consumers, and thaw it after `lasting`.
    #[serde(default)]
    pub freeze: Option<ActorEvent>,
    /// Cut the network link of one of these consumers, and heal it after `lasting`: the
    /// zombie, which goes on polling while its group moves on.
    #[serde(default)]
    pub cut: Option<ActorEvent>,
    /// Commit the positions of one of these consumers now.
    #[serde(default)]
    pub commit: Option<ActorEvent>,
    /// A burst from one of these producers, of a drawn number of records.
    #[serde(default)]
    pub produce: Option<ProduceEvent>,
    /// SIGKILL a broker, and restart it after `lasting`.
    #[serde(default)]
    pub kill_broker: Option<BrokerEvent>,
    /// Stop a broker (controlled shutdown), and restart it after `lasting`.
    #[serde(default)]
    pub stop_broker: Option<BrokerEvent>,
    /// SIGSTOP a broker, and resume it after `lasting`.
    #[serde(default)]
    pub pause_broker: Option<BrokerEvent>,
}

/// An event that acts on one of some actors.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActorEvent {
    /// The actors it may act on (consumers of the harness's own, not crowds).
    pub actors: Vec<String>,
    /// How often it is drawn against the other events; 1 when absent.
    #[serde(default)]
    pub weight: Option<u32>,
}

/// A burst from one of some producers.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProduceEvent {
    /// The producers it may use (producers of the harness's own).
    pub actors: Vec<String>,
    /// How often it is drawn against the other events; 1 when absent.
    #[serde(default)]
    pub weight: Option<u32>,
    /// Records per burst; 1 to 100 when absent.
    #[serde(default)]
    pub count: Option<CountRange>,
}

/// A fault on one broker of the scenario's own.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrokerEvent {
    /// The node ids it may act on; every broker when absent (and `leaders` is absent too).
    #[serde(default)]
    pub nodes: Option<Vec<i32>>,
    /// Partitions (`topic/partition`) whose leader, whichever broker that is when the event
    /// happens, it may act on: a new run creates its topics anew, so a node id names a
    /// leader in some runs only. Needs `brokers-down: 1`.
    #[serde(default)]
    pub leaders: Option<Vec<String>>,
    /// How often it is drawn against the other events; 1 when absent.
    #[serde(default)]
    pub weight: Option<u32>,
}

/// Durations drawn evenly between two bounds, both included, in steps of 100 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DurationRange {
    /// The shortest.
    pub min: Duration,
    /// The longest.
    pub max: Duration,
}

/// Numbers drawn evenly between two bounds, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CountRange {
    /// The fewest.
    pub min: u64,
    /// The most.
    pub max: u64,
}

/// A property judged over a whole run; each rests on a guarantee that the docs name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Invariant {
    /// No record a producer saw acknowledged is missing when the topics are read back after
    /// the run (what `acks: all` promises with `min.insync.replicas` of 2 or more and no
    /// unclean leader election); scenarios with their own `brokers:` only.
    LostAcknowledged,
    /// No offset of a partition was read holding two different records, by any consumer.
    OffsetReused,
    /// No group's committed offset of a partition went back, as the commits the broker
    /// accepted show them in order.
    CommittedWentBack,
    /// No consumer read an offset of a partition at or below one it read before without a
    /// rebalance in between.
    ReadBackwards,
    /// No partition was held by two members of a group by assignments of their own at once:
    /// when a member is assigned a partition another member still holds, that other member
    /// gives it back (revoked, released, told it was lost, stopped or crashed) before it is
    /// assigned anything again; until then its revocation is in progress.
    TwoOwners,
}

impl Invariant {
    /// Every invariant, in the order the docs list them.
    pub const ALL: [Invariant; 5] = [
        Invariant::LostAcknowledged,
        Invariant::OffsetReused,
        Invariant::CommittedWentBack,
        Invariant::ReadBackwards,
        Invariant::TwoOwners,
    ];

    /// Its name as the format writes it.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::LostAcknowledged => "lost-acknowledged",
            Invariant::OffsetReused => "offset-reused",
            Invariant::CommittedWentBack => "committed-went-back",
            Invariant::ReadBackwards => "read-backwards",
            Invariant::TwoOwners => "two-owners",
        }
    }
}
