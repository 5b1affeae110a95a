//! Expectations against facts: each one that does not hold becomes a `Difference` that says
//! what was expected and what happened. `compare` judges a scenario's variants against each
//! other once all of them have run.

pub mod compare;

use std::collections::BTreeMap;
use std::fmt::Debug;

use crate::outcome::{self, AssignmentView, Facts, assignment_view, sorted_views};
pub use crate::record::difference::Difference;
use crate::record::events::Event;
use crate::record::run_record::{Checkpoint, RunRecord};
use crate::scenario::model::{AssignmentExpect, Expectations};
use crate::scenario::plan::{ActorPlan, Plan};

fn differ(what: String, expected: impl Debug, actual: impl Debug) -> Difference {
    Difference {
        what,
        expected: format!("{expected:?}"),
        actual: format!("{actual:?}"),
    }
}

/// Whether `wanted` can be matched one to one with some of `have`.
fn includes(have: &[AssignmentView], wanted: &[AssignmentView]) -> bool {
    let mut left: Vec<&AssignmentView> = have.iter().collect();
    wanted
        .iter()
        .all(|w| match left.iter().position(|h| *h == w) {
            Some(i) => {
                left.swap_remove(i);
                true
            }
            None => false,
        })
}

/// Compares every expectation with the facts.
pub fn check(plan: &Plan, expect: &Expectations, facts: &Facts) -> Vec<Difference> {
    let mut out = Vec::new();
    // Alike consumers' expected assignments, per set, judged together below.
    let mut alike: BTreeMap<Vec<&str>, Vec<AssignmentView>> = BTreeMap::new();
    for (actor, wanted) in &expect.assignment {
        let actual = facts.assignment.get(actor);
        let wanted = match wanted {
            AssignmentExpect::Partitions(list) => AssignmentView::Partitions(sorted(list)),
            AssignmentExpect::PerTopic(map) => {
                AssignmentView::PerTopic(map.iter().map(|(t, l)| (t.clone(), sorted(l))).collect())
            }
        };
        match actual {
            None => out.push(Difference {
                what: format!("assignment of {actor}"),
                expected: wanted.to_string(),
                actual: "not running".into(),
            }),
            Some(_) if plan.alike_set(actor).is_some() => {
                let set = plan.alike_set(actor).into_iter().flatten();
                alike
                    .entry(set.map(String::as_str).collect())
                    .or_default()
                    .push(wanted);
            }
            Some(holding) => {
                let mut have = assignment_view(plan, actor, holding, &facts.frozen);
                if let (AssignmentView::PerTopic(have), AssignmentView::PerTopic(want)) =
                    (&mut have, &wanted)
                {
                    have.retain(|topic, parts| want.contains_key(topic) || !parts.is_empty());
                }
                if have != wanted {
                    out.push(Difference {
                        what: format!("assignment of {actor}"),
                        expected: wanted.to_string(),
                        actual: have.to_string(),
                    });
                }
            }
        }
    }
    for (set, wanted) in alike {
        let have: Vec<AssignmentView> = set
            .iter()
            .filter_map(|actor| {
                let holding = facts.assignment.get(*actor)?;
                Some(assignment_view(plan, actor, holding, &facts.frozen))
            })
            .collect();
        if !includes(&have, &wanted) {
            out.push(Difference {
                what: format!("assignments of {} (alike, in any order)", set.join(", ")),
                expected: sorted_views(&wanted),
                actual: sorted_views(&have),
            });
        }
    }
    counts(
        &mut out,
        "records consumed by",
        &expect.consumed,
        &facts.consumed,
    );
    // A process's word counts for nothing: what it delivered is what its topic holds.
    let (found, acknowledged): (BTreeMap<String, u64>, BTreeMap<String, u64>) = expect
        .produced
        .iter()
        .map(|(actor, n)| (actor.clone(), *n))
        .partition(|(actor, _)| plan.actors.get(actor).is_some_and(ActorPlan::is_process));
    counts(
        &mut out,
        "records produced by",
        &acknowledged,
        &facts.produced,
    );
    counts(
        &mut out,
        "records found on its topic from process",
        &found,
        &facts.produced,
    );
    counts(
        &mut out,
        "largest poll batch of",
        &expect.max_poll_batch,
        &facts.max_poll_batch,
    );
    counts(
        &mut out,
        "times max.poll.interval.ms was exceeded by",
        &expect.max_poll_exceeded,
        &facts.max_poll_exceeded,
    );
    let rebalances: BTreeMap<String, u64> = facts
        .groups
        .iter()
        .map(|(group, g)| (group.clone(), g.rebalances))
        .collect();
    counts(&mut out, "rebalances of", &expect.rebalances, &rebalances);
    for (group, topics) in &expect.committed {
        for (topic, partitions) in topics {
            for (partition, offset) in partitions {
                let actual = facts
                    .committed
                    .get(group)
                    .and_then(|t| t.get(topic))
                    .and_then(|p| p.get(partition));
                if actual != Some(offset) {
                    out.push(Difference {
                        what: format!("offset committed by {group} on {topic}/{partition}"),
                        expected: offset.to_string(),
                        actual: actual.map_or("nothing committed".into(), i64::to_string),
                    });
                }
            }
        }
    }
    for (what, wanted, actual) in [
        (
            "duplicates",
            expect.duplicates,
            facts.groups.values().map(|g| g.duplicates).sum::<u64>(),
        ),
        (
            "lost records",
            expect.lost,
            facts.groups.values().map(|g| g.lost).sum::<u64>(),
        ),
    ] {
        if let Some(wanted) = wanted.filter(|w| *w != actual) {
            out.push(differ(what.into(), wanted, actual));
        }
    }
    for (producer, wanted) in &expect.durability {
        let actual = facts.durability.get(producer);
        for (what, wanted, actual) in [
            ("lost", wanted.lost, actual.map(|d| d.lost)),
            (
                "duplicated",
                wanted.duplicated,
                actual.map(|d| d.duplicated),
            ),
            (
                "failed",
                wanted.failed,
                actual.map(|d| d.failed.values().sum::<u64>()),
            ),
        ] {
            if let Some(wanted) = wanted
                && actual != Some(wanted)
            {
                out.push(Difference {
                    what: format!("records {what} of {producer}"),
                    expected: wanted.to_string(),
                    actual: actual.map_or("not read back".into(), |n| n.to_string()),
                });
            }
        }
    }
    for (topic, keys) in &expect.keys {
        for (key, partitions) in keys {
            let wanted = partitions.sorted();
            let actual: Vec<i32> = facts
                .keyed
                .get(topic)
                .and_then(|k| k.get(key))
                .map(|p| p.iter().copied().collect())
                .unwrap_or_default();
            if actual != wanted {
                out.push(differ(
                    format!("partitions of key {key} on {topic}"),
                    wanted,
                    actual,
                ));
            }
        }
    }
    for (topic, wanted) in &expect.unkeyed {
        let actual: Vec<i32> = facts
            .unkeyed
            .get(topic)
            .map(|p| p.iter().copied().collect())
            .unwrap_or_default();
        if actual != sorted(wanted) {
            out.push(differ(
                format!("partitions of unkeyed records on {topic}"),
                sorted(wanted),
                actual,
            ));
        }
    }
    out
}

fn counts(
    out: &mut Vec<Difference>,
    what: &str,
    wanted: &BTreeMap<String, u64>,
    actual: &BTreeMap<String, u64>,
) {
    for (actor, n) in wanted {
        let have = actual.get(actor).copied().unwrap_or(0);
        if have != *n {
            out.push(differ(format!("{what} {actor}"), n, have));
        }
    }
}

fn sorted(list: &[i32]) -> Vec<i32> {
    let mut list = list.to_vec();
    list.sort_unstable();
    list.dedup();
    list
}

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
