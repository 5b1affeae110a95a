//! Expectations against facts: each one that does not hold becomes a `Difference` that says
//! what was expected and what happened, section by section in the order of the format.

use std::collections::BTreeMap;
use std::fmt::Debug;

use crate::outcome::crowd::partitions_phrase;
use crate::outcome::{
    AssignmentView, CrowdView, Facts, assignment_view, crowd_views, sorted_views,
};
use crate::record::difference::Difference;
use crate::scenario::model::{AssignmentExpect, CrowdExpect, Expectations, Invariant};
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
    assignments(plan, expect, facts, &mut out);
    record_counts(plan, expect, facts, &mut out);
    committed_offsets(expect, facts, &mut out);
    duplicates_and_losses(expect, facts, &mut out);
    durability(expect, facts, &mut out);
    key_placement(expect, facts, &mut out);
    invariants(expect, facts, &mut out);
    out
}

/// The invariants the whole run had to keep: each one broken, with its first witness.
fn invariants(expect: &Expectations, facts: &Facts, out: &mut Vec<Difference>) {
    for invariant in &expect.invariants {
        if let Some(broken) = facts.broken.get(invariant) {
            let more = match broken.times {
                0 | 1 => String::new(),
                n => format!(" (broken {n} times in all)"),
            };
            out.push(Difference {
                what: invariant_what(*invariant),
                expected: "holds".to_owned(),
                actual: format!("{}{more}", broken.witness),
            });
        }
    }
}

/// How a broken invariant is named among the differences: `invariant lost-acknowledged`.
pub fn invariant_what(invariant: Invariant) -> String {
    format!("invariant {}", invariant.name())
}

/// Each actor's assignment; alike consumers' assignments as a set, in any order.
fn assignments(plan: &Plan, expect: &Expectations, facts: &Facts, out: &mut Vec<Difference>) {
    // Alike consumers' expected assignments, per set, judged together below.
    let mut alike: BTreeMap<Vec<&str>, Vec<AssignmentView>> = BTreeMap::new();
    let crowds = crowd_views(plan, &facts.assignment, &facts.frozen, facts.line);
    for (actor, wanted) in &expect.assignment {
        let wanted = match wanted {
            AssignmentExpect::Crowd(summary) => {
                let nobody = || nobody_running(plan, actor, facts.line);
                let have = crowds.get(actor).cloned().unwrap_or_else(nobody);
                out.extend(crowd_assignment(actor, summary, &have));
                continue;
            }
            AssignmentExpect::Partitions(list) => AssignmentView::Partitions(sorted(list)),
            AssignmentExpect::PerTopic(map) => {
                AssignmentView::PerTopic(map.iter().map(|(t, l)| (t.clone(), sorted(l))).collect())
            }
        };
        match facts.assignment.get(actor) {
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
}

/// The summary of a crowd none of whose members runs: every partition of its topics unowned by
/// it (after the steps up to `line`).
fn nobody_running(plan: &Plan, crowd: &str, line: Option<usize>) -> CrowdView {
    let topics = plan
        .crowds
        .get(crowd)
        .and_then(|members| plan.actors.get(members.first()?))
        .map_or(&[][..], ActorPlan::consumed_topics);
    let unowned = topics
        .iter()
        .filter_map(|topic| plan.partitions_at(topic, line))
        .map(|count| usize::try_from(count).unwrap_or(0))
        .sum();
    CrowdView {
        members: 0,
        members_holding: Default::default(),
        rebalancing: 0,
        frozen: 0,
        unowned,
    }
}

/// A crowd's summary against what is expected of it, the keys the expectation gives only.
fn crowd_assignment(crowd: &str, wanted: &CrowdExpect, have: &CrowdView) -> Option<Difference> {
    let fields = |members: usize,
                  holding: &BTreeMap<usize, usize>,
                  rebalancing: usize,
                  frozen: usize,
                  unowned: usize| {
        let mut shown = Vec::new();
        if wanted.members.is_some() {
            shown.push(format!("members {members}"));
        }
        if wanted.members_holding.is_some() {
            let holding: Vec<String> = holding
                .iter()
                .map(|(partitions, members)| {
                    format!("{}: {members}", partitions_phrase(*partitions))
                })
                .collect();
            shown.push(format!("members_holding {{{}}}", holding.join(", ")));
        }
        for (given, name, value) in [
            (wanted.rebalancing, "rebalancing", rebalancing),
            (wanted.frozen, "frozen", frozen),
            (wanted.unowned, "unowned", unowned),
        ] {
            if given.is_some() {
                shown.push(format!("{name} {value}"));
            }
        }
        shown.join(", ")
    };
    let count = |n: Option<u64>| n.map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let wanted_holding: BTreeMap<usize, usize> = wanted
        .members_holding
        .iter()
        .flatten()
        .filter_map(|(key, members)| {
            Some((CrowdExpect::partitions_of(key)?, count(Some(*members))))
        })
        .filter(|(_, members)| *members > 0)
        .collect();
    let expected = fields(
        count(wanted.members),
        &wanted_holding,
        count(wanted.rebalancing),
        count(wanted.frozen),
        count(wanted.unowned),
    );
    let actual = fields(
        have.members,
        &have.members_holding.0,
        have.rebalancing,
        have.frozen,
        have.unowned,
    );
    (expected != actual).then(|| Difference {
        what: format!("assignment of crowd {crowd}"),
        expected,
        actual,
    })
}

/// Records consumed and produced, poll batches, max.poll.interval.ms exceeded, rebalances.
fn record_counts(plan: &Plan, expect: &Expectations, facts: &Facts, out: &mut Vec<Difference>) {
    counts(
        out,
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
    counts(out, "records produced by", &acknowledged, &facts.produced);
    counts(
        out,
        "records found on its topic from process",
        &found,
        &facts.produced,
    );
    counts(
        out,
        "largest poll batch of",
        &expect.max_poll_batch,
        &facts.max_poll_batch,
    );
    counts(
        out,
        "times max.poll.interval.ms was exceeded by",
        &expect.max_poll_exceeded,
        &facts.max_poll_exceeded,
    );
    let rebalances: BTreeMap<String, u64> = facts
        .groups
        .iter()
        .map(|(group, g)| (group.clone(), g.rebalances))
        .collect();
    counts(out, "rebalances of", &expect.rebalances, &rebalances);
}

/// Offsets committed per group, topic and partition.
fn committed_offsets(expect: &Expectations, facts: &Facts, out: &mut Vec<Difference>) {
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
}

/// Duplicates and lost records, summed over the groups.
fn duplicates_and_losses(expect: &Expectations, facts: &Facts, out: &mut Vec<Difference>) {
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
}

/// What each producer's records became: lost, duplicated, failed.
fn durability(expect: &Expectations, facts: &Facts, out: &mut Vec<Difference>) {
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
}

/// The partitions each key, and unkeyed records, went to.
fn key_placement(expect: &Expectations, facts: &Facts, out: &mut Vec<Difference>) {
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

#[cfg(test)]
mod tests;
