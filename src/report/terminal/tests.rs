//! Golden output of the terminal: what a user reads of the fixed run of `report::fixture`,
//! pinned whole instead of by substrings. Per variant, the step lines `StepPrinter` prints as
//! the runner tells it of each step (with the assignment after it and an `expect` step judged at
//! once), then `accounting` and `verdict` as `scenario-run` prints them after the run; then the
//! variants compared, as printed after every run.

use super::*;
use crate::report::fixture::golden;

#[test]
fn the_lines_of_the_fixed_run() {
    let golden = golden();
    let mut out = Vec::new();
    for (plan, run) in golden.scenario.plans.iter().zip(&golden.runs) {
        let mut printer = StepPrinter::new(&mut out, plan);
        for (step, (at, note)) in plan.steps.iter().zip(&run.notes) {
            printer.step_finished(step, *at, note);
        }
        out.extend_from_slice(accounting(&run.finished.outcome).as_bytes());
        out.extend_from_slice(verdict(plan, &run.finished.failures).as_bytes());
    }
    for compared in &golden.comparisons {
        out.extend_from_slice(comparison(compared).as_bytes());
    }
    let text = String::from_utf8(out).expect("the terminal gets UTF-8");
    insta::assert_snapshot!("terminal", text);
}

/// Twelve members, ten started by one step and the three newest stopped by the next.
const CROWD: &str = "\
name: t
topics:
  orders: { partitions: 4 }
actors:
  workers: { consumer: { group: g, topics: [orders], members: 12 } }
timeline:
  - start: { actor: workers, members: 10 }
  - stop: { actor: workers, members: 3, which: newest }
";

/// After a step: the first `running` members running, the first four holding a partition each.
fn crowd_note(plan: &Plan, running: usize) -> StepNote {
    let assignment = plan.crowds["workers"]
        .iter()
        .take(running)
        .enumerate()
        .map(|(i, member)| {
            let held = (i < 4).then(|| crate::record::events::TopicPartition {
                topic: std::sync::Arc::from("orders"),
                partition: i32::try_from(i).unwrap_or_default(),
            });
            (
                std::sync::Arc::from(member.as_str()),
                Some(held.into_iter().collect()),
            )
        })
        .collect();
    StepNote {
        after: Checkpoint {
            line: None,
            step: String::new(),
            assignment,
            frozen: Default::default(),
            events: 0,
            committed: None,
        },
        detail: None,
        judged: Vec::new(),
        failure: None,
    }
}

#[test]
fn a_step_naming_a_crowd_is_one_line_and_the_crowd_one_summary() {
    let scenario = crate::scenario::load_str(std::path::Path::new("t.yaml"), CROWD.to_owned())
        .expect("a valid scenario");
    let plan = &scenario.plans[0];
    let mut out = Vec::new();
    let mut printer = StepPrinter::new(&mut out, plan);
    let mut running = 0;
    for step in &plan.steps {
        match step.action.on_actor() {
            Some(("start", _)) => running += 1,
            _ => running -= 1,
        }
        let at = Duration::from_secs(u64::try_from(step.line).unwrap_or_default());
        printer.step_finished(step, at, &crowd_note(plan, running));
    }
    assert_eq!(
        String::from_utf8(out).expect("UTF-8"),
        "[   7.00s] line 7   start 10 of workers: 01-10  | workers=[10 members: 4 hold 1, 6 hold none]\n\
         [   8.00s] line 8   stop 3 of workers: 08-10  | workers=[7 members: 4 hold 1, 3 hold none]\n"
    );
}

#[test]
fn a_crowd_step_names_its_members_by_ranges_of_their_numbers() {
    let all: Vec<String> = (1..=12).map(|n| format!("workers.{n:02}")).collect();
    let some =
        |numbers: &[usize]| -> Vec<String> { numbers.iter().map(|n| all[n - 1].clone()).collect() };
    assert_eq!(
        crowd_step_text("kill", "workers", &all, &some(&[9, 1, 2, 3, 7])),
        "kill 5 of workers: 01-03, 07, 09"
    );
    assert_eq!(
        crowd_step_text("stop", "workers", &all, &some(&[1, 3, 5, 7, 9, 11])),
        "stop 6 of workers: 01, 03, 05, 07, …"
    );
    assert_eq!(
        crowd_step_text("start", "workers", &all, &all),
        "start workers (all 12 members)"
    );
}

#[test]
fn a_rebalance_that_paused_a_crowd_is_summed_up() {
    let few: std::collections::BTreeMap<String, f64> =
        [("c1".to_owned(), 2.5), ("c2".to_owned(), 1.0)].into();
    assert_eq!(paused_members(&few), ["c1 paused 2.5 s", "c2 paused 1.0 s"]);
    let crowd: std::collections::BTreeMap<String, f64> = (1..=400)
        .map(|n| (format!("w.{n:03}"), if n == 17 { 2.7 } else { 2.6 }))
        .collect();
    assert_eq!(
        paused_members(&crowd),
        [
            "400 members paused 1040.1 member-s",
            "longest 2.7 s (w.017)"
        ]
    );
}
