//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test crate compiles this module and uses a subset of it

pub mod control_plane;
pub mod language_server;
pub mod requirements;
pub mod shared;
pub mod stand_in_operator;

use std::path::{Path, PathBuf};

use kafka_scenario::cluster::{EmbeddedCluster, Launched};
use kafka_scenario::run::Silent;
use kafka_scenario::{Finished, Plan, RunError, Scenario};

/// Loads a scenario file without variants from `scenarios/`, panicking with the located error
/// if it is invalid.
pub fn plan(file: &str) -> Plan {
    let mut scenario = scenario_at(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(file),
    );
    assert_eq!(scenario.plans.len(), 1, "{file} has variants");
    scenario.plans.remove(0)
}

/// The scenario files directly in `scenarios/<dir>` (`""` for `scenarios/` itself), sorted.
pub fn scenario_files(dir: &str) -> Vec<PathBuf> {
    yaml_files(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(dir),
    )
}

/// The `.yaml` files directly in `dir`, sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{} is not readable: {e}", dir.display()))
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// Every scenario file of the repository: `scenarios/`, each folder in it, and the benches'.
pub fn repo_scenarios() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenarios = root.join("scenarios");
    let mut files = yaml_files(&scenarios);
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&scenarios)
        .unwrap_or_else(|e| panic!("{} is not readable: {e}", scenarios.display()))
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        files.extend(yaml_files(&folder));
    }
    files.extend(yaml_files(&root.join("benches/scenarios")));
    files
}

/// The `# yaml-language-server: $schema=...` line a file of the repository needs, relative to
/// where it is.
pub fn schema_line(file: &Path) -> String {
    let depth = file
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .map(|relative| relative.components().count() - 1)
        .unwrap_or_default();
    format!(
        "# yaml-language-server: $schema={}{}",
        "../".repeat(depth),
        kafka_scenario::scenario::schema::SCHEMA_PATH
    )
}

/// A test name for a scenario file: its stem, `-` made `_`.
pub fn test_name(file: &Path) -> String {
    file.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("?")
        .replace('-', "_")
}

/// Loads a scenario file, panicking with the located error if it is invalid.
pub fn scenario_at(path: &Path) -> Scenario {
    kafka_scenario::load(path).unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()))
}

/// Asserts a run passed and that its Outcome matches the scenario's one snapshot
/// (tests/snapshots/<scenario>.snap, or <scenario>@<variant>.snap), shared by every target and
/// test file.
pub fn assert_passed_and_matches_snapshot(plan: &Plan, finished: &Finished) {
    assert!(
        finished.passed(),
        "{} failed:\n{}",
        plan.file.display(),
        kafka_scenario::report::terminal::verdict(plan, &finished.failures)
    );
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_yaml_snapshot!(plan.label(), finished.outcome, {
            ".measurements" => "[timing-dependent, redacted]",
        });
    });
}

/// Runs a plan on a fresh embedded cluster.
pub async fn run_embedded(plan: &Plan) -> Result<Finished, RunError> {
    let cluster = EmbeddedCluster::start().expect("the embedded cluster starts");
    kafka_scenario::run(plan, &cluster, &mut Silent).await
}

/// Runs a plan on a launched target, as `scenario-run` runs each of its scenarios.
pub async fn run_launched(plan: &Plan, launched: &Launched) -> Result<Finished, RunError> {
    let cluster = launched.connect(plan).await?;
    kafka_scenario::run(plan, cluster.as_ref(), &mut Silent).await
}
