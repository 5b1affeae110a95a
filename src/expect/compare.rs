//! The variants of one scenario side by side: each variant's figures over the whole run, and
//! the scenario's `compare:` orderings judged on them once every variant has run.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::outcome::Outcome;
use crate::outcome::pauses::Pause;
use crate::scenario::plan::{Measure, Ordering, Scenario};

/// One variant's figures, from its Outcome's measurements (`whole_run`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// The variant.
    pub variant: String,
    /// Whether it ran; a variant the target could not run has no figures.
    pub ran: bool,
    /// Seconds no member of any group consumed, every group's rebalances together.
    pub stop_the_world_s: Option<f64>,
    /// Seconds members spent without partitions after a revocation, all members together.
    pub paused_s: Option<f64>,
    /// The longest any partition waited for its next owner's first record, seconds.
    pub largest_gap_s: Option<f64>,
    /// The largest acknowledgement-to-consumption latency, milliseconds.
    pub largest_latency_ms: Option<f64>,
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

/// A scenario's variants compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The scenario.
    pub scenario: String,
    /// Each variant's figures, in the order written.
    pub figures: Vec<Figures>,
    /// Each ordering of `compare:`, judged.
    pub orderings: Vec<OrderingVerdict>,
}

impl Comparison {
    /// Whether no ordering failed (unjudged ones do not fail).
    pub fn held(&self) -> bool {
        self.orderings.iter().all(|o| o.held != Held::No)
    }
}

/// Compares the variants of `scenario`; `outcomes[i]` is the Outcome of `scenario.plans[i]`,
/// `None` when it did not run.
pub fn compare(scenario: &Scenario, outcomes: &[Option<&Outcome>]) -> Comparison {
    let figures: Vec<Figures> = scenario
        .plans
        .iter()
        .enumerate()
        .map(|(index, plan)| {
            let variant = plan
                .variant
                .as_ref()
                .map_or_else(|| plan.name.clone(), |v| v.name.clone());
            figures(variant, outcomes.get(index).copied().flatten())
        })
        .collect();
    Comparison {
        scenario: scenario
            .plans
            .first()
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        orderings: judge(&scenario.orderings, &figures),
        figures,
    }
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

fn figures(variant: String, outcome: Option<&Outcome>) -> Figures {
    match outcome {
        Some(outcome) => whole_run_figures(variant, &outcome.measurements.whole_run),
        None => Figures {
            variant,
            ran: false,
            stop_the_world_s: None,
            paused_s: None,
            largest_gap_s: None,
            largest_latency_ms: None,
        },
    }
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
    }
}

#[cfg(test)]
mod tests;
