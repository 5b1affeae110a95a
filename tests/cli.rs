//! `scenario-run` end to end: exit codes and what it prints.

use std::path::PathBuf;
use std::process::{Command, Output};

fn scenario_run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scenario-run"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("scenario-run starts")
}

fn temp_scenario(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("kafka-scenario-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("temp file written");
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_wrong_expectation_exits_1_and_shows_expected_and_actual() {
    let file = temp_scenario(
        "wrong.yaml",
        "name: wrong
topics: { t: { partitions: 2 } }
defaults: { producer: { partitioner: murmur2_random } }
actors: { p: { producer: { topic: t, key: key1, count: 5 } } }
timeline:
  - produce: p
expect:
  produced: { p: 6 }
  keys: { t: { key1: 1 } }
",
    );
    let out = scenario_run(&[file.to_str().expect("utf-8 path")]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("FAIL wrong: 2 problem(s)"), "{stdout}");
    assert!(
        stdout.contains("records produced by p\n    - expected: 6\n    + actual:   5"),
        "{stdout}"
    );
    assert!(
        stdout.contains("partitions of key key1 on t\n    - expected: [1]\n    + actual:   [0]"),
        "{stdout}"
    );
}

#[test]
fn a_malformed_file_exits_2_with_line_and_column() {
    let file = temp_scenario(
        "malformed.yaml",
        "name: x\ntopics: { t: { partitions: 1 }\nactors: {}\n",
    );
    let out = scenario_run(&[file.to_str().expect("utf-8 path")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("malformed.yaml:3:"), "{stderr}");
}

#[test]
fn a_missing_file_exits_2() {
    let out = scenario_run(&["no/such/scenario.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read no/such/scenario.yaml"));
}

#[test]
fn an_unknown_cluster_without_a_profile_file_exits_2() {
    let out = scenario_run(&[
        "scenarios/key-partition.yaml",
        "--cluster",
        "nowhere",
        "--clusters",
        "no/such/clusters.yaml",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no cluster profile `nowhere`: cannot read no/such/clusters.yaml"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_profile_exits_2_listing_the_known_ones() {
    let file = temp_scenario(
        "clusters.yaml",
        "course: { bootstrap: 127.0.0.1:9092 }\nlocal: { bootstrap: 127.0.0.1:9093 }\n",
    );
    let out = scenario_run(&[
        "scenarios/key-partition.yaml",
        "--cluster",
        "cours",
        "--clusters",
        file.to_str().expect("utf-8"),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("known: embedded, course, local (did you mean `course`?)"),
        "{stderr}"
    );
}

#[test]
fn a_malformed_profile_exits_2_with_its_line() {
    let file = temp_scenario(
        "bad-clusters.yaml",
        "course: { bootstrap: 127.0.0.1:9092 }\nlocal: { bootstrp: 127.0.0.1:9093 }\n",
    );
    let out = scenario_run(&[
        "scenarios/key-partition.yaml",
        "--cluster",
        "local",
        "--clusters",
        file.to_str().expect("utf-8"),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad-clusters.yaml:2:"), "{stderr}");
    assert!(stderr.contains("unknown field `bootstrp`"), "{stderr}");
    assert!(
        stderr.contains("profiles found: embedded, course, local"),
        "{stderr}"
    );
}

#[test]
fn a_profile_reaches_its_cluster() {
    let file = temp_scenario(
        "closed-clusters.yaml",
        "closed: { bootstrap: 127.0.0.1:1 }\n",
    );
    let out = scenario_run(&[
        "scenarios/key-partition.yaml",
        "--cluster",
        "closed",
        "--clusters",
        file.to_str().expect("utf-8"),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot reach 127.0.0.1:1"), "{stderr}");
}

#[test]
fn a_scenario_needing_more_than_the_target_offers_exits_4() {
    let out = scenario_run(&["scenarios/partition-growth.yaml"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(
        stdout.contains("SKIP partition-growth: not runnable on embedded"),
        "{stdout}"
    );
    assert!(stdout.contains("needs create-partitions"), "{stdout}");
}

#[test]
fn a_passing_scenario_exits_0_and_prints_every_step() {
    let out = scenario_run(&["scenarios/key-partition.yaml"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout.matches("] line ").count(), 8, "{stdout}");
    assert!(stdout.ends_with("PASS key-partition\n"), "{stdout}");
}

#[test]
fn help_has_examples_and_exit_codes() {
    let out = scenario_run(&["--help"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("Examples:"), "{stdout}");
    assert!(stdout.contains("4 not runnable on this target"), "{stdout}");
}

#[test]
fn a_closed_bootstrap_port_exits_3_naming_the_address() {
    let out = scenario_run(&["scenarios/rebalance.yaml", "--bootstrap", "127.0.0.1:1"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot reach 127.0.0.1:1"), "{stderr}");
}

#[test]
fn keep_names_needs_a_bootstrap_target() {
    let out = scenario_run(&["scenarios/rebalance.yaml", "--keep-names"]);
    assert_eq!(out.status.code(), Some(2));
}
