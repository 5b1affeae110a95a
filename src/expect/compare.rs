//! The variants of one scenario side by side: each variant's figures over the whole run, and
//! the scenario's `compare:` orderings judged on them once every variant has run.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::outcome::Outcome;
use crate::outcome::pauses::Pause;
use crate::scenario::plan::{Action, Measure, Ordering, Plan, Scenario};

/// One variant's figures, from its Outcome's measurements (`whole_run`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// The variant.
    pub variant: String,
    /// Whether it ran; a variant the target could not run has no figures.
    pub ran: bool,
    /// Whether the run failed (an expectation did not hold, an await gave up): its figures are
    /// what it measured until then, and the curve draws them hollow.
    pub failed: bool,
    /// Seconds no member of any group consumed, every group's rebalances together.
    pub stop_the_world_s: Option<f64>,
    /// Seconds members spent without partitions after a revocation, all members together.
    pub paused_s: Option<f64>,
    /// The longest any partition waited for its next owner's first record, seconds.
    pub largest_gap_s: Option<f64>,
    /// The largest acknowledgement-to-consumption latency, milliseconds.
    pub largest_latency_ms: Option<f64>,
    /// Seconds spent in `await stable` steps, all of them together: how long the groups took to
    /// settle after each change the timeline made.
    pub settling_s: Option<f64>,
}

impl Figures {
    /// The figure an ordering on `measure` compares.
    pub fn get(&self, measure: Measure) -> Option<f64> {
        match measure {
            Measure::StopTheWorld => self.stop_the_world_s,
            Measure::Paused => self.paused_s,
            Measure::LargestGap => self.largest_gap_s,
            Measure::LargestLatency => self.largest_latency_ms,
        }
    }
}

/// How one ordering came out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Held {
    /// The smaller variant's figure is below the larger one's.
    Yes,
    /// It is not.
    No,
    /// A variant did not run, or has no such figure: nothing to judge.
    Unjudged,
}

/// One `compare:` ordering, judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderingVerdict {
    /// As written, e.g. `stop-the-world: cooperative < eager`.
    pub ordering: String,
    /// Its line in the scenario file.
    pub line: usize,
    /// Whether it held.
    pub held: Held,
    /// The two figures, e.g. `0.00 s < 3.05 s`, or why it was not judged.
    pub detail: String,
}

/// A scenario's variants compared (at one size of its sweep, if it has one).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The scenario.
    pub scenario: String,
    /// The size of its crowds, in a scenario with a `sweep:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<u32>,
    /// Each variant's figures, in the order written.
    pub figures: Vec<Figures>,
    /// Each ordering of `compare:`, judged.
    pub orderings: Vec<OrderingVerdict>,
}

impl Comparison {
    /// The scenario's name, with the size of its crowds in a sweep: `crowd at 100 members`.
    pub fn title(&self) -> String {
        match self.members {
            Some(size) => format!("{} at {size} members", self.scenario),
            None => self.scenario.clone(),
        }
    }

    /// Whether no ordering failed (unjudged ones do not fail).
    pub fn held(&self) -> bool {
        self.orderings.iter().all(|o| o.held != Held::No)
    }
}

/// A run as a comparison sees it: its Outcome and whether it passed.
#[derive(Debug, Clone, Copy)]
pub struct RunOutcome<'a> {
    /// The normalised Outcome with its measurements.
    pub outcome: &'a Outcome,
    /// Whether every expectation held.
    pub passed: bool,
}

/// Compares the variants of `scenario`, once per size of its sweep (once without one);
/// `runs[i]` is how `scenario.plans[i]` ran, `None` when it did not.
pub fn compare(scenario: &Scenario, runs: &[Option<RunOutcome>]) -> Vec<Comparison> {
    let mut sizes: Vec<Option<u32>> = Vec::new();
    for plan in &scenario.plans {
        if !sizes.contains(&plan.sweep) {
            sizes.push(plan.sweep);
        }
    }
    sizes
        .into_iter()
        .map(|size| {
            let figures: Vec<Figures> = scenario
                .plans
                .iter()
                .enumerate()
                .filter(|(_, plan)| plan.sweep == size)
                .map(|(index, plan)| {
                    let variant = plan
                        .variant
                        .as_ref()
                        .map_or_else(|| plan.name.clone(), |v| v.name.clone());
                    figures(plan, variant, runs.get(index).copied().flatten())
                })
                .collect();
            Comparison {
                scenario: scenario
                    .plans
                    .first()
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                members: size,
                orderings: judge(&scenario.orderings, &figures),
                figures,
            }
        })
        .collect()
}

