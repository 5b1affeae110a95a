//! `index.html`: one self-contained page (no script, no network) with, per scenario, its verdict,
//! failures, an SVG timeline and the rebalance table. The timeline has a lane per actor: the
//! partitions a consumer owns as bars, consumed and produced records as ticks, starts, stops,
//! kills and freezes as marks; the timeline's steps as labelled lines; rebalances shaded.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::results::{EventView, KindView, ScenarioResult, Verdict, figure_cells};
use crate::expect::compare::{Comparison, Held};
use crate::record::events::{EventKind, TopicPartition};

/// Width of the time axis, pixels.
const WIDTH: f64 = 960.0;
/// Left margin for the lane names, pixels.
const LEFT: f64 = 130.0;
/// Height of one lane, pixels.
const LANE: f64 = 30.0;
/// Room above the lanes for step labels, pixels.
const TOP: f64 = 34.0;

/// The page for these results and comparisons.
pub fn index_html(results: &[ScenarioResult], comparisons: &[Comparison]) -> String {
    let mut page = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>kafka-scenario report</title><style>",
    );
    page.push_str(STYLE);
    page.push_str(
        "</style></head><body><h1>kafka-scenario report</h1>\
         <p class=\"meta\">Timelines: a lane per actor; bars are the partitions a consumer owns \
         (as the consumer sees it), ticks the records it consumed or produced, shaded stretches \
         its group's rebalances, grey ones a frozen consumer; ▶ start, ■ stop, ✕ kill, \
         ❄ freeze, ☀ thaw; L12 marks the step at line 12.</p>\n<ul class=\"summary\">",
    );
    for (index, result) in results.iter().enumerate() {
        let _ = write!(
            page,
            "<li><a href=\"#s{index}\">{name}</a> <span class=\"{class}\">{word}</span> on {target}</li>",
            name = escape(&result.scenario),
            class = verdict_class(&result.verdict),
            word = verdict_word(&result.verdict),
            target = escape(&result.target),
        );
    }
    page.push_str("</ul>\n");
    for comparison in comparisons {
        comparison_section(&mut page, comparison);
    }
    for (index, result) in results.iter().enumerate() {
        scenario_section(&mut page, index, result);
    }
    page.push_str("</body></html>\n");
    page
}

fn scenario_section(page: &mut String, index: usize, result: &ScenarioResult) {
    let _ = write!(
        page,
        "<section class=\"scenario\" id=\"s{index}\"><h2>{name} <span class=\"{class}\">{word}</span></h2>\
         <p class=\"meta\">{file} on {target}, {seconds:.1} s</p>",
        name = escape(&result.scenario),
        class = verdict_class(&result.verdict),
        word = verdict_word(&result.verdict),
        file = escape(&result.file),
        target = escape(&result.target),
        seconds = result.seconds,
    );
    if let Verdict::NotRunnable(reason) | Verdict::Error(reason) = &result.verdict {
        let _ = write!(page, "<p class=\"reason\">{}</p>", escape(reason));
    }
    if !result.failures.is_empty() {
        page.push_str("<ul class=\"failures\">");
        for failure in &result.failures {
            let at = failure
                .line
                .map_or_else(|| "end".to_owned(), |line| format!("line {line}"));
            let _ = write!(page, "<li>{at}: {}", escape(&failure.what));
            if let (Some(expected), Some(actual)) = (&failure.expected, &failure.actual) {
                let _ = write!(
                    page,
                    ": expected <code>{}</code>, actual <code>{}</code>",
                    escape(expected),
                    escape(actual)
                );
            }
            page.push_str("</li>");
        }
        page.push_str("</ul>");
    }
    if !result.events.is_empty() {
        timeline(page, result);
        rebalance_table(page, result);
    }
    page.push_str("</section>\n");
}

