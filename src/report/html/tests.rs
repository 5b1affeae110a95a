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
