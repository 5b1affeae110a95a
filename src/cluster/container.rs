//! Kafka or Redpanda in containers started for an invocation (testcontainers), removed at the
//! end, after a failure and on a signal. Scenarios reach them as a bootstrap target with
//! run-unique names (`target::Launched`).

use std::time::{Duration, Instant};

use testcontainers_modules::kafka::apache::{KAFKA_PORT, Kafka};
use testcontainers_modules::testcontainers::core::{ContainerPort, WaitFor};
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use testcontainers_modules::testcontainers::{ContainerAsync, GenericImage, ImageExt};
use tokio::sync::Mutex;

use super::ClusterError;

/// Label on every container the harness starts, so leftovers can be found.
pub const CONTAINER_LABEL: &str = "kafka-scenario";
/// How long an image may take to start before the run is declared broken.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(180);
/// Kafka's first rebalance of an empty group waits this long (broker default 3000 ms); set
/// explicitly because it shifts every timeline, and kept at Kafka's default so that timelines
/// match the course's brokers.
pub const GROUP_INITIAL_REBALANCE_DELAY_MS: &str = "3000";
const REDPANDA_IMAGE: (&str, &str) = ("redpandadata/redpanda", "v24.2.4");
const KAFKA_NATIVE_IMAGE: &str = "apache/kafka-native:3.8.0";
/// The KRaft cluster id of multi-broker clusters (any base64 UUID does).
const CLUSTER_ID: &str = "5L6g3nShT-eMCtK--X86sw";

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
    /// Kafka only: a KRaft cluster of this many brokers on one Docker network, instead of the
    /// Kafka module's single broker.
    pub brokers: Option<usize>,
}

enum Running {
    Kafka(Box<ContainerAsync<Kafka>>),
    Generic(Vec<ContainerAsync<GenericImage>>),
}

/// Brokers in containers, and the address clients reach them at.
pub struct ContainerCluster {
    bootstrap: String,
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
    /// Starts the containers and waits until their brokers answer.
    pub async fn start(settings: &ContainerSettings) -> Result<ContainerCluster, ClusterError> {
        check_docker()?;
        let started = Instant::now();
        let (running, bootstrap, image) = match settings.flavour {
            Flavour::Kafka if settings.brokers.is_some() => {
                let brokers = settings.brokers.unwrap_or(1);
                let image = settings
                    .image
                    .clone()
                    .unwrap_or_else(|| KAFKA_NATIVE_IMAGE.to_owned());
                let (containers, bootstrap) = start_kraft_cluster(&image, brokers).await?;
                (
                    Running::Generic(containers),
                    bootstrap,
                    format!("{brokers} x {image}"),
                )
            }
            Flavour::Kafka => {
                let mut request = Kafka::default()
                    .with_env_var(
                        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS",
                        GROUP_INITIAL_REBALANCE_DELAY_MS,
                    )
                    .with_label(CONTAINER_LABEL, "broker")
                    .with_startup_timeout(STARTUP_TIMEOUT);
                let mut image = KAFKA_NATIVE_IMAGE.to_owned();
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
                (
                    Running::Kafka(Box::new(container)),
                    format!("127.0.0.1:{port}"),
                    image,
                )
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
                (
                    Running::Generic(vec![container]),
                    format!("127.0.0.1:{port}"),
                    image,
                )
            }
        };
        // Every node registered before a scenario runs: a topic created earlier would get
        // fewer replicas than it asks for.
        let expected = settings.brokers.unwrap_or(1);
        super::bootstrap::await_brokers(&bootstrap, &[], expected, STARTUP_TIMEOUT, || Ok(()))
            .await?;
        Ok(ContainerCluster {
            describe: format!("{image} in containers at {bootstrap}"),
            bootstrap,
            container: Mutex::new(Some(running)),
            startup: started.elapsed(),
        })
    }

    /// `127.0.0.1:port,...` of every broker.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// The image and address, for reports.
    pub fn describe(&self) -> String {
        self.describe.clone()
    }