/// A scenario's variants side by side, and its orderings judged.
fn comparison_section(page: &mut String, comparison: &Comparison) {
    let _ = write!(
        page,
        "<section class=\"comparison\"><h2>{} variants compared</h2><table><tr><th>variant</th>\
         <th>stop-the-world</th><th>members paused</th><th>largest partition gap</th>\
         <th>largest latency</th></tr>",
        escape(&comparison.scenario)
    );
    for figures in &comparison.figures {
        let (name, cells) = figure_cells(figures);
        let _ = write!(page, "<tr><td>{}</td>", escape(&name));
        for cell in cells {
            let _ = write!(page, "<td>{cell}</td>");
        }
        page.push_str("</tr>");
    }
    page.push_str("</table>");
    if !comparison.orderings.is_empty() {
        page.push_str("<ul class=\"orderings\">");
        for o in &comparison.orderings {
            let (class, word) = match o.held {
                Held::Yes => ("pass", "held"),
                Held::No => ("fail", "did not hold"),
                Held::Unjudged => ("skip", "not judged"),
            };
            let _ = write!(
                page,
                "<li>line {}: {} <span class=\"{class}\">{word}</span> ({})</li>",
                o.line,
                escape(&o.ordering),
                escape(&o.detail)
            );
        }
        page.push_str("</ul>");
    }
    page.push_str("</section>\n");
}

