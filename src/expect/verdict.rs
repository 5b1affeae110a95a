//! The verdict of a run: the differences of its `expect` steps as judged at their steps, a step
//! that could not complete, the topics that could not be read back, the final expectations.

use std::collections::BTreeMap;

use super::check::check;
use crate::outcome::{self, Facts};
use crate::record::difference::Difference;
use crate::record::events::Event;
use crate::record::run_record::{Checkpoint, RunRecord};
use crate::scenario::model::Expectations;
use crate::scenario::plan::Plan;

/// Something that made a scenario fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The line of the step in the scenario file; `None` for the end of the run (the final
    /// expectations, reading the topics back).
    pub line: Option<usize>,
    /// What differed, or why the step could not complete.
    pub problem: Problem,
}

/// The two ways a scenario fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// An expectation did not hold.
    Differs(Difference),
    /// A step could not complete (e.g. a barrier timed out); the timeline stopped there.
    StepFailed(String),
}

/// Judges one `expect` step at its checkpoint: on the facts of the events logged up to it
/// (`events` may go further; the rest is ignored).
pub fn at_checkpoint(
    plan: &Plan,
    expectations: &Expectations,
    checkpoint: &Checkpoint,
    events: &[Event],
) -> Vec<Difference> {
    let upto = &events[..checkpoint.events.min(events.len())];
    let committed = checkpoint.committed.clone().unwrap_or_default();
    let facts = outcome::facts(plan, upto, &committed, Some(checkpoint), None);
    check(plan, expectations, &facts)
}

/// The `expect` steps of a run, each judged once as it ended: step line -> what did not hold.
pub type Judged = BTreeMap<usize, Vec<Difference>>;

/// Every failure of a finished run: the `expect` steps' differences as judged at their steps,
/// a failed step, the final expectations on the whole run's `facts`.
pub fn verdict(plan: &Plan, record: &RunRecord, judged: &Judged, facts: &Facts) -> Vec<Failure> {
    let mut failures = Vec::new();
    for (line, differences) in judged {
        failures.extend(differences.iter().map(|d| Failure {
            line: Some(*line),
            problem: Problem::Differs(d.clone()),
        }));
    }
    if let Some(failure) = &record.failure {
        failures.push(Failure {
            line: Some(failure.line),
            problem: Problem::StepFailed(format!("{}: {}", failure.step, failure.message)),
        });
    }
    if let Some(Err(why)) = &record.stored {
        failures.push(Failure {
            line: None,
            problem: Problem::StepFailed(format!("reading the topics back: {why}")),
        });
    }
    if let Some(final_expect) = &plan.final_expect {
        failures.extend(
            check(plan, final_expect, facts)
                .into_iter()
                .map(|d| Failure {
                    line: None,
                    problem: Problem::Differs(d),
                }),
        );
    }
    failures
}
