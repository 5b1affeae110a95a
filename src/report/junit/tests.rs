use quick_junit::Report;

use super::*;

fn result(name: &str, verdict: Verdict, failures: Vec<FailureView>) -> ScenarioResult {
    ScenarioResult {
        scenario: name.into(),
        variant: None,
        file: format!("scenarios/{name}.yaml"),
        target: "embedded".into(),
        verdict,
        seconds: 1.5,
        failures,
        outcome: None,
        events: Default::default(),
        steps: Vec::new(),
        processes: Default::default(),
        seed: None,
        crowds: Default::default(),
        members_at_checkpoints: Vec::new(),
    }
}

#[test]
fn one_testcase_per_scenario_with_failures_skips_and_errors_as_such() {
    let results = vec![
        result("ok", Verdict::Passed, Vec::new()),
        result(
            "wrong",
            Verdict::Failed,
            vec![FailureView {
                line: Some(12),
                what: "assignment of consumer1".into(),
                expected: Some("[0]".into()),
                actual: Some("[0, 1]".into()),
            }],
        ),
        result(
            "growth",
            Verdict::NotRunnable("needs create-partitions".into()),
            Vec::new(),
        ),
        result("broken", Verdict::Error("broker died".into()), Vec::new()),
    ];
    let xml = junit(&results, &[]).expect("serializes");
    let report = Report::deserialize_from_str(&xml).expect("a JUnit consumer reads it back");
    assert_eq!(report.tests, 4);
    assert_eq!(report.failures, 1);
    assert_eq!(report.errors, 1);
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "embedded");
    let wrong = &suite.test_cases[1];
    assert_eq!(wrong.name.as_str(), "wrong");
    match &wrong.status {
        TestCaseStatus::NonSuccess {
            message,
            description,
            ..
        } => {
            let message = message.as_ref().map(|m| m.as_str()).unwrap_or_default();
            assert!(
                message.contains("scenarios/wrong.yaml: line 12: assignment of consumer1"),
                "{message}"
            );
            let description = description.as_ref().map(|d| d.as_str()).unwrap_or_default();
            assert!(
                description.contains("expected [0], actual [0, 1]"),
                "{description}"
            );
        }
        other => panic!("not a failure: {other:?}"),
    }
    assert!(matches!(
        suite.test_cases[2].status,
        TestCaseStatus::Skipped { .. }
    ));
}

/// Golden output: the whole `junit.xml` of the fixed run of `report::fixture`, its passing and
/// failing variant and their comparison with an ordering that did not hold.
#[test]
fn junit_xml_of_the_fixed_run() {
    let golden = crate::report::fixture::golden();
    let xml = junit(&golden.results(), &golden.comparisons).expect("serializes");
    insta::assert_snapshot!("junit_xml", xml);
}