/// One lane's content.
#[derive(Default)]
struct Lane {
    /// Owned partitions: from, to, label.
    bars: Vec<(f64, f64, String)>,
    /// Records consumed or produced, one tick per pixel at most.
    ticks: Vec<f64>,
    /// Starts, stops, kills, freezes, thaws: time and symbol.
    marks: Vec<(f64, &'static str)>,
    /// While frozen: from, to.
    frozen: Vec<(f64, f64)>,
}

fn timeline(page: &mut String, result: &ScenarioResult) {
    let end = result.events.last_s().max(result.seconds).max(0.001);
    let x = |t: f64| LEFT + t / end * WIDTH;
    let lanes = lanes(result.events.iter(), end, &x);
    let height = TOP + LANE * lanes.len() as f64 + 24.0;
    let _ = write!(
        page,
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" \
         viewBox=\"0 0 {w} {height}\" role=\"img\" aria-label=\"timeline of {name}\">",
        w = LEFT + WIDTH + 10.0,
        name = escape(&result.scenario),
    );
    if let Some(outcome) = &result.outcome {
        for rebalance in &outcome.measurements.rebalances {
            let from = x(rebalance.began_s);
            let to = x(rebalance.began_s + rebalance.seconds.unwrap_or(end - rebalance.began_s));
            let _ = write!(
                page,
                "<rect class=\"rebalance\" x=\"{from:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\"><title>{} rebalance {} ({})</title></rect>",
                (to - from).max(1.0),
                LANE * lanes.len() as f64,
                escape(&rebalance.group),
                rebalance.number,
                rebalance
                    .seconds
                    .map_or("unfinished".to_owned(), |s| format!("{s:.1} s")),
            );
        }
    }
    // Labels of steps close together go on alternate rows.
    let mut last_label = f64::NEG_INFINITY;
    let mut row = 0;
    for step in &result.steps {
        let at = x(step.started_s);
        row = if at - last_label < 24.0 {
            (row + 1) % 3
        } else {
            0
        };
        last_label = at;
        let _ = write!(
            page,
            "<line class=\"step\" x1=\"{at:.1}\" y1=\"{:.1}\" x2=\"{at:.1}\" y2=\"{:.1}\"><title>line {}: {}</title></line>\
             <text class=\"step\" x=\"{at:.1}\" y=\"{:.1}\">L{}</text>",
            12.0 + 9.0 * f64::from(row),
            height - 20.0,
            step.line,
            escape(&step.step),
            9.0 + 9.0 * f64::from(row),
            step.line,
        );
    }
    for (index, (name, lane)) in lanes.iter().enumerate() {
        let top = TOP + LANE * index as f64;
        let _ = write!(
            page,
            "<text class=\"lane\" x=\"4\" y=\"{:.1}\">{}</text><line class=\"lane\" x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>",
            top + LANE / 2.0 + 4.0,
            escape(name),
            top + LANE,
            LEFT + WIDTH,
            top + LANE,
        );
        for (from, to, label) in &lane.bars {
            let _ = write!(
                page,
                "<rect class=\"owns\" x=\"{from:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}</title></rect>\
                 <text class=\"owns\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                top + 4.0,
                (to - from).max(1.0),
                LANE - 14.0,
                escape(label),
                from + 3.0,
                top + LANE / 2.0 + 1.0,
                if to - from > 8.0 * label.len() as f64 {
                    escape(label)
                } else {
                    String::new()
                },
            );
        }
        for (from, to) in &lane.frozen {
            let _ = write!(
                page,
                "<rect class=\"frozen\" x=\"{from:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>frozen</title></rect>",
                top + 1.0,
                (to - from).max(1.0),
                LANE - 2.0,
            );
        }
        for tick in &lane.ticks {
            let _ = write!(
                page,
                "<line class=\"tick\" x1=\"{tick:.1}\" y1=\"{:.1}\" x2=\"{tick:.1}\" y2=\"{:.1}\"/>",
                top + LANE - 9.0,
                top + LANE - 2.0,
            );
        }
        for (at, symbol) in &lane.marks {
            let _ = write!(
                page,
                "<text class=\"mark\" x=\"{at:.1}\" y=\"{:.1}\">{symbol}</text>",
                top + LANE / 2.0 + 5.0,
            );
        }
    }
    let _ = write!(
        page,
        "<text class=\"axis\" x=\"{LEFT}\" y=\"{:.1}\">0 s</text><text class=\"axis end\" x=\"{:.1}\" y=\"{:.1}\">{end:.1} s</text></svg>",
        height - 4.0,
        LEFT + WIDTH,
        height - 4.0,
    );
}

/// A lane per actor, in the order they first appear.
fn lanes(
    events: impl Iterator<Item = EventView>,
    end: f64,
    x: &impl Fn(f64) -> f64,
) -> Vec<(String, Lane)> {
    let mut order: Vec<String> = Vec::new();
    let mut lanes: BTreeMap<String, Lane> = BTreeMap::new();
    // Actor -> since when it owns which partitions (never none).
    let mut owning: BTreeMap<String, (f64, Vec<TopicPartition>)> = BTreeMap::new();
    // Actor -> since when it is frozen.
    let mut frozen_since: BTreeMap<String, f64> = BTreeMap::new();
    for event in events {
        if event.actor.starts_with('(') {
            continue;
        }
        if !lanes.contains_key(&event.actor) {
            order.push(event.actor.clone());
        }
        let lane = lanes.entry(event.actor.clone()).or_default();
        // Ends the actor's bar now; returns what it owned.
        let close = |owning: &mut BTreeMap<String, (f64, Vec<TopicPartition>)>, lane: &mut Lane| {
            let (from, parts) = owning.remove(&event.actor)?;
            lane.bars.push((x(from), x(event.at_s), label(&parts)));
            Some(parts)
        };
        let open = |owning: &mut BTreeMap<String, (f64, Vec<TopicPartition>)>, parts: Vec<_>| {
            if !parts.is_empty() {
                owning.insert(event.actor.clone(), (event.at_s, parts));
            }
        };
        let kind = match &event.kind {
            KindView::Record(_) => {
                let at = x(event.at_s).round();
                if lane.ticks.last() != Some(&at) {
                    lane.ticks.push(at);
                }
                continue;
            }
            KindView::Other(kind) => kind,
        };
        match kind {
            EventKind::Assigned(parts) => {
                close(&mut owning, lane);
                open(&mut owning, parts.clone());
            }
            EventKind::Released(released) => {
                // A new bar goes on with what the member kept.
                let mut kept = close(&mut owning, lane).unwrap_or_default();
                kept.retain(|p| !released.contains(p));
                open(&mut owning, kept);
            }
            EventKind::Revoked(_) => {
                close(&mut owning, lane);
            }
            EventKind::Started => lane.marks.push((x(event.at_s), "▶")),
            EventKind::Stopped => {
                close(&mut owning, lane);
                lane.marks.push((x(event.at_s), "■"));
            }
            EventKind::Killed => {
                close(&mut owning, lane);
                lane.marks.push((x(event.at_s), "✕"));
            }
            EventKind::Frozen => {
                frozen_since.insert(event.actor.clone(), event.at_s);
                lane.marks.push((x(event.at_s), "❄"));
            }
            EventKind::Thawed => {
                if let Some(from) = frozen_since.remove(&event.actor) {
                    lane.frozen.push((x(from), x(event.at_s)));
                }
                lane.marks.push((x(event.at_s), "☀"));
            }
            _ => {}
        }
    }
    for (actor, (from, parts)) in owning {
        if let Some(lane) = lanes.get_mut(&actor) {
            lane.bars.push((x(from), x(end), label(&parts)));
        }
    }
    for (actor, from) in frozen_since {
        if let Some(lane) = lanes.get_mut(&actor) {
            lane.frozen.push((x(from), x(end)));
        }
    }
    order
        .into_iter()
        .filter_map(|name| lanes.remove(&name).map(|lane| (name, lane)))
        .collect()
}

/// A bar's label: its partitions, `topic/0 topic/1`.
fn label(parts: &[TopicPartition]) -> String {
    let names: Vec<String> = parts
        .iter()
        .map(|p| format!("{}/{}", p.topic, p.partition))
        .collect();
    names.join(" ")
}

fn rebalance_table(page: &mut String, result: &ScenarioResult) {
    let Some(outcome) = &result.outcome else {
        return;
    };
    let measured = &outcome.measurements;
    if measured.rebalances.is_empty() {
        return;
    }
    page.push_str(
        "<table><thead><tr><th>group</th><th>rebalance</th><th>began</th><th>took</th>\
         <th>stop-the-world</th><th>members paused</th><th>longest partition wait</th>\
         <th>latency max</th></tr></thead><tbody>",
    );
    for r in &measured.rebalances {
        let paused: Vec<String> = r
            .cost
            .paused_s
            .iter()
            .map(|(member, s)| format!("{} {s:.1} s", escape(member)))
            .collect();
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{:.1} s</td><td>{}</td><td>{:.1} s</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.group),
            r.number,
            r.began_s,
            r.seconds
                .map_or("unfinished".to_owned(), |s| format!("{s:.1} s")),
            r.cost.stop_the_world_s,
            paused.join(", "),
            r.cost
                .largest_gap
                .as_ref()
                .map_or(String::new(), |g| format!(
                    "{} {:.1} s",
                    escape(&g.partition),
                    g.seconds
                )),
            r.cost
                .latency
                .as_ref()
                .map_or(String::new(), |l| format!("{:.0} ms", l.max_ms)),
        );
    }
    page.push_str("</tbody></table>");
    for (group, stall) in &measured.no_progress {
        let _ = write!(
            page,
            "<p class=\"meta\">{}: no progress for {:.1} s from {:.1} s</p>",
            escape(group),
            stall.seconds,
            stall.from_s
        );
    }
}

