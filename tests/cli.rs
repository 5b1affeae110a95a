//! `scenario-run` end to end: exit codes and what it prints.

use std::path::PathBuf;
use std::process::{Command, Output};

fn scenario_run(args: &[&str]) -> Output {
    scenario_run_at_home(args, None)
}

/// Runs scenario-run with `HOME` (where ~/.kube lives) pointing at `home`, when given.
fn scenario_run_at_home(args: &[&str], home: Option<&std::path::Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scenario-run"));
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("KUBECONFIG");
    if let Some(home) = home {
        command.env("HOME", home);
    }
    bounded_output(&mut command)
}

/// How long one `scenario-run` of these tests may take before it counts as hung.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

/// Runs the command to its end, failing the test if it has not ended within `PATIENCE`.
fn bounded_output(command: &mut Command) -> Output {
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("scenario-run starts");
    let deadline = std::time::Instant::now() + PATIENCE;
    while child.try_wait().expect("waitable").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("killed");
            panic!(
                "scenario-run hung for {PATIENCE:?}:\n{}{}",
                text(&output.stdout),
                text(&output.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("scenario-run ends")
}

/// A HOME whose ~/.kube/config has the contexts `lab` and `prod`, and ~/.kube/config-course.
fn kube_home(test: &str) -> PathBuf {
    let home = std::env::temp_dir().join(format!("kafka-scenario-{}-{test}", std::process::id()));
    let kube = home.join(".kube");
    std::fs::create_dir_all(&kube).expect("~/.kube");
    std::fs::write(
        kube.join("config"),
        "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts:\n- name: lab\n  context: {cluster: x, user: y}\n- name: prod\n  context: {cluster: x, user: y}\ncurrent-context: lab\n",
    )
    .expect("kubeconfig");
    std::fs::write(kube.join("config-course"), "").expect("kubeconfig");
    home
}

fn temp_scenario(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("kafka-scenario-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("temp file written");
    path
}

/// A scenario named `name` that sleeps 3 s, produces 3 records and expects 4.
fn failing_after_a_sleep(name: &str) -> String {
    format!(
        "name: {name}
topics: {{ t: {{ partitions: 1 }} }}
actors: {{ p: {{ producer: {{ topic: t, count: 3 }} }} }}
timeline:
  - sleep: 3s
  - produce: p
  - expect: {{ produced: {{ p: 4 }} }}
"
    )
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
fn a_failed_inline_expectation_points_at_its_step_like_a_load_error() {
    let file = temp_scenario(
        "inline.yaml",
        "name: inline
topics: { t: { partitions: 1 } }
actors: { p: { producer: { topic: t, count: 5 } } }
timeline:
  - produce: p
  - expect: { produced: { p: 6 } }
",
    );
    let path = file.to_str().expect("utf-8 path");
    let out = scenario_run(&[path]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("✗ records produced by p: expected 6, got 5"),
        "no live failure line: {stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "{path}:6:5: records produced by p\n    6 |   - expect: {{ produced: {{ p: 6 }} }}\n      |     ^\n    - expected: 6\n    + actual:   5"
        )),
        "{stdout}"
    );
}

#[test]
fn report_writes_junit_and_json_for_every_scenario() {
    let passing = temp_scenario(
        "report-pass.yaml",
        "name: report-pass
topics: { t: { partitions: 1 } }
actors: { p: { producer: { topic: t, count: 3 } } }
timeline:
  - produce: p
expect:
  produced: { p: 3 }
",
    );
    let failing = temp_scenario("report-fail.yaml", &failing_after_a_sleep("report-fail"));
    let growth = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/partition-growth.yaml"
    );
    let dir = std::env::temp_dir().join(format!("kafka-scenario-{}-report", std::process::id()));
    let out = scenario_run(&[
        passing.to_str().expect("utf-8 path"),
        failing.to_str().expect("utf-8 path"),
        growth,
        "--report",
        dir.to_str().expect("utf-8 path"),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));

    let xml = std::fs::read_to_string(dir.join("junit.xml")).expect("junit.xml written");
    let junit = quick_junit::Report::deserialize_from_str(&xml).expect("junit.xml parses");
    assert_eq!(
        (junit.tests, junit.failures, junit.errors),
        (3, 1, 0),
        "{xml}"
    );
    let cases: Vec<&str> = junit.test_suites[0]
        .test_cases
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(cases, ["report-pass", "report-fail", "partition-growth"]);
    assert!(
        xml.contains("line 7: records produced by p: expected 4, actual 3"),
        "{xml}"
    );

    let json = std::fs::read_to_string(dir.join("results.json")).expect("results.json written");
    let results: serde_json::Value = serde_json::from_str(&json).expect("results.json parses");
    let statuses: Vec<&str> = results["scenarios"]
        .as_array()
        .expect("a list of scenarios")
        .iter()
        .map(|s| s["verdict"]["status"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(statuses, ["passed", "failed", "not_runnable"]);
    let events = results["scenarios"][0]["events"]
        .as_array()
        .expect("events");
    assert!(
        events.iter().any(|e| e["kind"].get("produced").is_some()),
        "no produced event in {json}"
    );
    assert_eq!(results["scenarios"][1]["failures"][0]["line"], 7);

    let html = std::fs::read_to_string(dir.join("index.html")).expect("index.html written");
    assert_eq!(
        html.matches("<svg class=\"timeline\"").count(),
        2,
        "a timeline for each scenario that ran"
    );
    let _ = std::fs::remove_dir_all(&dir);
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
        stderr.contains("no cluster `nowhere`: tried profiles in no/such/clusters.yaml"),
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
        stderr.contains("(known: embedded, course, local, did you mean `course`?)"),
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
fn a_profile_with_a_closed_port_exits_3_saying_it_cannot_reach_it() {
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
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the following required arguments were not provided")
            && stderr.contains("--bootstrap <HOST:PORT>"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_cluster_exits_2_naming_everything_it_tried() {
    let home = kube_home("unknown");
    let out = scenario_run_at_home(
        &["scenarios/rebalance.yaml", "--cluster", "nosuchcluster"],
        Some(&home),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no cluster `nosuchcluster`: tried profiles in clusters.yaml"),
        "{stderr}"
    );
    assert!(
        stderr.contains(".kube/config-nosuchcluster (no such file)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("a context `nosuchcluster` in the kubeconfig (contexts found: lab, prod)"),
        "{stderr}"
    );
}

/// The KafkaTopic documents of a dry run.
fn dry_run_topics(args: &[&str], home: &std::path::Path) -> Vec<serde_json::Value> {
    let out = scenario_run_at_home(args, Some(home));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    stdout
        .split("---\n")
        .filter(|doc| !doc.trim().is_empty())
        .map(|doc| serde_yaml::from_str(doc).expect("valid YAML"))
        .collect()
}

#[test]
fn dry_run_prints_kafka_topics_with_run_unique_names() {
    let home = kube_home("dry-run");
    let topics = dry_run_topics(
        &[
            "--dry-run",
            "scenarios/rebalance.yaml",
            "--cluster",
            "course",
        ],
        &home,
    );
    assert_eq!(topics.len(), 1);
    let topic = &topics[0];
    assert_eq!(topic["apiVersion"], "kafka.strimzi.io/v1beta2");
    assert_eq!(topic["kind"], "KafkaTopic");
    let name = topic["metadata"]["name"].as_str().expect("name");
    let suffix = name
        .strip_prefix("edu-topic13-")
        .expect("keeps the edu prefix and the scenario name");
    assert_eq!(suffix.len(), 4, "{name}");
    assert_eq!(topic["metadata"]["labels"]["kafka-scenario/run"], suffix);
    assert_eq!(
        topic["metadata"]["labels"]["strimzi.io/cluster"],
        "my-cluster"
    );
    assert_eq!(topic["metadata"]["namespace"], "kafka");
    assert_eq!(topic["spec"]["partitions"], 3);
    assert_eq!(topic["spec"]["replicas"], 2);
    assert_eq!(topic["spec"]["config"]["retention.ms"], "7200000");
}

#[test]
fn a_kube_profile_sets_namespace_and_kafka_cluster() {
    let home = kube_home("kube-profile");
    let file = temp_scenario(
        "kube-clusters.yaml",
        "ktdseducluster:\n  kube: { kubeconfig: ~/.kube/config-course, namespace: edu, kafka: edu-cluster, listener: external }\n  user: edu-user\n  keep_names: true\n",
    );
    let topics = dry_run_topics(
        &[
            "--dry-run",
            "scenarios/key-partition.yaml",
            "--cluster",
            "ktdseducluster",
            "--clusters",
            file.to_str().expect("utf-8"),
        ],
        &home,
    );
    let names: Vec<&str> = topics
        .iter()
        .filter_map(|t| t["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["edu-topic13-a", "edu-topic13-a2"]);
    assert!(topics.iter().all(|t| t["metadata"]["namespace"] == "edu"));
    assert!(
        topics
            .iter()
            .all(|t| t["metadata"]["labels"]["strimzi.io/cluster"] == "edu-cluster")
    );
}

#[test]
fn dry_run_needs_a_kubernetes_cluster() {
    let out = scenario_run(&["--dry-run", "scenarios/rebalance.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--dry-run prints KafkaTopic manifests"));
}

#[test]
fn without_docker_a_container_target_exits_3_saying_how_to_fix_it() {
    let out = bounded_output(
        Command::new(env!("CARGO_BIN_EXE_scenario-run"))
            .args(["scenarios/rebalance.yaml", "--cluster", "kafka"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock"),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("Docker is not reachable at unix:///nonexistent/docker.sock"),
        "{stderr}"
    );
    assert!(stderr.contains("start the Docker engine"), "{stderr}");
}

#[test]
fn kafka_local_without_a_distribution_exits_3_saying_how_to_get_one() {
    let out = scenario_run(&[
        "scenarios/key-partition.yaml",
        "--cluster",
        "kafka-local",
        "--kafka-home",
        "/nonexistent/kafka",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("/nonexistent/kafka (--kafka-home) is not a Kafka distribution"),
        "{stderr}"
    );
    assert!(stderr.contains("tools/kafka/assemble 4.1.1"), "{stderr}");
}

#[test]
fn kafka_local_without_java_exits_3_saying_what_to_install() {
    let home = std::env::temp_dir().join(format!("kafka-scenario-nojava-{}", std::process::id()));
    std::fs::create_dir_all(home.join("libs")).expect("libs/");
    std::fs::write(home.join("libs/kafka_2.13-4.1.1.jar"), "").expect("a jar name");
    let out = bounded_output(
        Command::new(env!("CARGO_BIN_EXE_scenario-run"))
            .args(["scenarios/key-partition.yaml", "--cluster", "kafka-local"])
            .arg("--kafka-home")
            .arg(&home)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("PATH", "/nonexistent")
            .env("JAVA_HOME", "/nonexistent"),
    );
    let _ = std::fs::remove_dir_all(&home);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot run java"), "{stderr}");
    assert!(
        stderr.contains("install a Java runtime 17 or newer"),
        "{stderr}"
    );
}

#[test]
fn kafka_home_on_another_target_is_a_usage_error() {
    let out = scenario_run(&["scenarios/key-partition.yaml", "--kafka-home", "/opt/kafka"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--kafka-home is for kafka-local, not for --cluster embedded"),
        "{stderr}"
    );
}

#[test]
fn brokers_on_the_embedded_target_is_a_usage_error() {
    let out = scenario_run(&["scenarios/key-partition.yaml", "--brokers", "3"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--brokers is for kafka and kafka-local, not for --cluster embedded"),
        "{stderr}"
    );
}

#[test]
fn broker_faults_on_a_target_that_does_not_own_its_brokers_exit_4() {
    let out = scenario_run(&["scenarios/acks-durability.yaml"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(
        stdout.contains("SKIP acks-durability: not runnable on embedded"),
        "{stdout}"
    );
    assert!(stdout.contains("needs brokers of its own"), "{stdout}");
    // Known before connecting: nothing is started or reached for it.
    let out = scenario_run(&["scenarios/min-insync.yaml", "--bootstrap", "127.0.0.1:1"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}");
    assert!(
        stdout.contains("SKIP min-insync: not runnable on --bootstrap 127.0.0.1:1"),
        "{stdout}"
    );
}

#[test]
fn jobs_run_scenarios_at_once_and_print_each_whole() {
    let passing = temp_scenario(
        "jobs-passing.yaml",
        "name: jobs-passing
topics: { t: { partitions: 1 } }
actors: { p: { producer: { topic: t, count: 3 } } }
timeline:
  - sleep: 2s
  - produce: p
  - sleep: 1s
",
    );
    let failing = temp_scenario("jobs-failing.yaml", &failing_after_a_sleep("jobs-failing"));
    let paths = [
        passing.to_str().expect("utf-8 path"),
        failing.to_str().expect("utf-8 path"),
    ];
    let started = std::time::Instant::now();
    let out = scenario_run(&[paths[0], paths[1], "--jobs", "2"]);
    let took = started.elapsed();
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the failing one fails: {stdout}"
    );
    // Each run's lines stay together: its RUN line, its steps, its verdict.
    let blocks: Vec<&str> = stdout.split("RUN  ").skip(1).collect();
    assert_eq!(blocks.len(), 2, "{stdout}");
    let failing_block = blocks
        .iter()
        .find(|b| b.starts_with("jobs-failing"))
        .expect("the failing run's block");
    assert!(failing_block.contains("FAIL jobs-failing"), "{stdout}");
    assert_eq!(failing_block.matches("] line ").count(), 3, "{stdout}");
    let passing_block = blocks
        .iter()
        .find(|b| b.starts_with("jobs-passing"))
        .expect("the passing run's block");
    assert_eq!(passing_block.matches("] line ").count(), 3, "{stdout}");
    assert!(passing_block.contains("PASS jobs-passing"), "{stdout}");
    // Their sleeps add up to 6 s: no run of one after the other can take less, whatever the
    // machine; side by side they take about 3 s and what starting them costs.
    let sleeps = std::time::Duration::from_secs(2 + 1 + 3);
    assert!(
        took < sleeps,
        "two at once took {took:?}, no less than their sleeps one after the other ({sleeps:?})"
    );
    // A sleep would have a progress bar on a terminal; stderr is a pipe here.
    assert!(
        !text(&out.stderr).contains("sleep"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_course_clients_scenario_without_its_var_is_skipped_with_exit_4_naming_it() {
    let output = scenario_run(&["scenarios/course-clients/rebalance.yaml"]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(4), "{stdout}");
    assert!(
        stdout.contains("SKIP course-rebalance: not runnable without --var course=..."),
        "{stdout}"
    );
}

#[test]
fn a_course_clients_scenario_needs_sasl_credentials_on_a_target_without_them() {
    let output = scenario_run(&[
        "scenarios/course-clients/rebalance.yaml",
        "--var",
        "course=clients/course",
    ]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(4), "{stdout}");
    assert!(stdout.contains("needs SASL credentials"), "{stdout}");
}

#[test]
fn scram_is_for_kafka_local_only() {
    let output = scenario_run(&["scenarios/poll.yaml", "--cluster", "embedded", "--scram"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("--scram is for kafka-local"),
        "{}",
        text(&output.stderr)
    );
}

/// A crowd of six, all started, two of them drawn and stopped.
const DRAWING: &str = "name: drawing
topics: { t: { partitions: 6 } }
actors: { w: { consumer: { group: g, topics: [t], members: 6 } } }
timeline:
  - start: w
  - stop: { actor: w, members: 2, which: drawn }
  - stop: w
";

/// The seed the `RUN` line of `stdout` printed, and the line of its drawn stop.
fn drawn(stdout: &str) -> (u64, String) {
    let seed = stdout
        .lines()
        .find_map(|l| {
            l.split_once("members drawn with --seed ")
                .map(|(_, s)| s.to_owned())
        })
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("no seed on a RUN line: {stdout}"));
    let stop = stdout
        .lines()
        .find(|l| l.contains("line 6 "))
        .unwrap_or_else(|| panic!("no line for the drawn stop: {stdout}"));
    let stop = stop.split_once("line 6 ").map_or("", |(_, s)| s);
    let stop = stop.trim_start().split("  |").next().unwrap_or("");
    (seed, stop.trim().to_owned())
}

#[test]
fn a_run_that_draws_members_prints_its_seed_and_the_seed_draws_them_again() {
    let file = temp_scenario("drawing.yaml", DRAWING);
    let path = file.to_str().expect("utf-8 path");
    let out = scenario_run(&[path]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let (seed, first) = drawn(&text(&out.stdout));
    assert!(first.starts_with("stop 2 of w: "), "{first}");
    // What the seed draws when the file is loaded with it.
    let plan = &kafka_scenario::scenario::load_seeded(&file, seed)
        .expect("valid")
        .plans[0];
    let planned: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| s.line == 6)
        .map(|s| s.action.on_actor().expect("a stop").1.to_owned())
        .collect();
    assert_eq!(
        first,
        kafka_scenario::report::results::crowd_step_text("stop", "w", &plan.crowds["w"], &planned)
    );
    let report =
        std::env::temp_dir().join(format!("kafka-scenario-{}-drawing", std::process::id()));
    let again = scenario_run(&[
        path,
        "--seed",
        &seed.to_string(),
        "--report",
        report.to_str().expect("utf-8"),
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stdout));
    assert_eq!(drawn(&text(&again.stdout)), (seed, first));
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(report.join("results.json")).expect("results.json written"),
    )
    .expect("JSON");
    assert_eq!(results["scenarios"][0]["seed"], seed);
    let _ = std::fs::remove_dir_all(report);
    let _ = std::fs::remove_file(file);
}

#[test]
fn a_crowd_past_the_open_files_limit_exits_3_naming_the_limit() {
    use std::os::unix::process::CommandExt;
    let file = temp_scenario(
        "crowd-files.yaml",
        "name: crowd-files
topics: { t: { partitions: 4 } }
actors: { w: { consumer: { group: g, topics: [t], members: 40 } } }
timeline:
  - start: w
  - stop: w
",
    );
    let mut command = Command::new(env!("CARGO_BIN_EXE_scenario-run"));
    command.arg(&file).current_dir(env!("CARGO_MANIFEST_DIR"));
    // SAFETY: between fork and exec only async-signal-safe calls: prctl and setrlimit.
    unsafe {
        command.pre_exec(|| {
            // As root, scenario-run would raise its hard limit again; without CAP_SYS_RESOURCE
            // it cannot. Not being root, the call fails and the hard limit binds anyway.
            let _ = libc::prctl(libc::PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0);
            let limit = libc::rlimit {
                rlim_cur: 300,
                rlim_max: 300,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let out = bounded_output(&mut command);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(stderr.contains("open files in use"), "{stderr}");
    assert!(stderr.contains("of its 300 open files"), "{stderr}");
    assert!(stderr.contains("ulimit -n"), "{stderr}");
    let _ = std::fs::remove_file(file);
}

/// The capability that lets a process raise its hard limits (linux/capability.h).
const CAP_SYS_RESOURCE: libc::c_ulong = 24;

#[test]
fn jobs_with_kept_names_exit_2_before_reaching_any_cluster() {
    for command in [
        vec!["scenarios/key-partition.yaml"],
        vec!["explore", "scenarios/explore/group.yaml"],
    ] {
        let mut args = command;
        args.extend(["--bootstrap", "127.0.0.1:1", "--keep-names", "--jobs", "2"]);
        let out = scenario_run(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("would share their topics and groups"),
            "{stderr}"
        );
    }
}
