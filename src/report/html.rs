//! `index.html`: one self-contained page (no script, no network) with, per scenario, its verdict,
//! failures, an SVG timeline and the rebalance table. The timeline has a lane per actor: the
//! partitions a consumer owns as bars, consumed and produced records as ticks, starts, stops,
//! kills and freezes as marks; the timeline's steps as labelled lines; rebalances shaded. A
//! crowd is one band instead of a lane per member: how many of its members run, own partitions
//! and are frozen, and how many partitions they own, over time. A scenario swept over crowd
//! sizes gets curves against the size, a run that failed drawn hollow.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::results::{EventView, KindView, ScenarioResult, Verdict, figure_cells, paused_members};
use crate::expect::compare::{Comparison, Figures, Held};
use crate::record::events::{EventKind, TopicPartition};
use crate::scenario::plan::Link;

/// Width of the time axis, pixels.
const WIDTH: f64 = 960.0;
/// Left margin for the lane names, pixels.
const LEFT: f64 = 130.0;
/// Height of one lane, pixels.
const LANE: f64 = 30.0;
/// Room above the lanes for step labels, pixels.
const TOP: f64 = 34.0;
/// Height of a crowd's band, pixels.
const BAND: f64 = 60.0;

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
         ❄ freeze, ☀ thaw, ✂ link cut, ⌛ link slowed, ⇄ link healthy; L12 marks the step at line 12. A crowd is one band: members running \
         (light), members owning partitions (blue), members frozen (grey), partitions owned \
         (the dark line, against the most the crowd owned). Curves against crowd size: a point \
         drawn hollow is a run that failed.</p>\n<ul class=\"summary\">",
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
    for (scenario, swept) in sweeps(comparisons) {
        curve_section(&mut page, scenario, &swept);
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
         <th>largest latency</th><th>settling</th></tr>",
        escape(&comparison.title())
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

/// The comparisons of each scenario swept over crowd sizes, in the order of their first one.
fn sweeps(comparisons: &[Comparison]) -> Vec<(&str, Vec<&Comparison>)> {
    let mut sweeps: Vec<(&str, Vec<&Comparison>)> = Vec::new();
    for comparison in comparisons.iter().filter(|c| c.members.is_some()) {
        match sweeps.iter_mut().find(|(s, _)| *s == comparison.scenario) {
            Some((_, swept)) => swept.push(comparison),
            None => sweeps.push((&comparison.scenario, vec![comparison])),
        }
    }
    sweeps
}

/// Width and height of one chart of a curve, pixels.
const CHART: (f64, f64) = (320.0, 210.0);
/// Colours of a curve's lines, one per variant in turn.
const PALETTE: [&str; 6] = [
    "#b22222", "#4682b4", "#2e8b57", "#8b4513", "#6a5acd", "#d2691e",
];

/// A variant's line: its name and its points, (size, figure, whether that run failed).
type Series = (String, Vec<(u32, f64, bool)>);

/// A scenario swept over crowd sizes: a chart per measure (stop-the-world, paused
/// member-seconds, settling), the size across, a line per variant.
fn curve_section(page: &mut String, scenario: &str, swept: &[&Comparison]) {
    let variants: Vec<&str> = swept
        .iter()
        .flat_map(|c| c.figures.iter().map(|f| f.variant.as_str()))
        .fold(Vec::new(), |mut seen, v| {
            if !seen.contains(&v) {
                seen.push(v);
            }
            seen
        });
    let series = |figure: fn(&Figures) -> Option<f64>| -> Vec<Series> {
        variants
            .iter()
            .map(|variant| {
                let points = swept
                    .iter()
                    .filter_map(|c| {
                        let f = c.figures.iter().find(|f| f.variant == *variant)?;
                        Some((c.members?, figure(f)?, f.failed))
                    })
                    .collect();
                ((*variant).to_owned(), points)
            })
            .collect()
    };
    let _ = write!(
        page,
        "<section class=\"curve\"><h2>{} against crowd size</h2><p class=\"meta\">",
        escape(scenario)
    );
    for (index, variant) in variants.iter().enumerate() {
        let _ = write!(
            page,
            "<span style=\"color:{}\">■</span> {} ",
            PALETTE[index % PALETTE.len()],
            escape(variant)
        );
    }
    page.push_str("</p><div class=\"charts\">");
    page.push_str(&curve_svg(
        "stop-the-world (s)",
        &series(|f| f.stop_the_world_s),
    ));
    page.push_str(&curve_svg(
        "members paused (member-s)",
        &series(|f| f.paused_s),
    ));
    page.push_str(&curve_svg(
        "settling: await stable (s)",
        &series(|f| f.settling_s),
    ));
    page.push_str("</div></section>\n");
}

/// One chart: `series` against crowd size, on a log scale when the sizes span a factor of
/// ten or more, from 0 to the largest figure upwards.
fn curve_svg(title: &str, series: &[Series]) -> String {
    let (width, height) = CHART;
    let (left, right, top, bottom) = (44.0, 12.0, 22.0, 28.0);
    let mut sizes: Vec<u32> = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|p| p.0))
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    let most = series
        .iter()
        .flat_map(|(_, points)| points.iter().map(|p| p.1))
        .fold(0.0, f64::max);
    let (low, high) = match (sizes.first(), sizes.last()) {
        (Some(low), Some(high)) => (f64::from(*low), f64::from(*high)),
        _ => (1.0, 1.0),
    };
    let log = low > 0.0 && high / low >= 10.0;
    let across = |size: u32| -> f64 {
        let (v, lo, hi) = if log {
            (f64::from(size).log10(), low.log10(), high.log10())
        } else {
            (f64::from(size), low, high)
        };
        let share = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        left + share * (width - left - right)
    };
    let up = |value: f64| -> f64 {
        let share = if most > 0.0 { value / most } else { 0.0 };
        height - bottom - share * (height - top - bottom)
    };
    let mut svg = format!(
        "<svg class=\"curve\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{title}\">\
         <text class=\"chart\" x=\"{left}\" y=\"14\">{title}</text>\
         <line class=\"axis\" x1=\"{left}\" y1=\"{y0:.1}\" x2=\"{x1:.1}\" y2=\"{y0:.1}\"/>\
         <line class=\"axis\" x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{y0:.1}\"/>\
         <text class=\"axis end\" x=\"{lx:.1}\" y=\"{ty:.1}\">{most:.1}</text>\
         <text class=\"axis end\" x=\"{lx:.1}\" y=\"{y0:.1}\">0</text>",
        title = escape(title),
        y0 = height - bottom,
        x1 = width - right,
        lx = left - 4.0,
        ty = top + 4.0,
    );
    for size in &sizes {
        let _ = write!(
            svg,
            "<text class=\"axis size\" x=\"{:.1}\" y=\"{:.1}\">{size}</text>",
            across(*size),
            height - bottom + 14.0,
        );
    }
    for (index, (variant, points)) in series.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let line: Vec<String> = points
            .iter()
            .map(|(size, value, _)| format!("{:.1},{:.1}", across(*size), up(*value)))
            .collect();
        let _ = write!(
            svg,
            "<polyline class=\"series\" stroke=\"{colour}\" points=\"{}\"><title>{}</title></polyline>",
            line.join(" "),
            escape(variant)
        );
        // A run that failed is drawn hollow: its figure is what it measured before it failed.
        for (size, value, failed) in points {
            let (fill, note) = if *failed {
                ("#fff", " (the run failed)")
            } else {
                (colour, "")
            };
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{fill}\" stroke=\"{colour}\"><title>{}: {size} members, {value:.2}{note}</title></circle>",
                across(*size),
                up(*value),
                escape(variant)
            );
        }
    }
    svg.push_str("</svg>");
    svg
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
    let crowd_of: BTreeMap<&str, &str> = result
        .crowds
        .iter()
        .flat_map(|(crowd, members)| members.iter().map(move |m| (m.as_str(), crowd.as_str())))
        .collect();
    let lanes = lanes(
        result
            .events
            .iter()
            .filter(|e| !crowd_of.contains_key(e.actor.as_str())),
        end,
        &x,
    );
    let bands = bands(result.events.iter(), &result.crowds, &crowd_of, &x);
    let lanes_height = LANE * lanes.len() as f64 + BAND * bands.len() as f64;
    let height = TOP + lanes_height + 24.0;
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
                lanes_height,
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
    let bands_top = TOP + LANE * lanes.len() as f64;
    for (index, (name, band)) in bands.iter().enumerate() {
        band_svg(page, name, band, bands_top + BAND * index as f64, x(end));
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
            EventKind::Link(link) => lane.marks.push((x(event.at_s), link_mark(link))),
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

/// The mark of a link's change: cut, slowed, or healthy again.
fn link_mark(link: &Link) -> &'static str {
    if link.cut {
        "✂"
    } else if link.is_healthy() {
        "⇄"
    } else {
        "⌛"
    }
}