fn verdict_word(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Passed => "PASS",
        Verdict::Failed => "FAIL",
        Verdict::NotRunnable(_) => "SKIP",
        Verdict::Error(_) => "ERROR",
    }
}

fn verdict_class(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Passed => "pass",
        Verdict::Failed | Verdict::Error(_) => "fail",
        Verdict::NotRunnable(_) => "skip",
    }
}

/// Text made safe for HTML and SVG.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222}\
h2{margin-bottom:0.2em}.meta{color:#555;margin:0.2em 0}\
.pass{color:#fff;background:#2a7d2a;padding:0 0.4em;border-radius:3px}\
.fail{color:#fff;background:#b22222;padding:0 0.4em;border-radius:3px}\
.skip{color:#fff;background:#777;padding:0 0.4em;border-radius:3px}\
section{border-top:1px solid #ccc;margin-top:1.5em}\
svg.timeline{display:block;margin:0.8em 0;background:#fafafa}\
rect.rebalance{fill:#f4a460;opacity:0.35}rect.owns{fill:#4682b4;opacity:0.8}\
rect.frozen{fill:#9ab;opacity:0.55}\
text.owns{font-size:10px;fill:#fff;dominant-baseline:middle}\
line.step{stroke:#999;stroke-dasharray:2,3}text.step{font-size:9px;fill:#555;text-anchor:middle}\
line.lane{stroke:#ddd}text.lane{font-size:12px}line.tick{stroke:#2e8b57}\
text.mark{font-size:12px;text-anchor:middle}text.axis{font-size:10px;fill:#555}\
text.axis.end{text-anchor:end}table{border-collapse:collapse;font-size:13px}\
td,th{border:1px solid #ccc;padding:2px 8px}";

#[cfg(test)]
mod tests;
