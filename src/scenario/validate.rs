//! `ScenarioFile` -> `Plan`: resolves names, merges defaults and walks the timeline once to
//! prove every step can happen. Nothing runs until this has passed.
//!
//! This file holds the entry point, the `Validator` and the helpers every section shares;
//! each section of a scenario is validated in its own module:
//!
//! - `actors`: `topics:`, `actors:` (consumers and producers) and `defaults:`;
//! - `crowd`: consumers with `members:`, and the steps that name them;
//! - `process`: process actors, and what can be observed of them;
//! - `timeline`: `timeline:`, step by step;
//! - `barrier`: `await` steps;
//! - `freeze`: `freeze` and `thaw` steps;
//! - `faults`: `brokers:`, broker fault steps and `await` conditions on the cluster;
//! - `expectations`: `expect:`, in the timeline and at the end;
//! - `explore`: `explore:`, what `scenario-run explore` may draw;
//! - `variants`: `variants:` and `compare:`.

mod actors;
mod barrier;
mod crowd;
mod expectations;
mod explore;
mod faults;
mod freeze;
mod link;
mod process;
mod timeline;
mod variants;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use super::model::{ActorSpec, ScenarioFile};
use super::plan::{ActorPlan, Capability, GroupProtocol, Plan, Scenario, Variant};
use super::source::{PathSeg, ScenarioError, SourceText, did_you_mean};
use super::template::{Slot, Template};

/// Payload size when a scenario does not say.
pub const DEFAULT_PAYLOAD_BYTES: usize = 100;
/// Poll batch limit when a consumer does not say (the Java and kafka-python default).
pub const DEFAULT_MAX_POLL_RECORDS: usize = 500;
/// Barrier timeout when a step does not say.
pub const DEFAULT_AWAIT_TIMEOUT: Duration = Duration::from_secs(60);

type Result<T> = std::result::Result<T, Box<ScenarioError>>;

/// The path of a value in the file, from keys and list indexes, for errors that point at it.
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

/// Checks a parsed scenario and turns it into a plan per variant; `seed` draws the members a
/// step with `which: drawn` takes (the same in every variant of one size).
pub fn validate(file: ScenarioFile, source: &SourceText, seed: u64) -> Result<Scenario> {
    let v = Validator {
        source,
        file: &file,
        seed,
    };
    // One copy of the text, shared by every variant's plan.
    let shared = Arc::new(source.clone());
    let sizes: Vec<Option<u32>> = match &file.sweep {
        None => vec![None],
        Some(sweep) => v.sweep(sweep)?.into_iter().map(Some).collect(),
    };
    let mut plans = Vec::new();
    if file.variants.is_empty() {
        v.no_comparison_without_variants()?;
        for size in sizes {
            plans.push(plan(&sized(&file, size), &shared, None, size, seed)?);
        }
        return Ok(Scenario {
            plans,
            orderings: Vec::new(),
        });
    }
    for size in sizes {
        for (name, spec) in &file.variants {
            v.variant(name, spec)?;
            let mut overlaid = sized(&file, size);
            overlaid.defaults.consumer.extend(spec.consumer.clone());
            overlaid.defaults.producer.extend(spec.producer.clone());
            let variant = Variant {
                name: name.clone(),
                about: spec.about.trim().to_owned(),
            };
            plans.push(plan(&overlaid, &shared, Some(variant), size, seed)?);
        }
    }
    Ok(Scenario {
        plans,
        orderings: v.orderings()?,
    })
}

/// The file with every crowd of `size` members, for one size of a sweep.
fn sized(file: &ScenarioFile, size: Option<u32>) -> ScenarioFile {
    let mut sized = file.clone();
    if let (Some(size), Some(sweep)) = (size, &file.sweep) {
        for topic in &sweep.partitions {
            if let Some(spec) = sized.topics.get_mut(topic) {
                spec.partitions = i32::try_from(size).unwrap_or(i32::MAX);
            }
        }
        for spec in sized.actors.values_mut() {
            if let ActorSpec::Consumer(consumer) = spec
                && consumer.members.is_some()
            {
                consumer.members = Some(size);
            }
        }
    }
    sized
}

/// The plan of `file` as it is (its variant's properties already laid over its defaults, its
/// crowds of the sweep's `size`).
fn plan(
    file: &ScenarioFile,
    source: &Arc<SourceText>,
    variant: Option<Variant>,
    size: Option<u32>,
    seed: u64,
) -> Result<Plan> {
    let v = Validator { source, file, seed };
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
    if let Some(spec) = &file.explore {
        v.explore(spec, &actors, brokers.as_ref())?;
    }
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
        crowds: v.crowds(),
        sweep: size,
        drawn_with: v.draws().then_some(seed),
        needs,
        vars: BTreeMap::new(),
    })
}

/// One scenario file and its text; each section's checks are methods on it, so that every
/// error can name the line it is about.
struct Validator<'a> {
    source: &'a SourceText,
    file: &'a ScenarioFile,
    /// Draws the members of steps with `which: drawn`.
    seed: u64,
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
    /// Consumer whose link is cut -> line of the step that cut it.
    cut: BTreeMap<String, usize>,
    /// Running actor -> how many starts came before its last one, so that a crowd's oldest and
    /// newest members are known.
    started: BTreeMap<String, usize>,
    /// Starts so far.
    starts: usize,
    /// What draws members for `which: drawn`, from the run's seed at the first such step.
    draw: Option<rand_chacha::ChaCha8Rng>,
}

impl Validator<'_> {
    /// An error at the value (or, with `at_key`, the key) that `at` leads to.
    fn err(
        &self,
        at: Vec<PathSeg>,
        at_key: bool,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Box<ScenarioError> {
        self.source.error_at(&at, at_key, message, hint)
    }

    /// An error for a `what` named `name` that is not declared, hinting at the closest of the
    /// `known` names (or listing them).
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
}
