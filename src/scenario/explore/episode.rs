//! One drawn event: when it starts, what it does, and for a fault how long it lasts before it
//! is undone. Shrinking removes and simplifies whole episodes, so a fault and its undoing go
//! together.

use serde_yaml::{Mapping, Value};

use super::ground::Kind;

/// What an episode does when it starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Op {
    /// Crash a consumer; it is started again when the episode ends.
    Kill(String),
    /// Stop a consumer; it is started again when the episode ends.
    Stop(String),
    /// Freeze a consumer; it is thawed when the episode ends.
    Freeze(String),
    /// Cut a consumer's link; it is healed when the episode ends.
    Cut(String),
    /// Commit a consumer's positions (no end).
    Commit(String),
    /// A burst of this many records from a producer (no end).
    Produce {
        /// The producer.
        actor: String,
        /// Records in the burst.
        count: u64,
    },
    /// SIGKILL a broker; it is restarted when the episode ends.
    KillBroker(Broker),
    /// Stop a broker; it is restarted when the episode ends.
    StopBroker(Broker),
    /// SIGSTOP a broker; it is resumed when the episode ends.
    PauseBroker(Broker),
}

/// The broker a fault acts on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Broker {
    /// By node id.
    Node(i32),
    /// Whichever broker leads this partition (`topic/partition`) when the fault starts.
    LeaderOf(String),
}

impl Broker {
    /// The step argument that names it where the fault starts: a node id, or the role with
    /// the name its undoing uses.
    fn at_start(&self) -> Value {
        match self {
            Broker::Node(n) => (*n).into(),
            Broker::LeaderOf(partition) => {
                let mut role = Mapping::new();
                role.insert("leader".into(), partition.as_str().into());
                role.insert("as".into(), self.name().into());
                Value::Mapping(role)
            }
        }
    }

    /// The step argument that names it where the fault is undone.
    fn at_undo(&self) -> Value {
        match self {
            Broker::Node(n) => (*n).into(),
            Broker::LeaderOf(_) => self.name().into(),
        }
    }

    /// The name a role is remembered by: `leader-of-orders-0`.
    fn name(&self) -> String {
        match self {
            Broker::Node(n) => n.to_string(),
            Broker::LeaderOf(partition) => format!("leader-of-{}", partition.replace('/', "-")),
        }
    }

    /// In a few words: `3`, `leader of orders/0`.
    fn text(&self) -> String {
        match self {
            Broker::Node(n) => n.to_string(),
            Broker::LeaderOf(partition) => format!("leader of {partition}"),
        }
    }
}

/// One drawn event of a timeline.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Episode {
    /// When it starts, in milliseconds after the file's own timeline.
    pub at_ms: u64,
    /// What it does.
    pub op: Op,
    /// How long the fault lasts, in milliseconds; `None` for an event without an end.
    pub lasts_ms: Option<u64>,
}

