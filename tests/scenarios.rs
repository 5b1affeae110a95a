//! Every scenario in `scenarios/` runs on the embedded cluster; its Outcome is snapshot-asserted
//! (measurements redacted) and its own expectations must hold.

mod common;

use std::collections::BTreeSet;

use kafka_scenario::RunError;
use kafka_scenario::scenario::plan::Capability;

/// Runs a course scenario, asserts it passed and snapshots its outcome.
async fn passes_and_matches_snapshot(file: &str) -> kafka_scenario::Outcome {
    let plan = common::plan(file);
    let finished = common::run_embedded(&plan)
        .await
        .unwrap_or_else(|e| panic!("{file} did not run: {e}"));
    assert!(
        finished.passed(),
        "{file} failed:\n{}",
        kafka_scenario::report::terminal::verdict(&plan.name, &finished.failures)
    );
    insta::assert_yaml_snapshot!(plan.name.clone(), finished.outcome, {
        ".measurements" => "[timing-dependent, redacted]",
    });
    finished.outcome
}

const SNAPSHOTTED: &[&str] = &[
    "rebalance.yaml",
    "key-partition.yaml",
    "acks.yaml",
    "batch-linger.yaml",
    "offset-reset.yaml",
    "poll.yaml",
    "auto-commit.yaml",
    "manual-commit.yaml",
];
const NOT_RUNNABLE_ON_EMBEDDED: &[&str] = &["partition-growth.yaml"];

#[test]
fn every_scenario_file_is_covered_by_a_test() {
    let on_disk: BTreeSet<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
            .expect("scenarios/ is readable")
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".yaml"))
            .collect();
    let covered: BTreeSet<String> = SNAPSHOTTED
        .iter()
        .chain(NOT_RUNNABLE_ON_EMBEDDED)
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(on_disk, covered);
}

#[tokio::test(flavor = "multi_thread")]
async fn rebalance() {
    passes_and_matches_snapshot("rebalance.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn key_partition() {
    passes_and_matches_snapshot("key-partition.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn acks() {
    passes_and_matches_snapshot("acks.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_linger_needs_fewer_requests_with_larger_batches() {
    let outcome = passes_and_matches_snapshot("batch-linger.yaml").await;
    let requests: Vec<i64> = outcome
        .measurements
        .bursts
        .iter()
        .map(|b| {
            b.produce_requests
                .expect("statistics report produce requests")
        })
        .collect();
    assert_eq!(requests.len(), 3);
    // Doubling batch.size with a long linger.ms roughly halves the requests.
    assert!(
        requests[0] as f64 > 1.5 * requests[1] as f64,
        "{requests:?}"
    );
    assert!(
        requests[1] as f64 > 1.5 * requests[2] as f64,
        "{requests:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn offset_reset() {
    passes_and_matches_snapshot("offset-reset.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn poll() {
    passes_and_matches_snapshot("poll.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_commit() {
    passes_and_matches_snapshot("auto-commit.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn manual_commit() {
    passes_and_matches_snapshot("manual-commit.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn partition_growth_is_reported_not_runnable_on_embedded() {
    let plan = common::plan("partition-growth.yaml");
    match common::run_embedded(&plan).await {
        Err(RunError::NotRunnable { missing, .. }) => {
            assert_eq!(missing, vec![Capability::CreatePartitions]);
        }
        Err(e) => panic!("expected not runnable, got {e}"),
        Ok(_) => panic!("partition-growth ran on a target that cannot add partitions"),
    }
}
