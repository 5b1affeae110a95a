//! Every scenario in `scenarios/` runs on the embedded cluster and on a second, separately built
//! broker (nisshi, skipped with a message when it is not installed). Both runs must pass their
//! own expectations and match the same snapshot (measurements redacted): one Outcome for all
//! targets.

mod common;

use std::collections::BTreeSet;

use kafka_scenario::scenario::plan::Capability;
use kafka_scenario::{Finished, Outcome, RunError};

#[derive(Clone, Copy)]
enum Target {
    Embedded,
    Nisshi,
}

/// Runs a scenario file on a target; `None` when the target is not available here.
async fn run_on(target: Target, file: &str) -> Option<Result<Finished, RunError>> {
    let plan = common::plan(file);
    match target {
        Target::Embedded => Some(common::run_embedded(&plan).await),
        Target::Nisshi => {
            let broker = common::broker::Nisshi::start(file)?;
            Some(common::run_bootstrap(&plan, &broker.address).await)
        }
    }
}

/// Runs a course scenario, asserts it passed and matches the snapshot shared by all targets.
async fn passes_and_matches_snapshot(target: Target, file: &str) -> Option<Outcome> {
    let plan = common::plan(file);
    let finished = run_on(target, file)
        .await?
        .unwrap_or_else(|e| panic!("{file} did not run: {e}"));
    common::assert_passed_and_matches_snapshot(&plan, &finished);
    Some(finished.outcome)
}

/// The scenarios snapshot-asserted on every target; each gets a test per target below.
macro_rules! on_every_target {
    ($($embedded:ident, $nisshi:ident => $file:literal;)*) => {
        const SNAPSHOTTED: &[&str] = &[$($file),*];
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $embedded() {
                passes_and_matches_snapshot(Target::Embedded, $file).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn $nisshi() {
                passes_and_matches_snapshot(Target::Nisshi, $file).await;
            }
        )*
    };
}

on_every_target! {
    rebalance_on_embedded, rebalance_on_nisshi => "rebalance.yaml";
    key_partition_on_embedded, key_partition_on_nisshi => "key-partition.yaml";
    acks_on_embedded, acks_on_nisshi => "acks.yaml";
    offset_reset_on_embedded, offset_reset_on_nisshi => "offset-reset.yaml";
    poll_on_embedded, poll_on_nisshi => "poll.yaml";
    auto_commit_on_embedded, auto_commit_on_nisshi => "auto-commit.yaml";
    manual_commit_on_embedded, manual_commit_on_nisshi => "manual-commit.yaml";
}

const WITH_OWN_TESTS: &[&str] = &["batch-linger.yaml", "partition-growth.yaml"];

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
        .chain(WITH_OWN_TESTS)
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(on_disk, covered);
}

/// Doubling batch.size with a long linger.ms roughly halves the produce requests.
async fn fewer_requests_with_larger_batches(target: Target) {
    let Some(outcome) = passes_and_matches_snapshot(target, "batch-linger.yaml").await else {
        return;
    };
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
async fn batch_linger_on_embedded() {
    fewer_requests_with_larger_batches(Target::Embedded).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_linger_on_nisshi() {
    fewer_requests_with_larger_batches(Target::Nisshi).await;
}

/// Neither the mock nor nisshi 0.8.1 answers CreatePartitions: the scenario must be reported
/// not runnable, before anything is created, never as passed.
async fn partition_growth_is_not_runnable(target: Target) {
    let Some(result) = run_on(target, "partition-growth.yaml").await else {
        return;
    };
    match result {
        Err(RunError::NotRunnable { missing, .. }) => {
            assert_eq!(missing, vec![Capability::CreatePartitions]);
        }
        Err(e) => panic!("expected not runnable, got {e}"),
        Ok(_) => panic!("partition-growth ran on a target that cannot add partitions"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn partition_growth_on_embedded() {
    partition_growth_is_not_runnable(Target::Embedded).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn partition_growth_on_nisshi() {
    partition_growth_is_not_runnable(Target::Nisshi).await;
}
