//! What a file's `explore:` section offers, read once: the actors and brokers events may act
//! on, what runs when the file's own timeline ends, and the bounds of every draw.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::scenario::load::{LoadError, load_str};
use crate::scenario::model::{ExploreSpec, Invariant, ScenarioFile, Step};
use crate::scenario::parse::parse;
use crate::scenario::source::SourceText;

/// Events drawn per run when the section does not say.
pub const DEFAULT_STEPS: u32 = 10;
/// Time between two drawn events when the section does not say, in milliseconds.
pub const DEFAULT_GAP_MS: (u64, u64) = (200, 2_000);
/// How long a fault lasts when the section does not say, in milliseconds.
pub const DEFAULT_LASTING_MS: (u64, u64) = (1_000, 8_000);
/// Records per burst when the section does not say.
pub const DEFAULT_BURST: (u64, u64) = (1, 100);
pub use crate::scenario::model::explore::DEFAULT_HEAL_MS;

/// Which kind of event, for weights and for the runs' summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Crash a consumer, start it again later.
    Kill,
    /// Stop a consumer, start it again later.
    Stop,
    /// Freeze a consumer, thaw it later.
    Freeze,
    /// Cut a consumer's link, heal it later.
    Cut,
    /// Commit a consumer's positions.
    Commit,
    /// A burst from a producer.
    Produce,
    /// SIGKILL a broker, restart it later.
    KillBroker,
    /// Stop a broker, restart it later.
    StopBroker,
    /// SIGSTOP a broker, resume it later.
    PauseBroker,
}

/// One kind of event the section allows: how often, and on what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    /// The kind.
    pub kind: Kind,
    /// How often it is drawn against the others.
    pub weight: u32,
    /// The actors it may act on (consumer or producer events).
    pub actors: Vec<String>,
    /// The brokers it may act on (broker events), by node id.
    pub nodes: Vec<i32>,
    /// The partitions whose leader it may act on (broker events).
    pub leaders: Vec<String>,
}

/// Everything the draw and the writer need from a file with an `explore:` section.
#[derive(Debug, Clone)]
pub struct Ground {
    /// The file, for messages and for the loader's errors.
    pub file: PathBuf,
    /// The scenario's name.
    pub name: String,
    /// The file as a YAML mapping, its `explore:` removed: what every written file starts from.
    pub document: serde_yaml::Mapping,
    /// The events allowed, in the order of the format.
    pub allowed: Vec<Allowed>,
    /// Events drawn per run.
    pub steps: u32,
    /// Time between two events, milliseconds, both bounds included.
    pub gap_ms: (u64, u64),
    /// How long a fault lasts, milliseconds, both bounds included.
    pub lasting_ms: (u64, u64),
    /// Records per burst, both bounds included.
    pub burst: (u64, u64),
    /// Brokers down at once, at most.
    pub brokers_down: u32,
    /// Each heal barrier's timeout, milliseconds.
    pub heal_ms: u64,
    /// The invariants every run is judged by.
    pub invariants: Vec<Invariant>,
    /// The scenario's own brokers, by node id (none without `brokers:`).
    pub brokers: Vec<i32>,
    /// Every partition of the file's topics, `topic/partition`.
    pub partitions: Vec<String>,
    /// Consumers running (and not frozen) when the file's timeline ends: the only ones an event
    /// may act on.
    pub consumers_running: BTreeSet<String>,
    /// Producers running in the background when the file's timeline ends: the heal stops them.
    pub producers_running: BTreeSet<String>,
    /// Whether any consumer runs when the file's timeline ends: the heal awaits the groups.
    pub any_consumer_running: bool,
    /// Whether the file has producers at all: the heal awaits the groups drained.
    pub any_producer: bool,
}

