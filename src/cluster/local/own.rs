//! A scenario's own Kafka on `kafka-local`: brokers and a dedicated KRaft controller started for
//! one scenario with its broker settings, which its fault steps may stop, kill, pause and
//! restart. Everything goes when the scenario ends, fails or is interrupted, paused brokers
//! included (SIGKILL reaches a stopped process).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::kafka::{LocalKafka, LocalSettings};
use crate::cluster::bootstrap::{BootstrapCluster, BootstrapSettings};
use crate::cluster::run_names::RunId;
use crate::cluster::{BrokerControl, Cluster, ClusterError};
use crate::scenario::plan::{BrokerSetup, Capability, Fault, TopicPlan};
use crate::scenario::properties::Properties;

/// How often a stop looks whether the broker has exited.
const STOP_POLL: Duration = Duration::from_millis(100);

/// Brokers started for one scenario, and the scenario's view of them.
pub struct OwnKafka {
    kafka: Arc<Mutex<LocalKafka>>,
    cluster: BootstrapCluster,
    brokers: Vec<i32>,
    controller: Option<i32>,
}

impl OwnKafka {
    /// Starts `setup`'s brokers and one controller from the distribution of `base`; the run
    /// `run` names its topics and groups.
    pub async fn start(
        base: &LocalSettings,
        setup: &BrokerSetup,
        run: RunId,
    ) -> Result<OwnKafka, ClusterError> {
        let settings = LocalSettings {
            kafka_home: base.kafka_home.clone(),
            brokers: usize::try_from(setup.count).unwrap_or(1),
            dedicated_controller: true,
            broker_config: setup.config.clone(),
            scram: base.scram.clone(),
        };
        let kafka = LocalKafka::start(&settings).await?;
        let description = format!(
            "{}, started for this scenario in {:.1}s (data in {})",
            kafka.describe(),
            kafka.startup.as_secs_f64(),
            kafka.directory().display()
        );
        let cluster = BootstrapCluster::connect(
            BootstrapSettings {
                bootstrap: kafka.bootstrap().to_owned(),
                properties: kafka.client_properties().into(),
                keep_names: false,
            },
            run,
        )
        .await?
        .described_as(description);
        Ok(OwnKafka {
            brokers: kafka.broker_ids(),
            controller: kafka.controller_id(),
            kafka: Arc::new(Mutex::new(kafka)),
            cluster,
        })
    }

    fn stop_all(&self) {
        lock(&self.kafka).stop();
    }
}

fn lock(kafka: &Mutex<LocalKafka>) -> MutexGuard<'_, LocalKafka> {
    // A panic while holding the lock must not keep the brokers from being stopped.
    kafka.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Drop for OwnKafka {
    fn drop(&mut self) {
        self.stop_all();
    }
}

#[async_trait]
impl Cluster for OwnKafka {
    fn describe(&self) -> String {
        self.cluster.describe()
    }

    fn connection(&self) -> Properties {
        self.cluster.connection()
    }

    fn run_suffix(&self) -> Option<String> {
        self.cluster.run_suffix()
    }

    fn capabilities(&self) -> BTreeSet<Capability> {
        let mut capabilities = self.cluster.capabilities();
        capabilities.insert(Capability::OwnBrokers);
        capabilities
    }

    fn consumer_defaults(&self) -> Properties {
        self.cluster.consumer_defaults()
    }

    async fn create_topic(&self, topic: &TopicPlan) -> Result<(), ClusterError> {
        self.cluster.create_topic(topic).await
    }

    async fn grow_topic(&self, topic: &str, partitions: i32) -> Result<(), ClusterError> {
        self.cluster.grow_topic(topic, partitions).await
    }

    /// Stops every broker and removes their directory: nothing of the scenario outlives it.
    async fn cleanup(&self) -> Result<(), ClusterError> {
        let kafka = Arc::clone(&self.kafka);
        tokio::task::spawn_blocking(move || lock(&kafka).stop())
            .await
            .map_err(|e| ClusterError::Unavailable(format!("stopping brokers: {e}")))
    }

    fn broker_control(&self) -> Option<&dyn BrokerControl> {
        Some(self)
    }
}

#[async_trait]
impl BrokerControl for OwnKafka {
    fn brokers(&self) -> Vec<i32> {
        self.brokers.clone()
    }

    fn controller(&self) -> Option<i32> {
        self.controller
    }

    async fn apply(&self, node: i32, fault: Fault) -> Result<(), ClusterError> {
        let kafka = Arc::clone(&self.kafka);
        tokio::task::spawn_blocking(move || {
            lock(&kafka).apply(node, fault)?;
            if fault != Fault::Stop {
                return Ok(());
            }
            // The lock is taken only for each look, so a signal's cleanup never waits for a
            // controlled shutdown.
            let since = Instant::now();
            while !lock(&kafka).stopped(node, since)? {
                std::thread::sleep(STOP_POLL);
            }
            Ok(())
        })
        .await
        .map_err(|e| ClusterError::Unavailable(format!("fault task failed: {e}")))?
    }
}
