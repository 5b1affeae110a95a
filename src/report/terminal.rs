//! Terminal output for `scenario-run`.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::results::{crowd_step_text, figure_cells, on_crowd, paused_members};
use crate::expect::compare::{Comparison, Held};
use crate::expect::{Failure, Problem};
use crate::outcome::{assignment_view, crowd_views};
use crate::record::run_record::Checkpoint;
use crate::run::{Observer, StepNote, StepProgress};
use crate::scenario::plan::PlannedStep;
use crate::{Outcome, Plan};

/// Prints one line per finished step to a writer (stdout in the CLI), with the assignment
/// after it, and under an `expect` step what did not hold there, as the run judged it. A step
/// naming a crowd is one line once all its members' steps have finished, and a crowd's
/// assignment is summarised, so that a line stays short at any size. With progress on, a step
/// that runs longer than a second shows a progress bar on stderr until it ends.
pub struct StepPrinter<'p, W: Write + Send> {
    out: W,
    plan: &'p Plan,
    progress: bool,
    bar: Option<ProgressBar>,
    /// The members whose steps of the current crowd step have finished so far.
    crowd_step: Vec<String>,
}

/// How long a step runs before it gets a progress bar.
const BAR_AFTER: Duration = Duration::from_secs(1);

impl<'p, W: Write + Send> StepPrinter<'p, W> {
    /// Prints the steps of `plan` to `out`.
    pub fn new(out: W, plan: &'p Plan) -> Self {
        StepPrinter {
            out,
            plan,
            progress: false,
            bar: None,
            crowd_step: Vec::new(),
        }
    }

    /// Also shows progress bars for long steps, when stderr is a terminal (nothing otherwise).
    pub fn with_progress(mut self) -> Self {
        self.progress = std::io::stderr().is_terminal();
        self
    }

    fn assignment(&self, after: &Checkpoint) -> String {
        let crowds = crowd_views(self.plan, &after.assignment, &after.frozen, after.line);
        let parts: Vec<String> = after
            .assignment
            .iter()
            .filter(|(actor, _)| self.plan.crowd_of(actor).is_none())
            .map(|(actor, holding)| {
                let view = assignment_view(self.plan, actor, holding, &after.frozen);
                format!("{actor}={view}")
            })
            .chain(
                crowds
                    .iter()
                    .map(|(crowd, view)| format!("{crowd}=[{view}]")),
            )
            .collect();
        parts.join(" ")
    }

    /// The text of the step's line: its own, or for the last member's step of a step naming a
    /// crowd, the whole step's; `None` for a member's step the next one continues.
    fn step_text(&mut self, step: &PlannedStep, failed: bool) -> Option<String> {
        let plan = self.plan;
        let Some((verb, actor, crowd)) = on_crowd(plan, step) else {
            return Some(step.text.clone());
        };
        self.crowd_step.push(actor.to_owned());
        // The steps the file's one step expanded into share its index.
        let expanded = plan
            .steps
            .iter()
            .filter(|s| s.index == step.index && on_crowd(plan, s).is_some())
            .count();
        if self.crowd_step.len() < expanded && !failed {
            return None;
        }
        let members = std::mem::take(&mut self.crowd_step);
        let all = plan.crowds.get(crowd).map_or(&[][..], Vec::as_slice);
        Some(crowd_step_text(verb, crowd, all, &members))
    }
}

impl<W: Write + Send> Observer for StepPrinter<'_, W> {
    fn wants_progress(&self) -> bool {
        self.progress
    }

    fn step_progress(&mut self, step: &PlannedStep, progress: &StepProgress) {
        if progress.elapsed < BAR_AFTER {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| new_bar(step, progress));
        match (progress.records, progress.timeout) {
            (Some((done, _)), _) => bar.set_position(done),
            (None, Some(_)) => bar.set_position(millis(progress.elapsed)),
            (None, None) => bar.tick(),
        }
    }

    fn step_finished(&mut self, step: &PlannedStep, at: Duration, note: &StepNote) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let Some(text) = self.step_text(step, note.failure.is_some() || !note.judged.is_empty())
        else {
            return;
        };
        let mut line = format!("[{:>7.2}s] line {:<3} {text}", at.as_secs_f64(), step.line);
        if let Some(detail) = &note.detail {
            let _ = write!(line, " ({detail})");
        }
        let assignment = self.assignment(&note.after);
        if !assignment.is_empty() {
            let _ = write!(line, "  | {assignment}");
        }
        let _ = writeln!(self.out, "{line}");
        for d in &note.judged {
            let _ = writeln!(
                self.out,
                "            ✗ {}: expected {}, got {}",
                d.what, d.expected, d.actual
            );
        }
        if let Some(failure) = &note.failure {
            let _ = writeln!(self.out, "            ✗ {failure}");
        }
    }
}

