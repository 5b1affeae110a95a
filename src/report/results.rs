//! The one result every report is built from: how each scenario ended on its target, with its
//! failures, Outcome and events. Reports are pure functions of a list of these.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::Finished;
use crate::expect::compare::Figures;
use crate::expect::{Failure, Problem};
use crate::outcome::{CheckpointView, Outcome, members_view};
use crate::record::events::{Event, EventKind, RecordId, Records, Successive, TopicPartition};
use crate::record::process_output::ProcessOutput;
use crate::record::run_record::StepTiming;
use crate::record::symbols::Symbols;
use crate::scenario::plan::{Plan, PlannedStep};

/// How one scenario ended on one target.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// Scenario name, with `@variant` for a variant (`Plan::label`).
    pub scenario: String,
    /// The variant, when the scenario has variants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The scenario file, as given.
    pub file: String,
    /// The target it ran on (or was refused by).
    pub target: String,
    /// Passed, failed, not runnable or an error.
    pub verdict: Verdict,
    /// Wall time of the run, seconds (0 when it did not run).
    pub seconds: f64,
    /// Everything that made it fail.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<FailureView>,
    /// The normalised Outcome with its measurements, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Every event the run logged, when it ran.
    #[serde(skip_serializing_if = "EventViews::is_empty")]
    pub events: EventViews,
    /// Where each step of the timeline started and ended, when it ran.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepView>,
    /// Process actor -> its command line, how it ended and the last lines it printed.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub processes: BTreeMap<String, ProcessOutput>,
    /// The seed that drew crowd members (`which: drawn`), when a step drew some: `--seed` with
    /// it draws them again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Crowd -> its members, in order: the timeline draws a crowd as one band.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub crowds: BTreeMap<String, Vec<String>>,
    /// With crowds, what every member held at each checkpoint, which the Outcome summarises.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members_at_checkpoints: Vec<CheckpointView>,
}

/// The four ways a scenario ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum Verdict {
    /// Every step completed and every expectation held.
    Passed,
    /// An expectation did not hold or a step could not complete.
    Failed,
    /// The target lacks what the scenario needs; nothing ran.
    NotRunnable(String),
    /// The cluster or a client failed.
    Error(String),
}

/// One failure, flattened for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureView {
    /// Line of the step in the scenario file; absent for the end of the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// What was checked, or `step did not complete: ...`.
    pub what: String,
    /// The expected value, for a difference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The actual value, for a difference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

/// One event, its time in seconds.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// Seconds from the start.
    pub at_s: f64,
    /// Actor name (or `(cluster)`).
    pub actor: String,
    /// What happened.
    pub kind: KindView,
}

/// What happened, as reports show it: a record an event.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum KindView {
    /// A record consumed or acknowledged.
    Record(RecordView),
    /// Anything else, as logged.
    Other(EventKind),
}

/// A record consumed or acknowledged, its names spelt out.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordView {
    /// A consumer received it.
    Consumed {
        /// Where it came from.
        at: TopicPartition,
        /// Its offset.
        offset: i64,
        /// Its key.
        key: Option<Arc<str>>,
        /// The harness id header; for a record the harness did not produce, its location.
        id: IdView,
    },
    /// The broker acknowledged it.
    Produced {
        /// Where it went.
        at: TopicPartition,
        /// Its key.
        key: Option<Arc<str>>,
        /// The harness id.
        id: IdView,
    },
}

/// A record id, its producer spelt out.
#[derive(Debug, Clone, Serialize)]
pub struct IdView {
    /// The producer actor, or `@topic/partition` for a record the harness did not produce.
    pub producer: Arc<str>,
    /// Its sequence number, or its offset.
    pub seq: u64,
}

/// One timeline step as it ran.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    /// Line in the scenario file.
    pub line: usize,
    /// The step, rendered.
    pub step: String,
    /// Seconds from the start.
    pub started_s: f64,
    /// Seconds it took.
    pub seconds: f64,
}

/// A compared variant as the terminal and the page show it: its name (`(not run)` when the
/// target could not run it) and its stop-the-world, paused, largest gap and largest latency,
/// `–` where there is no figure.
pub fn figure_cells(figures: &Figures) -> (String, [String; 5]) {
    let cell = |value: Option<f64>, unit: &str, decimals: usize| {
        value.map_or_else(|| "–".to_owned(), |v| format!("{v:.decimals$} {unit}"))
    };
    let name = if figures.ran {
        figures.variant.clone()
    } else {
        format!("{} (not run)", figures.variant)
    };
    (
        name,
        [
            cell(figures.stop_the_world_s, "s", 2),
            cell(figures.paused_s, "s", 2),
            cell(figures.largest_gap_s, "s", 2),
            cell(figures.largest_latency_ms, "ms", 0),
            cell(figures.settling_s, "s", 2),
        ],
    )
}

/// How many members a rebalance's paused list names one by one; beyond it, a summary.
const PAUSED_NAMED: usize = 8;

