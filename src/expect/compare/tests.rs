use std::collections::BTreeMap;

use super::{Figures, Held, judge, whole_run_figures};
use crate::outcome::pauses::Pause;
use crate::scenario::plan::{Measure, Ordering};

fn ran(variant: &str, stop_the_world_s: f64, largest_gap_s: Option<f64>) -> Figures {
    Figures {
        variant: variant.to_owned(),
        ran: true,
        failed: false,
        stop_the_world_s: Some(stop_the_world_s),
        paused_s: None,
        largest_gap_s,
        largest_latency_ms: None,
        settling_s: None,
    }
}

fn ordering(measure: Measure, smaller: &str, larger: &str) -> Ordering {
    Ordering {
        measure,
        smaller: smaller.to_owned(),
        larger: larger.to_owned(),
        line: 7,
    }
}

#[test]
fn an_ordering_holds_only_when_strictly_smaller() {
    let figures = [
        ran("eager", 3.1, Some(3.4)),
        ran("cooperative", 0.0, Some(1.2)),
    ];
    let verdicts = judge(
        &[
            ordering(Measure::StopTheWorld, "cooperative", "eager"),
            ordering(Measure::StopTheWorld, "eager", "cooperative"),
            ordering(Measure::LargestGap, "cooperative", "eager"),
        ],
        &figures,
    );
    let held: Vec<&Held> = verdicts.iter().map(|v| &v.held).collect();
    assert_eq!(held, [&Held::Yes, &Held::No, &Held::Yes]);
    assert_eq!(verdicts[0].ordering, "stop-the-world: cooperative < eager");
    assert_eq!(verdicts[0].detail, "0.00 s < 3.10 s");
    assert_eq!(verdicts[1].detail, "3.10 s >= 0.00 s");
    assert_eq!(verdicts[0].line, 7);
}

#[test]
fn equal_figures_do_not_hold() {
    let figures = [ran("a", 0.0, None), ran("b", 0.0, None)];
    let verdicts = judge(&[ordering(Measure::StopTheWorld, "a", "b")], &figures);
    assert_eq!(verdicts[0].held, Held::No);
}

#[test]
fn a_variant_without_a_figure_leaves_the_ordering_unjudged() {
    let not_run = Figures {
        variant: "kip848".to_owned(),
        ran: false,
        failed: false,
        stop_the_world_s: None,
        paused_s: None,
        largest_gap_s: None,
        largest_latency_ms: None,
        settling_s: None,
    };
    let figures = [ran("eager", 3.0, None), not_run];
    let verdicts = judge(
        &[
            ordering(Measure::StopTheWorld, "kip848", "eager"),
            ordering(Measure::LargestGap, "eager", "kip848"),
        ],
        &figures,
    );
    assert_eq!(verdicts[0].held, Held::Unjudged);
    assert_eq!(verdicts[0].detail, "`kip848` has no figure");
    assert_eq!(verdicts[1].held, Held::Unjudged);
    assert_eq!(verdicts[1].detail, "`eager` has no figure");
}

#[test]
fn a_run_that_measured_no_group_has_no_figures_and_wins_nothing() {
    let unmeasured = whole_run_figures("cooperative".to_owned(), &BTreeMap::new());
    assert!(unmeasured.ran);
    assert_eq!(unmeasured.stop_the_world_s, None);
    assert_eq!(unmeasured.paused_s, None);
    let verdicts = judge(
        &[ordering(Measure::StopTheWorld, "cooperative", "eager")],
        &[unmeasured, ran("eager", 3.1, None)],
    );
    assert_eq!(verdicts[0].held, Held::Unjudged);
}

#[test]
fn a_measured_group_without_pauses_has_zero_figures() {
    let quiet = Pause {
        stop_the_world_s: 0.0,
        paused_s: BTreeMap::new(),
        largest_gap: None,
        latency: None,
    };
    let figures = whole_run_figures(
        "cooperative".to_owned(),
        &BTreeMap::from([("cg".to_owned(), quiet)]),
    );
    assert_eq!(figures.stop_the_world_s, Some(0.0));
    assert_eq!(figures.paused_s, Some(0.0));
}