/// A crowd over time: its size, and at each moment something changed (pixel, members
/// running, members owning partitions, partitions owned); records as ticks, starts, stops and
/// kills as marks, one per pixel.
#[derive(Debug, Default, PartialEq)]
struct Band {
    size: usize,
    steps: Vec<BandPoint>,
    ticks: Vec<f64>,
    marks: Vec<(f64, &'static str)>,
}

/// A crowd from one pixel on: its members running, owning partitions and frozen, and the
/// partitions they own.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BandPoint {
    at: f64,
    running: usize,
    owning: usize,
    owned: usize,
    frozen: usize,
}

/// What a crowd's members own now, and which are frozen, kept as events come.
#[derive(Default)]
struct CrowdState {
    running: BTreeMap<String, Vec<TopicPartition>>,
    owners: BTreeMap<TopicPartition, usize>,
    frozen: BTreeSet<String>,
}

impl CrowdState {
    fn give_back(&mut self, parts: &[TopicPartition]) {
        for part in parts {
            if let Some(owners) = self.owners.get_mut(part) {
                *owners -= 1;
                if *owners == 0 {
                    self.owners.remove(part);
                }
            }
        }
    }

    fn set(&mut self, member: &str, parts: Vec<TopicPartition>) {
        let old = self
            .running
            .insert(member.to_owned(), Vec::new())
            .unwrap_or_default();
        self.give_back(&old);
        for part in &parts {
            *self.owners.entry(part.clone()).or_default() += 1;
        }
        self.running.insert(member.to_owned(), parts);
    }

