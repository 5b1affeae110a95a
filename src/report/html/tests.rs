use std::sync::Arc;

use super::*;
use crate::record::events::{Event, TopicPartition};

fn event(at_s: f64, actor: &str, kind: EventKind) -> EventView {
    EventView {
        at_s,
        actor: actor.into(),
        kind: KindView::Other(kind),
    }
}

fn partition(n: i32) -> TopicPartition {
    TopicPartition {
        topic: Arc::from("t"),
        partition: n,
    }
}

fn result(name: &str, events: Vec<Event>) -> ScenarioResult {
    ScenarioResult {
        scenario: name.into(),
        variant: None,
        file: format!("{name}.yaml"),
        target: "embedded".into(),
        verdict: Verdict::Passed,
        seconds: 10.0,
        failures: Vec::new(),
        outcome: None,
        events: events.into(),
        steps: Vec::new(),
        processes: Default::default(),
        seed: None,
        crowds: Default::default(),
        members_at_checkpoints: Vec::new(),
    }
}

#[test]
fn ownership_becomes_bars_from_assignment_to_revocation_or_the_end() {
    let events = vec![
        event(0.0, "c1", EventKind::Started),
        event(
            1.0,
            "c1",
            EventKind::Assigned(vec![partition(0), partition(1)]),
        ),
        event(
            4.0,
            "c1",
            EventKind::Revoked(vec![partition(0), partition(1)]),
        ),
        event(5.0, "c1", EventKind::Assigned(vec![partition(0)])),
        event(2.0, "(cluster)", EventKind::Brokers(vec![1])),
    ];
    let lanes = lanes(events.into_iter(), 10.0, &|t| t * 10.0);
    assert_eq!(lanes.len(), 1, "the cluster has no lane");
    let (name, lane) = &lanes[0];
    assert_eq!(name, "c1");
    assert_eq!(
        lane.bars,
        vec![
            (10.0, 40.0, "t/0 t/1".to_owned()),
            (50.0, 100.0, "t/0".to_owned())
        ]
    );
    assert_eq!(lane.marks, vec![(0.0, "▶")]);
}

#[test]
fn one_timeline_per_scenario_that_ran_and_names_are_escaped() {
    let ran = result("a<b", vec![Event::at_ms(0, "c&1", EventKind::Started)]);
    let skipped = ScenarioResult {
        verdict: Verdict::NotRunnable("needs create-partitions".into()),
        ..result("growth", Vec::new())
    };
    let page = index_html(&[ran, skipped], &[]);
    assert_eq!(page.matches("<svg class=\"timeline\"").count(), 1);
    assert!(page.contains("a&lt;b") && page.contains("c&amp;1"));
    assert!(!page.contains("a<b") && !page.contains("<script"));
    assert!(page.contains("needs create-partitions"));
}

#[test]
fn a_release_ends_the_bar_and_one_goes_on_with_what_was_kept() {
    let events = vec![
        event(
            1.0,
            "c1",
            EventKind::Assigned(vec![partition(0), partition(1)]),
        ),
        event(3.0, "c1", EventKind::Released(vec![partition(1)])),
        event(6.0, "c1", EventKind::Released(vec![partition(0)])),
    ];
    let lanes = lanes(events.into_iter(), 10.0, &|t| t * 10.0);
    assert_eq!(
        lanes[0].1.bars,
        vec![
            (10.0, 30.0, "t/0 t/1".to_owned()),
            (30.0, 60.0, "t/0".to_owned())
        ],
        "nothing kept, no bar"
    );
}

/// Golden output: the `<svg>` timeline of each variant of the fixed run of `report::fixture`,
/// cut out of the page, one element a line (the page writes it as one line) so that a change
/// shows as the element it moves.
#[test]
fn the_timelines_of_the_fixed_run() {
    let golden = crate::report::fixture::golden();
    let results = golden.results();
    let page = index_html(&results, &golden.comparisons);
    let svgs: Vec<&str> = page
        .match_indices("<svg")
        .map(|(start, _)| {
            let end = page[start..].find("</svg>").expect("the svg is closed") + "</svg>".len();
            &page[start..start + end]
        })
        .collect();
    assert_eq!(svgs.len(), results.len(), "one timeline per run");
    for (result, svg) in results.iter().zip(svgs) {
        insta::assert_snapshot!(
            format!(
                "timeline_svg@{}",
                result.variant.as_deref().unwrap_or_default()
            ),
            svg.replace("><", ">\n<")
        );
    }
}

