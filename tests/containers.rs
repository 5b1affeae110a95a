//! The container targets on real Apache Kafka: no image can be pulled on our machines, so
//! `.ci/kafka-image.sh` builds `kafka-scenario/kafka:4.1.1` locally (a JRE and a Kafka
//! distribution assembled from Maven Central) behind the interface of testcontainers' Kafka
//! module. Scenarios run through the module's own path (one broker) and through `--brokers 3`
//! (a real three-node KRaft quorum on a Docker network), against the same snapshots as every
//! other target. Without a Docker engine or the image the tests are ignored with the reason.

mod common;

use std::process::ExitCode;

use common::requirements::{Component, kafka_image, needing};
use kafka_scenario::cluster::Target;
use kafka_scenario::cluster::container::{ContainerSettings, Flavour};
use libtest_mimic::{Arguments, Failed, Trial};

fn main() -> ExitCode {
    let arguments = Arguments::from_args();
    let mut trials = Vec::new();
    // Through the Kafka module itself: mapped port, advertised listener written after start.
    for file in ["key-partition.yaml", "poll.yaml"] {
        trials.push(trial("module", file, None));
    }
    // Three nodes started at once on their own network: replication is real.
    for file in ["rebalance.yaml", "acks.yaml"] {
        trials.push(trial("three_brokers", file, Some(3)));
    }
    let conclusion = libtest_mimic::run(&arguments, trials);
    common::shared::shut_down();
    conclusion.exit_code()
}

fn trial(kind: &str, file: &'static str, brokers: Option<usize>) -> Trial {
    let name = format!(
        "{kind}::{}",
        file.trim_end_matches(".yaml").replace('-', "_")
    );
    needing(Component::Docker, name, move || {
        passes_in_containers(file, brokers)
    })
}

fn passes_in_containers(file: &str, brokers: Option<usize>) -> Result<(), Failed> {
    let plan = common::plan(file);
    let launched = common::shared::launched(&Target::Container(ContainerSettings {
        flavour: Flavour::Kafka,
        image: Some(kafka_image()),
        brokers,
    }));
    let finished = common::shared::runtime()
        .block_on(common::run_launched(&plan, &launched))
        .map_err(|e| format!("{file} did not run: {e}"))?;
    common::assert_passed_and_matches_snapshot(&plan, &finished);
    Ok(())
}