impl Op {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            Op::Kill(_) => Kind::Kill,
            Op::Stop(_) => Kind::Stop,
            Op::Freeze(_) => Kind::Freeze,
            Op::Cut(_) => Kind::Cut,
            Op::Commit(_) => Kind::Commit,
            Op::Produce { .. } => Kind::Produce,
            Op::KillBroker(_) => Kind::KillBroker,
            Op::StopBroker(_) => Kind::StopBroker,
            Op::PauseBroker(_) => Kind::PauseBroker,
        }
    }

    /// The consumer it takes out of the group for a while, if it does.
    pub fn consumer(&self) -> Option<&str> {
        match self {
            Op::Kill(c) | Op::Stop(c) | Op::Freeze(c) | Op::Cut(c) => Some(c),
            _ => None,
        }
    }

    /// The broker it takes down for a while, if it does.
    pub fn broker(&self) -> Option<&Broker> {
        match self {
            Op::KillBroker(b) | Op::StopBroker(b) | Op::PauseBroker(b) => Some(b),
            _ => None,
        }
    }

    /// Whether it is a fault that lasts (and is undone), not an event of a moment.
    pub fn lasts(&self) -> bool {
        !matches!(self, Op::Commit(_) | Op::Produce { .. })
    }

    /// The timeline step that starts it.
    pub fn step(&self) -> Value {
        match self {
            Op::Kill(c) => step("kill", c.as_str().into()),
            Op::Stop(c) => step("stop", c.as_str().into()),
            Op::Freeze(c) => step("freeze", c.as_str().into()),
            Op::Cut(c) => {
                let mut link = Mapping::new();
                link.insert("actor".into(), c.as_str().into());
                link.insert("cut".into(), true.into());
                step("link", Value::Mapping(link))
            }
            Op::Commit(c) => step("commit", c.as_str().into()),
            Op::Produce { actor, count } => {
                let mut burst = Mapping::new();
                burst.insert("actor".into(), actor.as_str().into());
                burst.insert("count".into(), (*count).into());
                step("produce", Value::Mapping(burst))
            }
            Op::KillBroker(b) => step("kill-broker", b.at_start()),
            Op::StopBroker(b) => step("stop-broker", b.at_start()),
            Op::PauseBroker(b) => step("pause-broker", b.at_start()),
        }
    }

    /// The timeline step that undoes it, for a fault that lasts.
    pub fn undo_step(&self) -> Option<Value> {
        Some(match self {
            Op::Kill(c) | Op::Stop(c) => step("start", c.as_str().into()),
            Op::Freeze(c) => step("thaw", c.as_str().into()),
            Op::Cut(c) => step("link", c.as_str().into()),
            Op::KillBroker(b) | Op::StopBroker(b) => step("restart-broker", b.at_undo()),
            Op::PauseBroker(b) => step("resume-broker", b.at_undo()),
            Op::Commit(_) | Op::Produce { .. } => return None,
        })
    }

    /// A milder form of it, for shrinking: a stop instead of a kill, a controlled shutdown
    /// instead of a SIGKILL, half the burst.
    pub fn milder(&self) -> Option<Op> {
        match self {
            Op::Kill(c) => Some(Op::Stop(c.clone())),
            Op::KillBroker(b) => Some(Op::StopBroker(b.clone())),
            Op::Produce { actor, count } if *count > 1 => Some(Op::Produce {
                actor: actor.clone(),
                count: count.div_ceil(2),
            }),
            _ => None,
        }
    }

    /// The step, in a few words, for the runs' lines and the written file's header.
    pub fn text(&self) -> String {
        match self {
            Op::Kill(c) => format!("kill {c}"),
            Op::Stop(c) => format!("stop {c}"),
            Op::Freeze(c) => format!("freeze {c}"),
            Op::Cut(c) => format!("cut {c}"),
            Op::Commit(c) => format!("commit {c}"),
            Op::Produce { actor, count } => format!("produce {count} from {actor}"),
            Op::KillBroker(b) => format!("kill-broker {}", b.text()),
            Op::StopBroker(b) => format!("stop-broker {}", b.text()),
            Op::PauseBroker(b) => format!("pause-broker {}", b.text()),
        }
    }
}

impl Episode {
    /// When the fault is undone, in milliseconds after the file's own timeline.
    pub fn ends_ms(&self) -> Option<u64> {
        self.lasts_ms.map(|lasts| self.at_ms + lasts)
    }

    /// Whether the fault it starts is in force at `at_ms` (started, not yet undone).
    pub fn holds_at(&self, at_ms: u64) -> bool {
        self.at_ms <= at_ms && self.ends_ms().is_some_and(|end| at_ms < end)
    }
}

/// A one-key mapping, as the format writes a step: `{ kill: c1 }`.
fn step(name: &str, argument: Value) -> Value {
    let mut step = Mapping::new();
    step.insert(name.into(), argument);
    Value::Mapping(step)
}
