//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test crate compiles this module and uses a subset of it

pub mod broker;

use std::path::Path;

use kafka_scenario::cluster::{BootstrapCluster, BootstrapSettings, EmbeddedCluster};
use kafka_scenario::run::Silent;
use kafka_scenario::{Finished, Plan, RunError};

/// Says on the real stderr, past the test harness's capture, that a test skipped and why.
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// Loads a scenario file from `scenarios/`, panicking with the located error if it is invalid.
pub fn plan(file: &str) -> Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    kafka_scenario::load(&path).unwrap_or_else(|e| panic!("{file} does not load: {e}"))
}

/// Asserts a run passed and that its Outcome matches the scenario's one snapshot
/// (tests/snapshots/<scenario>.snap), shared by every target and test file.
pub fn assert_passed_and_matches_snapshot(plan: &Plan, finished: &Finished) {
    assert!(
        finished.passed(),
        "{} failed:\n{}",
        plan.file.display(),
        kafka_scenario::report::terminal::verdict(&plan.name, &finished.failures)
    );
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_yaml_snapshot!(plan.name.clone(), finished.outcome, {
            ".measurements" => "[timing-dependent, redacted]",
        });
    });
}

/// Runs a plan on a fresh embedded cluster.
pub async fn run_embedded(plan: &Plan) -> Result<Finished, RunError> {
    let cluster = EmbeddedCluster::start().expect("the embedded cluster starts");
    kafka_scenario::run(plan, &cluster, &mut Silent).await
}

/// Runs a plan on a broker reached by address, with run-unique names.
pub async fn run_bootstrap(plan: &Plan, address: &str) -> Result<Finished, RunError> {
    let cluster = BootstrapCluster::connect(BootstrapSettings {
        bootstrap: address.to_owned(),
        properties: Vec::new(),
        keep_names: false,
    })
    .await?;
    kafka_scenario::run(plan, &cluster, &mut Silent).await
}