/// The members a rebalance paused, as reports show them: `w.1 paused 2.6 s` each, or past
/// [`PAUSED_NAMED`] members (a crowd) `400 members paused 1040.0 member-s` and
/// `longest 2.7 s (workers.017)`, so that a line stays short at any size.
pub fn paused_members(paused: &BTreeMap<String, f64>) -> Vec<String> {
    if paused.len() <= PAUSED_NAMED {
        return paused
            .iter()
            .map(|(member, s)| format!("{member} paused {s:.1} s"))
            .collect();
    }
    let total: f64 = paused.values().sum();
    let mut parts = vec![format!(
        "{} members paused {total:.1} member-s",
        paused.len()
    )];
    if let Some((member, s)) = paused.iter().max_by(|a, b| a.1.total_cmp(b.1)) {
        parts.push(format!("longest {s:.1} s ({member})"));
    }
    parts
}

/// For a step on a member of a crowd: its verb, the member and the crowd.
pub fn on_crowd<'a>(
    plan: &'a Plan,
    step: &'a PlannedStep,
) -> Option<(&'static str, &'a str, &'a str)> {
    let (verb, actor) = step.action.on_actor()?;
    Some((verb, actor, plan.crowd_of(actor)?))
}

/// How many ranges of members a crowd step's line names before it says `…`.
const RANGES_SHOWN: usize = 4;

/// A step on members of a crowd (`all`, in order of their names) in one short text:
/// `stop 4 of workers: 01-04`, or `kill 5 of workers: 01-03, 07, 09` (numbers as in the
/// members' names, consecutive ones as a range, at most [`RANGES_SHOWN`] ranges),
/// `start workers (all 8 members)` when it takes all of them.
pub fn crowd_step_text(verb: &str, crowd: &str, all: &[String], members: &[String]) -> String {
    if members.len() == all.len() && members.len() > 1 {
        return format!("{verb} {crowd} (all {} members)", all.len());
    }
    let mut positions: Vec<usize> = members
        .iter()
        .filter_map(|m| all.binary_search(m).ok())
        .collect();
    positions.sort_unstable();
    let number = |i: usize| {
        all[i]
            .strip_prefix(crowd)
            .and_then(|n| n.strip_prefix('.'))
            .unwrap_or(&all[i])
            .to_owned()
    };
    let mut ranges: Vec<String> = Vec::new();
    let mut rest = positions.as_slice();
    while let [first, ..] = rest {
        let run = rest
            .iter()
            .enumerate()
            .take_while(|(k, p)| **p == first + k)
            .count();
        let last = first + run - 1;
        ranges.push(if run == 1 {
            number(*first)
        } else {
            format!("{}-{}", number(*first), number(last))
        });
        rest = &rest[run..];
    }
    if ranges.len() > RANGES_SHOWN {
        ranges.truncate(RANGES_SHOWN);
        ranges.push("…".into());
    }
    format!("{verb} {} of {crowd}: {}", members.len(), ranges.join(", "))
}

/// Where each step of the file started and ended. A step naming a crowd ran as a step per
/// member: it is one here, from its first member's start to its last one's end, with its text
/// as the terminal prints it.
fn step_views(plan: &Plan, timings: &[StepTiming]) -> Vec<StepView> {
    let mut views: Vec<StepView> = Vec::new();
    let mut under_way: Option<CrowdStep> = None;
    for (planned, timing) in plan.steps.iter().zip(timings) {
        let on = on_crowd(plan, planned);
        if let (Some((_, member, _)), Some(step), Some(view)) =
            (on, &mut under_way, views.last_mut())
            && step.index == planned.index
        {
            step.members.push(member.to_owned());
            view.seconds = seconds((timing.started + timing.took).saturating_sub(step.started));
            continue;
        }
        name_crowd_step(plan, under_way.take(), views.last_mut());
        under_way = on.map(|(verb, member, crowd)| CrowdStep {
            index: planned.index,
            verb,
            crowd,
            members: vec![member.to_owned()],
            started: timing.started,
        });
        views.push(StepView {
            line: timing.line,
            step: timing.step.clone(),
            started_s: seconds(timing.started),
            seconds: seconds(timing.took),
        });
    }
    name_crowd_step(plan, under_way, views.last_mut());
    views
}

/// A step naming a crowd, its members' steps gathered.
struct CrowdStep<'p> {
    /// The step's index in the file, which its members' steps share.
    index: usize,
    verb: &'static str,
    crowd: &'p str,
    members: Vec<String>,
    started: Duration,
}

/// Gives the view of a crowd step the text of the whole step.
fn name_crowd_step(plan: &Plan, step: Option<CrowdStep>, view: Option<&mut StepView>) {
    if let (Some(step), Some(view)) = (step, view) {
        let all = plan.crowds.get(step.crowd).map_or(&[][..], Vec::as_slice);
        view.step = crowd_step_text(step.verb, step.crowd, all, &step.members);
    }
}

