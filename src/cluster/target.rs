//! Which cluster a run uses (the command line chooses it, see the binary's `cli::target_choice`),
//! and what a run started for it (local brokers, containers), behind one owner with one way out.
//!
//! A [`Target`] is what was asked for. [`Target::launch`] starts whatever the target needs once
//! per invocation and returns [`Launched`]; each scenario then gets its own [`Cluster`] view from
//! [`Launched::connect`] (run-unique names on shared brokers), and [`Launched::shutdown`] stops
//! what was started, at the end, after a failure and on a signal alike.

use std::time::Duration;

use super::bootstrap::{BootstrapCluster, BootstrapSettings};
use super::container::{ContainerCluster, ContainerSettings};
use super::embedded::EmbeddedCluster;
use super::kubernetes::{KubeCluster, KubeSettings};
use super::local::own::OwnKafka;
use super::local::{LocalKafka, LocalSettings};
use super::run_names::RunId;
use super::{Cluster, ClusterError};
use crate::scenario::Plan;
use crate::scenario::plan::Capability;

/// Where scenarios run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// librdkafka's in-process mock cluster, one per scenario.
    Embedded,
    /// Any reachable cluster.
    Bootstrap(BootstrapSettings),
    /// Strimzi on Kubernetes.
    Kube(KubeSettings),
    /// Kafka or Redpanda in containers started for the invocation.
    Container(ContainerSettings),
    /// Apache Kafka started as local processes for the invocation.
    Local(LocalSettings),
}

impl Target {
    /// Whether runs on it keep the scenario's own topic and group names (`--keep-names`, a
    /// profile's `keep_names`): then two runs at once would share them.
    pub fn keeps_names(&self) -> bool {
        match self {
            Target::Bootstrap(settings) => settings.keep_names,
            Target::Kube(settings) => settings.keep_names,
            Target::Embedded | Target::Container(_) | Target::Local(_) => false,
        }
    }

    /// Starts what the target needs for a whole invocation (nothing for targets that exist
    /// already). Dropping the future half way stops whatever had started.
    pub async fn launch(&self) -> Result<Launched, ClusterError> {
        Ok(match self {
            Target::Embedded => Launched::Embedded,
            Target::Bootstrap(settings) => Launched::Bootstrap(settings.clone()),
            Target::Kube(settings) => Launched::Kube(settings.clone()),
            Target::Container(settings) => {
                Launched::Containers(ContainerCluster::start(settings).await?)
            }
            Target::Local(settings) => Launched::Local(LocalKafka::start(settings).await?),
        })
    }
}

/// A target ready for scenarios, owning what was started for it.
pub enum Launched {
    /// A fresh mock cluster per scenario.
    Embedded,
    /// Connected to per scenario.
    Bootstrap(BootstrapSettings),
    /// Connected to per scenario.
    Kube(KubeSettings),
    /// Containers started for this invocation.
    Containers(ContainerCluster),
    /// Local brokers started for this invocation.
    Local(LocalKafka),
}

impl Launched {
    /// What was started and how long it took, for the terminal; `None` when nothing was.
    pub fn started(&self) -> Option<(String, Duration)> {
        match self {
            Launched::Containers(cluster) => Some((cluster.describe(), cluster.startup)),
            Launched::Local(kafka) => Some((
                format!(
                    "{} (data in {})",
                    kafka.describe(),
                    kafka.directory().display()
                ),
                kafka.startup,
            )),
            _ => None,
        }
    }

    /// What `plan` needs that this target can never give, whatever it connects to: brokers of
    /// the scenario's own exist only where the harness starts brokers (`kafka-local`).
    pub fn never_offers(&self, plan: &Plan) -> Vec<Capability> {
        let own = matches!(self, Launched::Local(_));
        plan.needs
            .iter()
            .filter(|need| **need == Capability::OwnBrokers && !own)
            .copied()
            .collect()
    }

    /// The target in a few words, e.g. `--bootstrap 127.0.0.1:9092`, for messages given before
    /// any scenario connects.
    pub fn name(&self) -> String {
        match self {
            Launched::Embedded => "embedded".to_owned(),
            Launched::Bootstrap(settings) => format!("--bootstrap {}", settings.bootstrap),
            Launched::Kube(settings) => format!("Kubernetes ({})", settings.namespace),
            Launched::Containers(cluster) => cluster.describe(),
            Launched::Local(kafka) => kafka.describe(),
        }
    }

    /// A cluster for `plan`: its own topic and group names wherever brokers are shared, and
    /// brokers of its own on `kafka-local` when it has a `brokers:` section (elsewhere the run
    /// then reports it not runnable).
    pub async fn connect(&self, plan: &Plan) -> Result<Box<dyn Cluster>, ClusterError> {
        let run = RunId::draw(self.keeps_names());
        if let (Launched::Local(kafka), Some(setup)) = (self, &plan.brokers) {
            return Ok(Box::new(
                OwnKafka::start(kafka.settings(), setup, run).await?,
            ));
        }
        Ok(match self {
            Launched::Embedded => Box::new(EmbeddedCluster::start()?),
            Launched::Bootstrap(settings) => {
                Box::new(BootstrapCluster::connect(settings.clone(), run).await?)
            }
            Launched::Kube(settings) => {
                Box::new(KubeCluster::connect(settings.clone(), run).await?)
            }
            Launched::Containers(cluster) => Box::new(
                BootstrapCluster::connect(owned_brokers(cluster.bootstrap(), Vec::new()), run)
                    .await?
                    .described_as(cluster.describe()),
            ),
            Launched::Local(kafka) => Box::new(
                BootstrapCluster::connect(
                    owned_brokers(kafka.bootstrap(), kafka.client_properties()),
                    run,
                )
                .await?
                .described_as(kafka.describe()),
            ),
        })
    }

    /// Whether runs keep the scenario's own topic and group names (`--keep-names`, a profile's
    /// `keep_names`); brokers this invocation started are shared by its scenarios, and an
    /// embedded mock is a scenario's own, so neither needs kept names.
    fn keeps_names(&self) -> bool {
        match self {
            Launched::Bootstrap(settings) => settings.keep_names,
            Launched::Kube(settings) => settings.keep_names,
            Launched::Embedded | Launched::Containers(_) | Launched::Local(_) => false,
        }
    }

    /// Resolves when something this invocation started has failed (a local broker ended);
    /// never for targets it did not start.
    pub async fn failure(&self) -> ClusterError {
        match self {
            Launched::Local(kafka) => loop {
                if let Err(e) = kafka.check_alive() {
                    return e;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            },
            _ => std::future::pending().await,
        }
    }

    /// Stops and removes what this invocation started: brokers and their directory, containers.
    pub async fn shutdown(self) -> Result<(), ClusterError> {
        match self {
            Launched::Containers(cluster) => cluster.remove().await,
            Launched::Local(mut kafka) => tokio::task::spawn_blocking(move || kafka.stop())
                .await
                .map_err(|e| ClusterError::Unavailable(format!("stopping brokers: {e}"))),
            Launched::Embedded | Launched::Bootstrap(_) | Launched::Kube(_) => Ok(()),
        }
    }
}

/// Brokers this invocation owns: plaintext, run-unique names so scenarios can share them.
fn owned_brokers(bootstrap: &str, properties: Vec<(String, String)>) -> BootstrapSettings {
    BootstrapSettings {
        bootstrap: bootstrap.to_owned(),
        properties: properties.into(),
        keep_names: false,
    }
}
