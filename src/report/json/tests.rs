//! Golden output of `results.json`: the bytes `write_results_json` writes for the failing
//! variant of the fixed run of `report::fixture` (verdict, failures, the Outcome with its
//! measurements, every event spelt out a record at a time, the steps) and the comparison of
//! both variants, pinned whole instead of by substrings. The entry of the passing variant is
//! left out: it has the same shape, and its events are as long again. Only the harness version
//! is replaced, as it changes with every release; the run's times are the fixture's own fixed
//! offsets, nothing measured, so they are pinned too.

use super::*;
use crate::report::fixture::golden;

#[test]
fn results_json_of_the_failing_run() {
    let golden = golden();
    let results = golden.results();
    let failing = &results[1];
    assert_eq!(failing.scenario, "handover@cooperative");
    let mut out = Vec::new();
    write_results_json(&mut out, std::slice::from_ref(failing), &golden.comparisons)
        .expect("writes");
    let text = String::from_utf8(out).expect("JSON is UTF-8");
    let version = format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&version), "the version is written");
    insta::assert_snapshot!(
        "results_json",
        text.replace(&version, "\"version\": \"[version]\"")
    );
}