/// Each ordering judged on the variants' figures: held only when the smaller variant's figure
/// is strictly below the larger one's.
pub fn judge(orderings: &[Ordering], figures: &[Figures]) -> Vec<OrderingVerdict> {
    orderings
        .iter()
        .map(|o| {
            let value = |name: &str| {
                figures
                    .iter()
                    .find(|f| f.variant == name)
                    .and_then(|f| f.get(o.measure))
            };
            let (held, detail) = match (value(&o.smaller), value(&o.larger)) {
                (Some(smaller), Some(larger)) => {
                    let unit = unit(o.measure);
                    let (held, sign) = if smaller < larger {
                        (Held::Yes, "<")
                    } else {
                        (Held::No, ">=")
                    };
                    (
                        held,
                        format!("{smaller:.2} {unit} {sign} {larger:.2} {unit}"),
                    )
                }
                (None, _) => (Held::Unjudged, format!("`{}` has no figure", o.smaller)),
                (_, None) => (Held::Unjudged, format!("`{}` has no figure", o.larger)),
            };
            OrderingVerdict {
                ordering: format!("{}: {} < {}", o.measure.key(), o.smaller, o.larger),
                line: o.line,
                held,
                detail,
            }
        })
        .collect()
}

/// A sum of seconds, to the millisecond like every measurement (and 0.0 when empty, where an
/// f64 sum would be -0.0).
fn total(seconds: impl Iterator<Item = f64>) -> f64 {
    (seconds.fold(0.0, |a, b| a + b) * 1000.0).round() / 1000.0
}

/// The unit a measure's figure is given in.
pub fn unit(measure: Measure) -> &'static str {
    match measure {
        Measure::StopTheWorld | Measure::Paused | Measure::LargestGap => "s",
        Measure::LargestLatency => "ms",
    }
}

fn figures(plan: &Plan, variant: String, run: Option<RunOutcome>) -> Figures {
    match run {
        Some(run) => Figures {
            settling_s: settling(plan, run.outcome),
            failed: !run.passed,
            ..whole_run_figures(variant, &run.outcome.measurements.whole_run)
        },
        None => Figures {
            variant,
            ran: false,
            failed: false,
            stop_the_world_s: None,
            paused_s: None,
            largest_gap_s: None,
            largest_latency_ms: None,
            settling_s: None,
        },
    }
}

/// The time a run spent in its `await stable` steps; `None` when it has none.
fn settling(plan: &Plan, outcome: &Outcome) -> Option<f64> {
    let awaits: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| matches!(&s.action, Action::Await(b) if !b.stable_groups.is_empty()))
        .map(|s| format!("line {}: {}", s.line, s.text))
        .collect();
    if awaits.is_empty() {
        return None;
    }
    Some(total(
        outcome
            .measurements
            .steps
            .iter()
            .filter(|s| awaits.contains(&s.at))
            .map(|s| s.took_s),
    ))
}

/// A variant's figures from its groups' whole-run pauses. A run that measured no group (no
/// consumer ever held a partition, say) has no figures: 0 s of stop-the-world would "win" an
/// ordering it never took part in.
fn whole_run_figures(variant: String, whole_run: &BTreeMap<String, Pause>) -> Figures {
    let groups = whole_run.values();
    let measured = !whole_run.is_empty();
    let largest = |values: Vec<f64>| values.into_iter().reduce(f64::max);
    Figures {
        variant,
        ran: true,
        failed: false,
        stop_the_world_s: measured.then(|| total(groups.clone().map(|p| p.stop_the_world_s))),
        paused_s: measured
            .then(|| total(groups.clone().flat_map(|p| p.paused_s.values().copied()))),
        largest_gap_s: largest(
            groups
                .clone()
                .filter_map(|p| p.largest_gap.as_ref().map(|g| g.seconds))
                .collect(),
        ),
        largest_latency_ms: largest(
            groups
                .filter_map(|p| p.latency.as_ref().map(|l| l.max_ms))
                .collect(),
        ),
        settling_s: None,
    }
}

#[cfg(test)]
mod tests;
