//! The container targets, for real: every snapshotted scenario on a broker in a container
//! started through testcontainers' Kafka module, against the same snapshots as every other
//! target. No image can be pulled on the CI machines, so `.ci/run` builds a local image that
//! runs nisshi behind the Kafka module's interface and names it in KAFKA_SCENARIO_KAFKA_IMAGE.
//! Without a Docker engine the tests say so and skip, unless KAFKA_SCENARIO_REQUIRE_DOCKER=1.

mod common;

use kafka_scenario::cluster::container::{
    ContainerCluster, ContainerSettings, Flavour, check_docker,
};
use kafka_scenario::run::Silent;

/// The container target, or `None` (saying why) when Docker is not there.
fn settings(test: &str) -> Option<ContainerSettings> {
    if let Err(e) = check_docker() {
        assert!(
            std::env::var("KAFKA_SCENARIO_REQUIRE_DOCKER").as_deref() != Ok("1"),
            "KAFKA_SCENARIO_REQUIRE_DOCKER=1 but {e}"
        );
        common::skipped(test, &e.to_string());
        return None;
    }
    Some(ContainerSettings {
        flavour: Flavour::Kafka,
        image: std::env::var("KAFKA_SCENARIO_KAFKA_IMAGE").ok(),
        brokers: None,
    })
}

async fn passes_in_a_container(file: &str) {
    let Some(settings) = settings(file) else {
        return;
    };
    passes_with(file, &settings).await;
}

async fn passes_with(file: &str, settings: &ContainerSettings) {
    let plan = common::plan(file);
    let cluster = ContainerCluster::start(settings)
        .await
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let finished = kafka_scenario::run(&plan, &cluster, &mut Silent)
        .await
        .unwrap_or_else(|e| panic!("{file} did not run: {e}"));
    common::assert_passed_and_matches_snapshot(&plan, &finished);
}

macro_rules! in_a_container {
    ($($test:ident => $file:literal;)*) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $test() {
            passes_in_a_container($file).await;
        }
    )*};
}

in_a_container! {
    rebalance => "rebalance.yaml";
    key_partition => "key-partition.yaml";
    acks => "acks.yaml";
    batch_linger => "batch-linger.yaml";
    offset_reset => "offset-reset.yaml";
    poll => "poll.yaml";
    auto_commit => "auto-commit.yaml";
    manual_commit => "manual-commit.yaml";
}

/// The multi-broker path (own network, named nodes, static port mapping, advertised listeners
/// from the environment, all nodes started at once), with as many brokers as the image can
/// form a cluster of: one for the local nisshi image, three for apache/kafka in GitHub Actions
/// (`KAFKA_SCENARIO_BROKERS=3`).
#[tokio::test(flavor = "multi_thread")]
async fn rebalance_on_a_networked_kraft_cluster() {
    let Some(mut settings) = settings("rebalance.yaml on --brokers") else {
        return;
    };
    settings.brokers = Some(
        std::env::var("KAFKA_SCENARIO_BROKERS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1),
    );
    passes_with("rebalance.yaml", &settings).await;
}
