use super::*;

/// Twelve members: ten started, the three newest stopped, one more started, a sleep.
const CROWD: &str = "\
name: t
topics:
  orders: { partitions: 4 }
actors:
  workers: { consumer: { group: g, topics: [orders], members: 12 } }
timeline:
  - start: { actor: workers, members: 10 }
  - stop: { actor: workers, members: 3, which: newest }
  - start: { actor: workers, members: 1 }
  - sleep: 1s
";

/// Every planned step of `plan` ran for 100 ms, one after the other.
fn timings(plan: &Plan) -> Vec<StepTiming> {
    (0u64..)
        .zip(&plan.steps)
        .map(|(n, step)| StepTiming {
            line: step.line,
            step: step.text.clone(),
            started: Duration::from_millis(100 * n),
            took: Duration::from_millis(100),
        })
        .collect()
}

#[test]
fn a_step_naming_a_crowd_is_one_step_from_its_first_member_to_its_last() {
    let scenario = crate::scenario::load_str(std::path::Path::new("t.yaml"), CROWD.to_owned())
        .expect("a valid scenario");
    let plan = &scenario.plans[0];
    assert_eq!(plan.steps.len(), 10 + 3 + 1 + 1);
    let views = step_views(plan, &timings(plan));
    let seen: Vec<(usize, &str, f64, f64)> = views
        .iter()
        .map(|v| (v.line, v.step.as_str(), v.started_s, v.seconds))
        .collect();
    assert_eq!(
        seen,
        [
            (7, "start 10 of workers: 01-10", 0.0, 1.0),
            (8, "stop 3 of workers: 08-10", 1.0, 0.3),
            (9, "start 1 of workers: 08", 1.3, 0.1),
            (10, "sleep 1s", 1.4, 0.1),
        ]
    );
}

#[test]
fn a_run_that_ended_inside_a_crowd_step_names_the_members_it_reached() {
    let scenario = crate::scenario::load_str(std::path::Path::new("t.yaml"), CROWD.to_owned())
        .expect("a valid scenario");
    let plan = &scenario.plans[0];
    let views = step_views(plan, &timings(plan)[..4]);
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].step, "start 4 of workers: 01-04");
}