#[test]
fn a_crowd_is_one_band_of_members_running_owning_and_partitions_owned() {
    let crowds = BTreeMap::from([("w".to_owned(), vec!["w.1".to_owned(), "w.2".to_owned()])]);
    let crowd_of = BTreeMap::from([("w.1", "w"), ("w.2", "w")]);
    let events = vec![
        event(0.0, "w.1", EventKind::Started),
        event(
            1.0,
            "w.1",
            EventKind::Assigned(vec![partition(0), partition(1)]),
        ),
        event(2.0, "w.2", EventKind::Started),
        event(
            3.0,
            "w.1",
            EventKind::Revoked(vec![partition(0), partition(1)]),
        ),
        event(4.0, "w.1", EventKind::Assigned(vec![partition(0)])),
        event(4.0, "w.2", EventKind::Assigned(vec![partition(1)])),
        event(5.0, "w.1", EventKind::Frozen),
        event(6.0, "w.2", EventKind::Killed),
        event(6.0, "other", EventKind::Started),
        event(7.0, "w.1", EventKind::Thawed),
    ];
    let bands = bands(events.into_iter(), &crowds, &crowd_of, &|t| t * 10.0);
    assert_eq!(bands.len(), 1);
    let (name, band) = &bands[0];
    assert_eq!(name, "w");
    assert_eq!(band.size, 2);
    // (pixel, running, owning, owned, frozen); events at one pixel end in one step.
    let steps: Vec<(f64, usize, usize, usize, usize)> = band
        .steps
        .iter()
        .map(|s| (s.at, s.running, s.owning, s.owned, s.frozen))
        .collect();
    assert_eq!(
        steps,
        vec![
            (0.0, 1, 0, 0, 0),
            (10.0, 1, 1, 2, 0),
            (20.0, 2, 1, 2, 0),
            (30.0, 2, 0, 0, 0),
            (40.0, 2, 2, 2, 0),
            (50.0, 2, 2, 2, 1),
            (60.0, 1, 1, 1, 1),
            (70.0, 1, 1, 1, 0),
        ]
    );
    assert_eq!(
        band.marks,
        vec![
            (0.0, "▶"),
            (20.0, "▶"),
            (50.0, "❄"),
            (60.0, "✕"),
            (70.0, "☀")
        ]
    );
}

#[test]
fn a_crowd_s_members_get_no_lane_of_their_own() {
    let mut ran = result(
        "crowd",
        vec![
            Event::at_ms(0, "w.1", EventKind::Started),
            Event::at_ms(0, "w.2", EventKind::Started),
            Event::at_ms(0, "single", EventKind::Started),
        ],
    );
    ran.crowds = BTreeMap::from([("w".to_owned(), vec!["w.1".to_owned(), "w.2".to_owned()])]);
    let page = index_html(&[ran], &[]);
    assert!(page.contains(">single</text>") && page.contains(">w</text>"));
    assert!(page.contains(">2 members</text>"));
    assert!(!page.contains(">w.1</text>") && !page.contains(">w.2</text>"));
    assert_eq!(page.matches("<path class=\"owning\"").count(), 1);
}

#[test]
fn a_curve_puts_sizes_across_on_a_log_scale_and_figures_up_from_zero() {
    let series = vec![
        (
            "eager".to_owned(),
            vec![(10, 1.0, false), (100, 2.0, false), (1000, 2.0, true)],
        ),
        ("cooperative".to_owned(), vec![(10, 0.0, false)]),
    ];
    let svg = curve_svg("stop-the-world (s)", &series);
    // 10 at the left edge, 100 half way, 1000 at the right; 2.0 (the most) at the top.
    assert!(
        svg.contains("points=\"44.0,102.0 176.0,22.0 308.0,22.0\""),
        "{svg}"
    );
    assert!(svg.contains("points=\"44.0,182.0\""), "{svg}");
    assert_eq!(svg.matches("<circle").count(), 4);
    assert!(svg.contains(">1000</text>") && svg.contains(">2.0</text>"));
    // The failed run's point is hollow and says so; the others are filled.
    assert_eq!(svg.matches("fill=\"#fff\"").count(), 1, "{svg}");
    assert!(
        svg.contains("eager: 1000 members, 2.00 (the run failed)"),
        "{svg}"
    );
}

#[test]
fn a_swept_scenario_gets_one_curve_section_of_three_charts() {
    let figures = |variant: &str, stop: f64| Figures {
        variant: variant.to_owned(),
        ran: true,
        failed: false,
        stop_the_world_s: Some(stop),
        paused_s: Some(stop * 2.0),
        largest_gap_s: None,
        largest_latency_ms: None,
        settling_s: Some(1.0),
    };
    let at = |members: u32| Comparison {
        scenario: "crowd".to_owned(),
        members: Some(members),
        figures: vec![figures("eager", 3.0), figures("cooperative", 0.5)],
        orderings: Vec::new(),
    };
    let page = index_html(&[], &[at(10), at(100)]);
    assert_eq!(page.matches("<section class=\"curve\"").count(), 1);
    assert_eq!(page.matches("<svg class=\"curve\"").count(), 3);
    assert_eq!(page.matches("<polyline").count(), 6);
    assert!(page.contains("crowd at 10 members variants compared"));
}