impl Ground {
    /// The names of the file's variants, in order (none without `variants:`).
    pub fn variants(&self) -> Vec<String> {
        match self.document.get("variants") {
            Some(serde_yaml::Value::Mapping(variants)) => variants
                .keys()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The same, with only the variant `name` of the file's variants: what a timeline that
    /// broke an invariant under one variant is shrunk and kept with.
    pub fn with_variant(&self, name: &str) -> Ground {
        let mut ground = self.clone();
        if let Some(serde_yaml::Value::Mapping(variants)) = ground.document.get_mut("variants") {
            variants.retain(|key, _| key.as_str() == Some(name));
        }
        // Orderings name the other variants, which are gone.
        ground.document.remove("compare");
        ground
    }
}

/// Why a file cannot be explored.
#[derive(Debug, thiserror::Error)]
pub enum GroundError {
    /// The file does not load.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The file loads but has no `explore:` section.
    #[error("{file} has no `explore:` section: nothing says what explore may draw")]
    NoSection {
        /// The file.
        file: String,
    },
    /// The file's text is not a YAML mapping (the loader would have said so first).
    #[error("{file} is not a YAML mapping: {why}")]
    NotAMapping {
        /// The file.
        file: String,
        /// What serde_yaml said.
        why: String,
    },
}

/// Reads a file with an `explore:` section: validated by the loader first, so that every
/// name the section uses exists and every bound makes sense.
pub fn ground(file: &Path, text: &str) -> Result<Ground, GroundError> {
    load_str(file, text.to_owned())?;
    let source = SourceText::new(file, text.to_owned());
    let parsed = parse(&source).map_err(|e| GroundError::Load(LoadError::Invalid(e)))?;
    let Some(spec) = parsed.explore.clone() else {
        return Err(GroundError::NoSection {
            file: file.display().to_string(),
        });
    };
    let mut document: serde_yaml::Mapping =
        serde_yaml::from_str(text).map_err(|e| GroundError::NotAMapping {
            file: file.display().to_string(),
            why: e.to_string(),
        })?;
    document.remove("explore");
    Ok(from_parts(file, &parsed, &spec, document))
}

fn from_parts(
    file: &Path,
    parsed: &ScenarioFile,
    spec: &ExploreSpec,
    document: serde_yaml::Mapping,
) -> Ground {
    let brokers: Vec<i32> = parsed
        .brokers
        .as_ref()
        .map_or_else(Vec::new, |b| (1..=b.count).collect());
    let (consumers_running, producers_running, any_consumer_running) = after_timeline(parsed);
    let ms =
        |d: crate::scenario::values::Duration| u64::try_from(d.0.as_millis()).unwrap_or(u64::MAX);
    let range = |r: Option<crate::scenario::model::explore::DurationRange>, default| {
        r.map_or(default, |r| (ms(r.min), ms(r.max)))
    };
    let events = &spec.events;
    let mut allowed = Vec::new();
    for (kind, event) in [
        (Kind::Kill, &events.kill),
        (Kind::Stop, &events.stop),
        (Kind::Freeze, &events.freeze),
        (Kind::Cut, &events.cut),
        (Kind::Commit, &events.commit),
    ] {
        if let Some(event) = event {
            allowed.push(Allowed {
                kind,
                weight: event.weight.unwrap_or(1),
                actors: event.actors.clone(),
                nodes: Vec::new(),
                leaders: Vec::new(),
            });
        }
    }
    if let Some(produce) = &events.produce {
        allowed.push(Allowed {
            kind: Kind::Produce,
            weight: produce.weight.unwrap_or(1),
            actors: produce.actors.clone(),
            nodes: Vec::new(),
            leaders: Vec::new(),
        });
    }
    for (kind, event) in [
        (Kind::KillBroker, &events.kill_broker),
        (Kind::StopBroker, &events.stop_broker),
        (Kind::PauseBroker, &events.pause_broker),
    ] {
        if let Some(event) = event {
            allowed.push(Allowed {
                kind,
                weight: event.weight.unwrap_or(1),
                actors: Vec::new(),
                nodes: match (&event.nodes, &event.leaders) {
                    (Some(nodes), _) => nodes.clone(),
                    (None, Some(_)) => Vec::new(),
                    (None, None) => brokers.clone(),
                },
                leaders: event.leaders.clone().unwrap_or_default(),
            });
        }
    }
    Ground {
        file: file.to_owned(),
        name: parsed.name.clone(),
        document,
        allowed,
        steps: spec.steps.unwrap_or(DEFAULT_STEPS),
        gap_ms: range(spec.gap, DEFAULT_GAP_MS),
        lasting_ms: range(spec.lasting, DEFAULT_LASTING_MS),
        burst: events
            .produce
            .as_ref()
            .and_then(|p| p.count)
            .map_or(DEFAULT_BURST, |c| (c.min, c.max)),
        brokers_down: spec.brokers_down.unwrap_or(1),
        heal_ms: spec.heal.map_or(DEFAULT_HEAL_MS, ms),
        invariants: spec.invariants.clone(),
        partitions: parsed
            .topics
            .iter()
            .flat_map(|(topic, t)| (0..t.partitions).map(move |p| format!("{topic}/{p}")))
            .collect(),
        brokers,
        consumers_running,
        producers_running,
        any_consumer_running,
        any_producer: parsed
            .actors
            .values()
            .any(|a| matches!(a, crate::scenario::model::ActorSpec::Producer(_))),
    }
}

/// The consumers running unfrozen with their links not cut, the producers running, and
/// whether any consumer (a crowd's members too) runs, when the file's own timeline ends.
fn after_timeline(parsed: &ScenarioFile) -> (BTreeSet<String>, BTreeSet<String>, bool) {
    use crate::scenario::model::ActorSpec;
    let mut running: BTreeSet<String> = BTreeSet::new();
    let mut frozen: BTreeSet<String> = BTreeSet::new();
    let mut cut: BTreeSet<String> = BTreeSet::new();
    for step in &parsed.timeline {
        match step {
            Step::Start(s) => {
                running.insert(s.0.actor.clone());
            }
            Step::Stop(s) | Step::Kill(s) => {
                running.remove(&s.0.actor);
                frozen.remove(&s.0.actor);
            }
            Step::Freeze(s) => {
                frozen.insert(s.0.actor.clone());
            }
            Step::Thaw(s) => {
                frozen.remove(&s.0.actor);
            }
            Step::Link(l) if l.0.cut => {
                cut.insert(l.0.actor.clone());
            }
            Step::Link(l) => {
                cut.remove(&l.0.actor);
            }
            _ => {}
        }
    }
    let kind = |name: &str| parsed.actors.get(name);
    let consumers: BTreeSet<String> = running
        .iter()
        .filter(|a| matches!(kind(a), Some(ActorSpec::Consumer(c)) if c.members.is_none()))
        .filter(|a| !frozen.contains(*a) && !cut.contains(*a))
        .cloned()
        .collect();
    let producers = running
        .iter()
        .filter(|a| matches!(kind(a), Some(ActorSpec::Producer(_))))
        .cloned()
        .collect();
    let any_consumer = running
        .iter()
        .any(|a| matches!(kind(a), Some(ActorSpec::Consumer(_))));
    (consumers, producers, any_consumer)
}
