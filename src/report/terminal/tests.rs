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