    fn leave(&mut self, member: &str) {
        self.frozen.remove(member);
        if let Some(old) = self.running.remove(member) {
            self.give_back(&old);
        }
    }

    fn at(&self, at: f64) -> BandPoint {
        BandPoint {
            at,
            running: self.running.len(),
            owning: self.running.values().filter(|p| !p.is_empty()).count(),
            owned: self.owners.len(),
            frozen: self.frozen.len(),
        }
    }
}

/// A band per crowd, in name order, from the events of its members.
fn bands(
    events: impl Iterator<Item = EventView>,
    crowds: &BTreeMap<String, Vec<String>>,
    crowd_of: &BTreeMap<&str, &str>,
    x: &impl Fn(f64) -> f64,
) -> Vec<(String, Band)> {
    let mut bands: BTreeMap<&str, (Band, CrowdState)> = crowds
        .iter()
        .map(|(crowd, members)| {
            let band = Band {
                size: members.len(),
                ..Band::default()
            };
            (crowd.as_str(), (band, CrowdState::default()))
        })
        .collect();
    for event in events {
        let Some((band, state)) = crowd_of
            .get(event.actor.as_str())
            .and_then(|crowd| bands.get_mut(crowd))
        else {
            continue;
        };
        let at = x(event.at_s);
        let member = event.actor.as_str();
        let mark = |band: &mut Band, symbol: &'static str| {
            let pixel = at.round();
            if !band.marks.contains(&(pixel, symbol)) {
                band.marks.push((pixel, symbol));
            }
        };
        match &event.kind {
            KindView::Record(_) => {
                let pixel = at.round();
                if band.ticks.last() != Some(&pixel) {
                    band.ticks.push(pixel);
                }
                continue;
            }
            KindView::Other(EventKind::Started) => {
                state.set(member, Vec::new());
                mark(band, "▶");
            }
            KindView::Other(EventKind::Stopped) => {
                state.leave(member);
                mark(band, "■");
            }
            KindView::Other(EventKind::Killed) => {
                state.leave(member);
                mark(band, "✕");
            }
            KindView::Other(EventKind::Exited(_)) => state.leave(member),
            KindView::Other(EventKind::Frozen) => {
                state.frozen.insert(member.to_owned());
                mark(band, "❄");
            }
            KindView::Other(EventKind::Thawed) => {
                state.frozen.remove(member);
                mark(band, "☀");
            }
            KindView::Other(EventKind::Assigned(parts)) => state.set(member, parts.clone()),
            KindView::Other(EventKind::Revoked(_)) => state.set(member, Vec::new()),
            KindView::Other(EventKind::Released(released)) => {
                let mut kept = state.running.get(member).cloned().unwrap_or_default();
                kept.retain(|p| !released.contains(p));
                state.set(member, kept);
            }
            KindView::Other(_) => continue,
        }
        let now = state.at(at);
        match band.steps.last_mut() {
            Some(last) if last.at == at => *last = now,
            Some(last) if BandPoint { at, ..*last } == now => {}
            _ => band.steps.push(now),
        }
    }
    bands
        .into_iter()
        .map(|(crowd, (band, _))| (crowd.to_owned(), band))
        .collect()
}