impl ScenarioResult {
    /// The result of a run that finished (passed or failed).
    pub fn finished(plan: &Plan, target: &str, finished: &Finished) -> ScenarioResult {
        let record = &finished.record;
        ScenarioResult {
            verdict: if finished.passed() {
                Verdict::Passed
            } else {
                Verdict::Failed
            },
            seconds: seconds(record.wall_time),
            failures: finished.failures.iter().map(FailureView::from).collect(),
            outcome: Some(finished.outcome.clone()),
            events: EventViews::from(record.events.clone()),
            steps: step_views(plan, &record.steps),
            processes: record.processes.clone(),
            members_at_checkpoints: if plan.crowds.is_empty() {
                Vec::new()
            } else {
                record
                    .checkpoints
                    .iter()
                    .map(|c| members_view(plan, c))
                    .collect()
            },
            ..ScenarioResult::empty(plan, target, Verdict::Passed)
        }
    }

    /// A scenario that did not run: not runnable on the target, or an error before or during
    /// the run.
    pub fn not_run(plan: &Plan, target: &str, verdict: Verdict) -> ScenarioResult {
        ScenarioResult::empty(plan, target, verdict)
    }

    fn empty(plan: &Plan, target: &str, verdict: Verdict) -> ScenarioResult {
        ScenarioResult {
            scenario: plan.label(),
            variant: plan.variant.as_ref().map(|v| v.name.clone()),
            file: plan.file.display().to_string(),
            target: target.to_owned(),
            verdict,
            seconds: 0.0,
            failures: Vec::new(),
            outcome: None,
            events: EventViews::default(),
            steps: Vec::new(),
            processes: BTreeMap::new(),
            seed: plan.drawn_with,
            crowds: plan.crowds.clone(),
            members_at_checkpoints: Vec::new(),
        }
    }
}

impl From<&Failure> for FailureView {
    fn from(failure: &Failure) -> FailureView {
        let (what, expected, actual) = match &failure.problem {
            Problem::Differs(d) => (
                d.what.clone(),
                Some(d.expected.clone()),
                Some(d.actual.clone()),
            ),
            Problem::StepFailed(message) => {
                (format!("step did not complete: {message}"), None, None)
            }
        };
        FailureView {
            line: failure.line,
            what,
            expected,
            actual,
        }
    }
}

/// Every event a run logged, as the log keeps them (a poll's records in one event). Reports
/// see one view per record, made as they read or write them: a million-record run is not held
/// a second time, spelt out.
#[derive(Debug, Clone, Default)]
pub struct EventViews(Vec<Event>);

impl EventViews {
    /// Whether the run logged nothing (it did not run).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// When the last event was logged, in seconds (0 when none was), without spelling any out.
    pub fn last_s(&self) -> f64 {
        self.0.iter().map(|e| seconds(e.at)).fold(0.0, f64::max)
    }

    /// The views, one per record of a `Consumed` or `Produced` event, one per other event.
    pub fn iter(&self) -> impl Iterator<Item = EventView> + '_ {
        self.0.iter().flat_map(EventView::of)
    }
}

impl From<Vec<Event>> for EventViews {
    fn from(events: Vec<Event>) -> EventViews {
        EventViews(events)
    }
}

impl Serialize for EventViews {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl EventView {
    /// The views of one event: one per record of a `Consumed` or `Produced` event.
    fn of(event: &Event) -> Vec<EventView> {
        match &event.kind {
            EventKind::Consumed(records) => {
                EventView::per_record(event, records, |names, r| RecordView::Consumed {
                    at: r.at(names),
                    offset: r.offset,
                    key: r.sent.key.map(|key| names.text(key)),
                    id: IdView::of(names, r.id()),
                })
            }
            EventKind::Produced(records) => {
                EventView::per_record(event, records, |names, r| RecordView::Produced {
                    at: r.at(names),
                    key: r.key.map(|key| names.text(key)),
                    id: IdView::of(names, r.id()),
                })
            }
            other => vec![EventView::new(event, KindView::Other(other.clone()))],
        }
    }

    /// One view of `event` for each of its `records`, as `record` spells it out.
    fn per_record<T: Successive>(
        event: &Event,
        records: &Records<T>,
        record: impl Fn(&Symbols, T) -> RecordView,
    ) -> Vec<EventView> {
        let names = records.names();
        records
            .iter()
            .map(|r| EventView::new(event, KindView::Record(record(names, r))))
            .collect()
    }

    fn new(event: &Event, kind: KindView) -> EventView {
        EventView {
            at_s: seconds(event.at),
            actor: event.actor.to_string(),
            kind,
        }
    }
}

impl IdView {
    fn of(names: &Symbols, id: RecordId) -> IdView {
        IdView {
            producer: names.text(id.producer),
            seq: id.seq,
        }
    }
}

/// Seconds, to the millisecond.
fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests;
