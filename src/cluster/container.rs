//! Kafka or Redpanda in a container started for the run (testcontainers), removed at the end,
//! also after a failure or Ctrl+C. Once started, the container is an ordinary bootstrap target.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use testcontainers_modules::kafka::apache::{KAFKA_PORT, Kafka};
use testcontainers_modules::testcontainers::core::{ContainerPort, WaitFor};
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use testcontainers_modules::testcontainers::{ContainerAsync, GenericImage, ImageExt};
use tokio::sync::Mutex;

use super::bootstrap::{BootstrapCluster, BootstrapSettings};
use super::{Cluster, ClusterError};
use crate::scenario::plan::{Capability, TopicPlan};

/// Label on every container the harness starts, so leftovers can be found.
pub const CONTAINER_LABEL: &str = "kafka-scenario";
/// How long an image may take to start before the run is declared broken.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);
/// Kafka's first rebalance of an empty group waits this long (broker default 3000 ms); set
/// explicitly because it shifts every timeline, and kept at Kafka's default so that timelines
/// match the course's brokers.
pub const GROUP_INITIAL_REBALANCE_DELAY_MS: &str = "3000";
const REDPANDA_IMAGE: (&str, &str) = ("redpandadata/redpanda", "v24.2.4");

/// Which broker to run in a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flavour {
    /// Apache Kafka through testcontainers' Kafka module (apache/kafka-native by default).
    Kafka,
    /// Redpanda in dev-container mode.
    Redpanda,
}

/// A container target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSettings {
    /// The broker.
    pub flavour: Flavour,
    /// `name:tag` replacing the flavour's default image (e.g. `apache/kafka:3.8.0`).
    pub image: Option<String>,
}

enum Running {
    Kafka(ContainerAsync<Kafka>),
    Redpanda(ContainerAsync<GenericImage>),
}

/// A broker in a container plus the bootstrap target reaching it.
pub struct ContainerCluster {
    inner: BootstrapCluster,
    container: Mutex<Option<Running>>,
    describe: String,
    /// From the start request to a broker answering.
    pub startup: Duration,
}

/// Fails fast, with what to do, when no Docker engine answers.
pub fn check_docker() -> Result<(), ClusterError> {
    let host =
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
    let reachable = match host.strip_prefix("unix://") {
        Some(socket) => std::os::unix::net::UnixStream::connect(socket).map(drop),
        None => host
            .strip_prefix("tcp://")
            .unwrap_or(&host)
            .parse()
            .map_err(std::io::Error::other)
            .and_then(|addr| {
                std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map(drop)
            }),
    };
    reachable.map_err(|e| {
        ClusterError::Unavailable(format!(
            "Docker is not reachable at {host} ({e}); start the Docker engine \
             (`sudo systemctl start docker`, or `sudo dockerd &`) or point DOCKER_HOST at one"
        ))
    })
}

fn split_image(image: &str) -> (String, String) {
    match image.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')) {
        Some((name, tag)) => (name.to_owned(), tag.to_owned()),
        None => (image.to_owned(), "latest".to_owned()),
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> ClusterError {
    ClusterError::Unavailable(format!("{what}: {e}"))
}

impl ContainerCluster {
    /// Starts the container and connects to it.
    pub async fn start(settings: &ContainerSettings) -> Result<ContainerCluster, ClusterError> {
        check_docker()?;
        let started = Instant::now();
        let (running, port, image) = match settings.flavour {
            Flavour::Kafka => {
                let mut request = Kafka::default()
                    .with_env_var(
                        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS",
                        GROUP_INITIAL_REBALANCE_DELAY_MS,
                    )
                    .with_label(CONTAINER_LABEL, "broker")
                    .with_startup_timeout(STARTUP_TIMEOUT);
                let mut image = "apache/kafka-native:3.8.0".to_owned();
                if let Some(custom) = &settings.image {
                    let (name, tag) = split_image(custom);
                    request = request.with_name(name).with_tag(tag);
                    image.clone_from(custom);
                }
                let container = request
                    .start()
                    .await
                    .map_err(|e| failed(&format!("cannot start {image}"), e))?;
                let port = container
                    .get_host_port_ipv4(KAFKA_PORT)
                    .await
                    .map_err(|e| failed("no mapped Kafka port", e))?;
                (Running::Kafka(container), port, image)
            }
            Flavour::Redpanda => {
                let port = free_port()?;
                let (name, tag) = settings
                    .image
                    .as_deref()
                    .map(split_image)
                    .unwrap_or((REDPANDA_IMAGE.0.to_owned(), REDPANDA_IMAGE.1.to_owned()));
                let image = format!("{name}:{tag}");
                let container = GenericImage::new(name, tag)
                    .with_exposed_port(ContainerPort::Tcp(9092))
                    .with_wait_for(WaitFor::message_on_stderr("Successfully started Redpanda!"))
                    .with_cmd([
                        "redpanda".to_owned(),
                        "start".to_owned(),
                        "--mode".to_owned(),
                        "dev-container".to_owned(),
                        "--smp".to_owned(),
                        "1".to_owned(),
                        "--kafka-addr".to_owned(),
                        "0.0.0.0:9092".to_owned(),
                        "--advertise-kafka-addr".to_owned(),
                        format!("127.0.0.1:{port}"),
                        "--set".to_owned(),
                        format!("redpanda.group_initial_rebalance_delay={GROUP_INITIAL_REBALANCE_DELAY_MS}"),
                    ])
                    .with_mapped_port(port, ContainerPort::Tcp(9092))
                    .with_label(CONTAINER_LABEL, "broker")
                    .with_startup_timeout(STARTUP_TIMEOUT)
                    .start()
                    .await
                    .map_err(|e| failed(&format!("cannot start {image}"), e))?;
                (Running::Redpanda(container), port, image)
            }
        };
        let inner = BootstrapCluster::connect(BootstrapSettings {
            bootstrap: format!("127.0.0.1:{port}"),
            properties: Vec::new(),
            keep_names: true,
        })
        .await?;
        Ok(ContainerCluster {
            describe: format!("{image} in a container at 127.0.0.1:{port}"),
            inner,
            container: Mutex::new(Some(running)),
            startup: started.elapsed(),
        })
    }
}

fn free_port() -> Result<u16, ClusterError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| failed("no free port", e))
}

#[async_trait]
impl Cluster for ContainerCluster {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn connection(&self) -> Vec<(String, String)> {
        self.inner.connection()
    }

    fn capabilities(&self) -> BTreeSet<Capability> {
        self.inner.capabilities()
    }

    fn consumer_defaults(&self) -> Vec<(String, String)> {
        self.inner.consumer_defaults()
    }

    async fn create_topic(&self, topic: &TopicPlan) -> Result<(), ClusterError> {
        self.inner.create_topic(topic).await
    }

    async fn grow_topic(&self, topic: &str, partitions: i32) -> Result<(), ClusterError> {
        self.inner.grow_topic(topic, partitions).await
    }

    /// The container goes, and every topic with it.
    async fn cleanup(&self) -> Result<(), ClusterError> {
        let removed = match self.container.lock().await.take() {
            Some(Running::Kafka(container)) => container.rm().await,
            Some(Running::Redpanda(container)) => container.rm().await,
            None => Ok(()),
        };
        removed.map_err(|e| failed("cannot remove the container", e))
    }
}