/// A step line through `steps` of one value, scaled so that `most` reaches the band's top.
fn step_path(
    steps: &[BandPoint],
    value: impl Fn(&BandPoint) -> usize,
    most: usize,
    top: f64,
    right: f64,
) -> String {
    let bottom = top + BAND - 2.0;
    let y = |v: usize| bottom - (BAND - 8.0) * v as f64 / most.max(1) as f64;
    let mut path = String::new();
    let mut previous = None;
    for step in steps {
        let height = y(value(step));
        match previous {
            None => {
                let _ = write!(path, "M{:.1} {bottom:.1} V{height:.1}", step.at);
            }
            Some(_) => {
                let _ = write!(path, " H{:.1} V{height:.1}", step.at);
            }
        }
        previous = Some(height);
    }
    if previous.is_some() {
        let _ = write!(path, " H{right:.1}");
    }
    path
}

/// A crowd's band: running members as a light area, members owning partitions as a blue one,
/// frozen members as a grey one (drawn only when some were), partitions owned as a line
/// against the most the crowd owned at once.
fn band_svg(page: &mut String, name: &str, band: &Band, top: f64, right: f64) {
    let bottom = top + BAND - 2.0;
    let most_owned = band.steps.iter().map(|s| s.owned).max().unwrap_or_default();
    let area = |value: fn(&BandPoint) -> usize| {
        let line = step_path(&band.steps, value, band.size, top, right);
        if line.is_empty() {
            line
        } else {
            format!("{line} V{bottom:.1} Z")
        }
    };
    let _ = write!(
        page,
        "<text class=\"lane\" x=\"4\" y=\"{:.1}\">{}</text><text class=\"band\" x=\"4\" y=\"{:.1}\">{} members</text>\
         <line class=\"lane\" x1=\"{LEFT}\" y1=\"{bottom:.1}\" x2=\"{:.1}\" y2=\"{bottom:.1}\"/>\
         <path class=\"running\" d=\"{}\"><title>{} members running, of {}</title></path>\
         <path class=\"owning\" d=\"{}\"><title>{} members owning partitions, of {}</title></path>\
         <path class=\"owned\" d=\"{}\"><title>{} partitions owned, at most {most_owned}</title></path>",
        top + BAND / 2.0,
        escape(name),
        top + BAND / 2.0 + 13.0,
        band.size,
        LEFT + WIDTH,
        area(|s| s.running),
        escape(name),
        band.size,
        area(|s| s.owning),
        escape(name),
        band.size,
        step_path(&band.steps, |s| s.owned, most_owned, top, right),
        escape(name),
    );
    if band.steps.iter().any(|s| s.frozen > 0) {
        let _ = write!(
            page,
            "<path class=\"frozen\" d=\"{}\"><title>{} members frozen, of {}</title></path>",
            area(|s| s.frozen),
            escape(name),
            band.size,
        );
    }
    for tick in &band.ticks {
        let _ = write!(
            page,
            "<line class=\"tick\" x1=\"{tick:.1}\" y1=\"{:.1}\" x2=\"{tick:.1}\" y2=\"{bottom:.1}\"/>",
            bottom - 5.0,
        );
    }
    for (at, symbol) in &band.marks {
        let _ = write!(
            page,
            "<text class=\"mark\" x=\"{at:.1}\" y=\"{:.1}\">{symbol}</text>",
            top + 12.0,
        );
    }
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
        let paused = escape(&paused_members(&r.cost.paused_s).join("; "));
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{:.1} s</td><td>{}</td><td>{:.1} s</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.group),
            r.number,
            r.began_s,
            r.seconds
                .map_or("unfinished".to_owned(), |s| format!("{s:.1} s")),
            r.cost.stop_the_world_s,
            paused,
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
rect.frozen,path.frozen{fill:#9ab;opacity:0.55}\
text.owns{font-size:10px;fill:#fff;dominant-baseline:middle}\
line.step{stroke:#999;stroke-dasharray:2,3}text.step{font-size:9px;fill:#555;text-anchor:middle}\
line.lane{stroke:#ddd}text.lane{font-size:12px}line.tick{stroke:#2e8b57}\
text.band{font-size:10px;fill:#555}path.running{fill:#cfe0ee}\
path.owning{fill:#4682b4;opacity:0.8}path.owned{fill:none;stroke:#8b4513;stroke-width:1.5}\
text.mark{font-size:12px;text-anchor:middle}text.axis{font-size:10px;fill:#555}\
text.axis.end{text-anchor:end}table{border-collapse:collapse;font-size:13px}\
div.charts{display:flex;flex-wrap:wrap;gap:12px}svg.curve{background:#fafafa}\
text.chart{font-size:12px}line.axis{stroke:#999}text.axis.size{text-anchor:middle}\
polyline.series{fill:none;stroke-width:2}\
td,th{border:1px solid #ccc;padding:2px 8px}";

#[cfg(test)]
mod tests;