/// A bar for a long step: records sent of a burst, time spent of an await against its timeout,
/// a spinner with the time for anything else.
fn new_bar(step: &PlannedStep, progress: &StepProgress) -> ProgressBar {
    let (bar, template) = match (progress.records, progress.timeout) {
        (Some((_, total)), _) => (
            ProgressBar::new(total),
            "{prefix} [{bar:30}] {human_pos}/{human_len} records, {per_sec}",
        ),
        (None, Some(timeout)) => (
            ProgressBar::new(millis(timeout)),
            "{prefix} [{bar:30}] {elapsed} (gives up after {msg})",
        ),
        (None, None) => (ProgressBar::new_spinner(), "{prefix} {spinner} {elapsed}"),
    };
    let bar = bar
        .with_prefix(format!("line {} {}", step.line, step.text))
        .with_message(
            progress
                .timeout
                .map(|t| format!("{}s", t.as_secs()))
                .unwrap_or_default(),
        )
        .with_elapsed(progress.elapsed);
    match ProgressStyle::with_template(template) {
        Ok(style) => bar.with_style(style.progress_chars("=> ")),
        Err(_) => bar,
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `PASS name` or `FAIL name` followed by each failure with expected and actual values; a
/// failure of a step shows the step in the file the way a load error does.
pub fn verdict(plan: &Plan, failures: &[Failure]) -> String {
    let name = plan.label();
    if failures.is_empty() {
        return format!("PASS {name}\n");
    }
    let mut text = format!("FAIL {name}: {} problem(s)\n", failures.len());
    for failure in failures {
        let (what, lines) = match &failure.problem {
            Problem::Differs(d) => (
                d.what.clone(),
                format!(
                    "    - expected: {}\n    + actual:   {}\n",
                    d.expected, d.actual
                ),
            ),
            Problem::StepFailed(message) => {
                (format!("step did not complete: {message}"), String::new())
            }
        };
        match failure.line {
            Some(line) => {
                let column = step_column(plan.source.text(), line);
                let located = plan.source.error_at_line(line, column, what, None);
                let _ = write!(text, "{}", located.plain());
            }
            None => {
                let _ = writeln!(text, "end — {what}");
            }
        }
        text.push_str(&lines);
    }
    text
}

/// The column where a timeline step's content starts on `line`: after its indentation and
/// the `- ` of the list item.
fn step_column(text: &str, line: usize) -> usize {
    let source_line = text.lines().nth(line.saturating_sub(1)).unwrap_or_default();
    let indent = source_line.len() - source_line.trim_start().len();
    let item = source_line.trim_start();
    let content = item.strip_prefix('-').map_or(item, str::trim_start);
    indent + (item.len() - content.len()) + 1
}

/// The lines a run ends with, where they apply: per producer, what it was told against what
/// the topics held when read back, and every failover (broker faults); every freeze and when
/// the group noticed; per group that rebalanced after its first join, its longest time without
/// progress and its latency outside rebalances, then a line per rebalance: its length, stop-the-world, members paused, the
/// partition that waited longest, and the latency of records acknowledged meanwhile.
pub fn accounting(outcome: &Outcome) -> String {
    let mut text = String::new();
    let measured = &outcome.measurements;
    for (producer, d) in &measured.durability {
        let failed: u64 = d.failed.values().sum();
        let kinds: Vec<String> = d.failed.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = write!(
            text,
            "     {producer} (acks={}): sent {}, acknowledged {}, failed {failed}",
            d.acks, d.sent, d.acknowledged
        );
        if !kinds.is_empty() {
            let _ = write!(text, " ({})", kinds.join(", "));
        }
        let _ = writeln!(
            text,
            ", unacknowledged {} | read back: lost {}, duplicated {}, present unacknowledged {}",
            d.unacknowledged, d.lost, d.duplicated, d.unacknowledged_present
        );
    }
    for f in &measured.failovers {
        let next = match (f.to, f.after_s) {
            (Some(to), Some(after)) => format!("leader {} -> {to} after {after:.1} s", f.from),
            _ => format!("leader {} never replaced", f.from),
        };
        let _ = writeln!(
            text,
            "     {}: {} at {:.1} s, {next}",
            f.partition, f.fault, f.at_s
        );
    }
    for d in measured.departures.iter().filter(|d| d.how == "freeze") {
        let noticed = match (d.group_rebalanced_after_s, d.thawed_at_s) {
            (Some(after), _) => format!("the group rebalanced {after:.1} s later"),
            (None, Some(_)) => "thawed before the group noticed".to_owned(),
            (None, None) => "the group never rebalanced".to_owned(),
        };
        let thawed = match (
            d.group_rebalanced_after_s,
            d.thawed_at_s,
            d.rejoined_after_s,
        ) {
            (Some(_), Some(at), Some(after)) => {
                format!("; thawed at {at:.1} s, it held partitions again {after:.1} s later")
            }
            (Some(_), Some(at), None) => {
                format!("; thawed at {at:.1} s, it never held partitions again")
            }
            (None, Some(at), _) => format!(" (at {at:.1} s)"),
            _ => String::new(),
        };
        let _ = writeln!(
            text,
            "     {} frozen at {:.1} s: {noticed}{thawed}",
            d.actor, d.at_s
        );
    }
    let groups: std::collections::BTreeSet<&str> = measured
        .rebalances
        .iter()
        .map(|r| r.group.as_str())
        .collect();
    for group in groups {
        let rebalances: Vec<_> = measured
            .rebalances
            .iter()
            .filter(|r| r.group == group)
            .collect();
        if rebalances.len() < 2 {
            // Only the first join: nothing to tell.
            continue;
        }
        let _ = write!(text, "     {group}: {} rebalance(s)", rebalances.len());
        if let Some(stall) = measured.no_progress.get(group) {
            let _ = write!(
                text,
                "; no progress for {:.1} s from {:.1} s",
                stall.seconds, stall.from_s
            );
        }
        if let Some(steady) = measured.steady_latency.get(group) {
            let _ = write!(
                text,
                "; latency outside rebalances p99 {:.0} ms",
                steady.p99_ms
            );
        }
        text.push('\n');
        for r in rebalances {
            let _ = write!(
                text,
                "       rebalance {} at {:.1} s: {}, stop-the-world {:.1} s",
                r.number,
                r.began_s,
                r.seconds
                    .map_or("unfinished".to_owned(), |s| format!("{s:.1} s")),
                r.cost.stop_the_world_s
            );
            for part in paused_members(&r.cost.paused_s) {
                let _ = write!(text, ", {part}");
            }
            if let Some(gap) = &r.cost.largest_gap {
                let _ = write!(text, "; {} waited {:.1} s", gap.partition, gap.seconds);
            }
            if let Some(latency) = &r.cost.latency {
                let _ = write!(text, "; latency max {:.0} ms", latency.max_ms);
            }
            text.push('\n');
        }
    }
    text
}

/// A scenario's variants side by side, then `PASS`/`FAIL` for its orderings:
///
/// ```text
/// COMPARE stop-the-world  stop-the-world  paused  largest gap  largest latency  settling
///         eager                   0.14 s  1.71 s       0.99 s           987 ms    6.02 s
/// ```
///
/// (`settling`: the time spent in `await stable` steps.)
pub fn comparison(comparison: &Comparison) -> String {
    let title = comparison.title();
    let width = comparison
        .figures
        .iter()
        .map(|f| f.variant.len() + if f.ran { 0 } else { 10 })
        .chain([title.len()])
        .max()
        .unwrap_or(0);
    let mut text = format!(
        "COMPARE {title:<width$}  {:>14} {:>8} {:>12} {:>16} {:>9}\n",
        "stop-the-world", "paused", "largest gap", "largest latency", "settling"
    );
    for figures in &comparison.figures {
        let (name, [stop, paused, gap, latency, settling]) = figure_cells(figures);
        let _ = writeln!(
            text,
            "        {name:<width$}  {stop:>14} {paused:>8} {gap:>12} {latency:>16} {settling:>9}"
        );
    }
    for o in &comparison.orderings {
        let word = match o.held {
            Held::Yes => "PASS",
            Held::No => "FAIL",
            Held::Unjudged => "SKIP",
        };
        let _ = writeln!(
            text,
            "{word} line {}: {} ({})",
            o.line, o.ordering, o.detail
        );
    }
    text
}

#[cfg(test)]
mod tests;
