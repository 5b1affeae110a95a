//! What a run of a drawn timeline said: the invariant it broke, from its failures, with
//! what showed it.

use kafka_scenario::Plan;
use kafka_scenario::expect::{Failure, Problem};
use kafka_scenario::report::results::Verdict;
use kafka_scenario::scenario::explore::{Part, Written};

use crate::cli::invocation::{Ended, RunEnd};

/// What a run said about the invariants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    /// Every invariant held, and the heal completed.
    Held,
    /// It broke this (an invariant's name, or a heal barrier's), with what showed it.
    Broke {
        /// The invariant; `stable-after-heal`, `drained-after-heal`, `brokers-after-heal`
        /// for a heal barrier that timed out (`heal-step-failed` for another heal step);
        /// `step-failed: WORD` for a step of the timeline; `run-hung` for a run abandoned at
        /// its deadline.
        name: String,
        /// What showed it.
        witness: String,
    },
    /// It did not run to its end (an error, not runnable, interrupted): says nothing.
    Unjudged(String),
}

/// The invariant a run broke, from its failures: a broken invariant first (safety), then a
/// heal barrier, then any other step of the timeline.
pub fn judge(written: &Written, plan: &Plan, end: &RunEnd) -> Judged {
    if matches!(end.ended, Ended::Hung) {
        return Judged::Broke {
            name: "run-hung".to_owned(),
            witness: verdict_text(&end.result.verdict),
        };
    }
    if !matches!(end.result.verdict, Verdict::Passed | Verdict::Failed) {
        return Judged::Unjudged(verdict_text(&end.result.verdict));
    }
    let mut broke: Vec<(u8, String, String)> = Vec::new();
    for failure in &end.failures {
        match &failure.problem {
            Problem::Differs(d) => match d.what.strip_prefix("invariant ") {
                Some(name) => broke.push((0, name.to_owned(), d.actual.clone())),
                None => broke.push((3, d.what.clone(), d.actual.clone())),
            },
            Problem::StepFailed(text) => broke.push(step_failed(written, plan, failure, text)),
        }
    }
    broke.sort_by_key(|(rank, _, _)| *rank);
    match broke.into_iter().next() {
        Some((_, name, witness)) => Judged::Broke { name, witness },
        None => Judged::Held,
    }
}

/// A step that could not complete, named by where it is: a heal barrier by what it awaited.
fn step_failed(
    written: &Written,
    plan: &Plan,
    failure: &Failure,
    text: &str,
) -> (u8, String, String) {
    let step = failure
        .line
        .and_then(|line| plan.steps.iter().find(|s| s.line == line));
    let word = |t: &str| t.split_whitespace().next().unwrap_or("step").to_owned();
    match step {
        Some(step) if written.part(step.index) == Part::Heal => {
            let name = if step.text.starts_with("await stable") {
                "stable-after-heal"
            } else if step.text.starts_with("await drained") {
                "drained-after-heal"
            } else if step.text.starts_with("await") {
                "brokers-after-heal"
            } else {
                "heal-step-failed"
            };
            (1, name.to_owned(), text.to_owned())
        }
        Some(step) => (
            2,
            format!("step-failed: {}", word(&step.text)),
            text.to_owned(),
        ),
        None => (2, "step-failed".to_owned(), text.to_owned()),
    }
}

fn verdict_text(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Passed => "passed".into(),
        Verdict::Failed => "failed".into(),
        Verdict::NotRunnable(why) => format!("not runnable: {why}"),
        Verdict::Error(why) => format!("error: {why}"),
    }
}

/// The run's verdict on the invariants, for its line.
pub fn judged_text(judged: &Judged) -> String {
    match judged {
        Judged::Held => "held".into(),
        Judged::Broke { name, witness } => format!("BROKE {name} ({witness})"),
        Judged::Unjudged(why) => format!("UNJUDGED ({why})"),
    }
}