    /// Removes the containers, and every topic with them.
    pub async fn remove(&self) -> Result<(), ClusterError> {
        let removed = match self.container.lock().await.take() {
            Some(Running::Kafka(container)) => (*container).rm().await,
            Some(Running::Generic(containers)) => {
                let mut result = Ok(());
                for container in containers {
                    result = result.and(container.rm().await);
                }
                result
            }
            None => Ok(()),
        };
        removed.map_err(|e| failed("cannot remove the container", e))
    }
}

/// Starts `brokers` combined broker+controller nodes of `image` on a network of their own.
/// Each node advertises its host-mapped port to clients (PLAINTEXT) and its container name to
/// the other nodes (BROKER, CONTROLLER); all start at once, as the controller quorum needs.
async fn start_kraft_cluster(
    image: &str,
    brokers: usize,
) -> Result<(Vec<ContainerAsync<GenericImage>>, String), ClusterError> {
    let run = super::run_names::draw_run_id();
    let network = format!("kafka-scenario-{run}");
    let node = |id: usize| format!("kafka-scenario-{run}-{id}");
    let voters: Vec<String> = (1..=brokers)
        .map(|id| format!("{id}@{}:9094", node(id)))
        .collect();
    let ports: Vec<u16> = (0..brokers)
        .map(|_| free_port())
        .collect::<Result<_, _>>()?;
    let replication = brokers.min(3).to_string();
    let min_isr = brokers.min(2).to_string();
    let (name, tag) = split_image(image);
    let mut starting = Vec::new();
    for (id, port) in (1..=brokers).zip(&ports) {
        let request = GenericImage::new(name.clone(), tag.clone())
            .with_entrypoint("/etc/kafka/docker/run")
            .with_wait_for(WaitFor::message_on_stdout("Kafka Server started"))
            .with_network(network.clone())
            .with_container_name(node(id))
            .with_mapped_port(*port, ContainerPort::Tcp(9092))
            .with_label(CONTAINER_LABEL, "broker")
            .with_startup_timeout(STARTUP_TIMEOUT)
            .with_env_var("CLUSTER_ID", CLUSTER_ID)
            .with_env_var("KAFKA_NODE_ID", id.to_string())
            .with_env_var("KAFKA_PROCESS_ROLES", "broker,controller")
            .with_env_var(
                "KAFKA_LISTENERS",
                "PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094",
            )
            .with_env_var(
                "KAFKA_ADVERTISED_LISTENERS",
                format!("PLAINTEXT://127.0.0.1:{port},BROKER://{}:9093", node(id)),
            )
            .with_env_var(
                "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
                "BROKER:PLAINTEXT,PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            )
            .with_env_var("KAFKA_INTER_BROKER_LISTENER_NAME", "BROKER")
            .with_env_var("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
            .with_env_var("KAFKA_CONTROLLER_QUORUM_VOTERS", voters.join(","))
            .with_env_var(
                "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                replication.clone(),
            )
            .with_env_var(
                "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                replication.clone(),
            )
            .with_env_var("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", min_isr.clone())
            .with_env_var(
                "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS",
                GROUP_INITIAL_REBALANCE_DELAY_MS,
            );
        starting.push(tokio::spawn(request.start()));
    }
    let mut containers = Vec::new();
    let mut first_error = None;
    for task in starting {
        match task.await {
            Ok(Ok(container)) => containers.push(container),
            Ok(Err(e)) => {
                first_error = first_error.or(Some(failed(&format!("cannot start {image}"), e)))
            }
            Err(e) => first_error = first_error.or(Some(failed("start task failed", e))),
        }
    }
    if let Some(error) = first_error {
        // Dropping the started nodes removes them.
        return Err(error);
    }
    let bootstrap: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    Ok((containers, bootstrap.join(",")))
}

fn free_port() -> Result<u16, ClusterError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| failed("no free port", e))
}
