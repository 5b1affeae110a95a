//! Ctrl+C half way through a run on a real broker leaves none of the run's topics behind.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

fn topics_on(address: &str) -> Vec<String> {
    let client: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", address)
        .create()
        .expect("metadata client");
    let metadata = client
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("metadata");
    metadata
        .topics()
        .iter()
        .map(|t| t.name().to_owned())
        .collect()
}

#[test]
fn ctrl_c_half_way_removes_the_topics_the_run_created() {
    let Some(broker) = common::broker::Nisshi::start("ctrl_c_half_way") else {
        return;
    };
    let mut run = Command::new(env!("CARGO_BIN_EXE_scenario-run"))
        .args(["scenarios/rebalance.yaml", "--bootstrap", &broker.address])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("scenario-run starts");
    let stdout = run.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        let half_way = line.contains("start consumer3");
        seen.push(line);
        if half_way {
            break;
        }
    }
    let during = topics_on(&broker.address);
    assert!(
        during.iter().any(|t| t.starts_with("edu-topic13-")),
        "the run's topic exists while it runs: {during:?}\n{}",
        seen.join("\n")
    );
    let interrupted = Command::new("kill")
        .args(["-INT", &run.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let output = run.wait_with_output().expect("scenario-run ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("interrupted: removing what this run created (its topics or containers)"),
        "{stderr}"
    );
    let after = topics_on(&broker.address);
    assert!(
        !after.iter().any(|t| t.starts_with("edu-topic13")),
        "topics left behind: {after:?}"
    );
}
