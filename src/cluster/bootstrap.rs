//! Any reachable Kafka-protocol cluster, given by its bootstrap addresses. Topics are created,
//! grown and deleted with librdkafka's admin client; only topics this run created are deleted.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, Producer};

use super::api_versions;
use super::client::client_config;
use super::run_names::{RunId, run_name};
use super::{Cluster, ClusterError};
use crate::scenario::plan::{Capability, TopicPlan};
use crate::scenario::properties::Properties;

/// How long the cluster may take to answer at all before the run is declared broken.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(8);
/// How long a starting broker may take to answer one readiness probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a topic may take to appear with every partition led.
const TOPIC_READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Consumer timing for real brokers: Kafka's smallest allowed session timeout by default
/// (`group.min.session.timeout.ms`), so crashes are noticed in 6 s instead of librdkafka's 45 s.
/// `kafka-local` gives consumers of the KIP-848 protocol, whose timing the broker decides, the
/// same.
pub(crate) const SESSION_TIMEOUT_MS: &str = "6000";
/// The heartbeat that goes with [`SESSION_TIMEOUT_MS`].
pub(crate) const HEARTBEAT_INTERVAL_MS: &str = "1000";

/// How to reach the cluster.
#[derive(Clone, PartialEq, Eq)]
pub struct BootstrapSettings {
    /// `host:port[,host:port]`.
    pub bootstrap: String,
    /// librdkafka properties every client gets (security.protocol, sasl.*, ssl.*).
    pub properties: Properties,
    /// Keep the scenario's topic and group names instead of adding a run-unique suffix.
    pub keep_names: bool,
}

/// Passwords never reach logs or reports, not even through `{:?}`.
impl std::fmt::Debug for BootstrapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let properties: Vec<(&str, &str)> = self
            .properties
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    if k.contains("password") {
                        "<redacted>"
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("BootstrapSettings")
            .field("bootstrap", &self.bootstrap)
            .field("properties", &properties)
            .field("keep_names", &self.keep_names)
            .finish()
    }
}

/// How long a client may take to hear that the brokers refuse its login.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Hears the error event of a refused login. librdkafka sends it to the client's error
/// callback, served only by polling, while a metadata request merely times out on "broker
/// transport failure".
#[derive(Default)]
struct Login {
    refused: Mutex<Option<String>>,
}

impl rdkafka::producer::ProducerContext for Login {
    type DeliveryOpaque = ();

    fn delivery(&self, _: &rdkafka::message::DeliveryResult<'_>, _: Self::DeliveryOpaque) {}
}

impl ClientContext for Login {
    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Authentication) {
            *self
                .refused
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(reason.to_owned());
        }
    }
}

/// When SASL is configured and the brokers refuse the login: `authentication failed for user
/// edu-user (SCRAM-SHA-512) at HOST: ...`, naming the user and the mechanism, never the
/// password.
fn refused_login(settings: &BootstrapSettings) -> Option<String> {
    let setting = |key: &str| settings.properties.get(key);
    let user = setting("sasl.username")?;
    let client: BaseProducer<Login> = client_config(&connection(settings))
        .create_with_context(Login::default())
        .ok()?;
    let deadline = Instant::now() + LOGIN_TIMEOUT;
    let _ = client
        .client()
        .fetch_metadata(None, Duration::from_millis(1));
    while Instant::now() < deadline {
        client.poll(Duration::from_millis(100));
        let refused = client
            .context()
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some(reason) = refused {
            return Some(format!(
                "authentication failed for user {user} ({}) at {}: {reason}",
                setting("sasl.mechanism").unwrap_or("GSSAPI, librdkafka's default mechanism"),
                settings.bootstrap
            ));
        }
    }
    None
}

/// A cluster reached through `--bootstrap` or a profile.
pub struct BootstrapCluster {
    settings: BootstrapSettings,
    admin: AdminClient<DefaultClientContext>,
    suffix: Option<String>,
    capabilities: BTreeSet<Capability>,
    brokers: i32,
    created: Mutex<Vec<String>>,
    description: Option<String>,
}

impl BootstrapCluster {
    /// Connects, fails fast when nobody answers, and discovers what the brokers support; the
    /// topics and groups of the run `run` get its names.
    pub async fn connect(
        settings: BootstrapSettings,
        run: RunId,
    ) -> Result<BootstrapCluster, ClusterError> {
        tokio::task::spawn_blocking(move || BootstrapCluster::connect_blocking(settings, run))
            .await
            .map_err(|e| ClusterError::Unavailable(format!("connection task failed: {e}")))?
    }

    fn connect_blocking(
        settings: BootstrapSettings,
        run: RunId,
    ) -> Result<BootstrapCluster, ClusterError> {
        let unreachable = |detail: String| {
            ClusterError::Unavailable(format!("cannot reach {}: {detail}", settings.bootstrap))
        };
        let first = api_versions::first_address(&settings.bootstrap);
        // The probe speaks plaintext; Kafka answers ApiVersions before SASL authentication, so
        // only behind TLS do the capabilities stay unknown.
        let plaintext = !settings.properties.iter().any(|(k, v)| {
            k == "security.protocol"
                && !v.eq_ignore_ascii_case("plaintext")
                && !v.eq_ignore_ascii_case("sasl_plaintext")
        });
        let versions = if plaintext {
            Some(api_versions::probe(&first, CONNECT_TIMEOUT).map_err(unreachable)?)
        } else {
            None
        };
        let admin: AdminClient<DefaultClientContext> = client_config(&connection(&settings))
            .create()
            .map_err(|e| unreachable(format!("cannot create an admin client: {e}")))?;
        let metadata = admin
            .inner()
            .fetch_metadata(None, CONNECT_TIMEOUT)
            .map_err(|e| match refused_login(&settings) {
                Some(refused) => ClusterError::Unavailable(refused),
                None => unreachable(format!("no metadata within {CONNECT_TIMEOUT:?}: {e}")),
            })?;
        let capabilities = versions
            .as_ref()
            .map(api_versions::capabilities)
            .unwrap_or_default();
        let suffix = run.suffix().map(str::to_owned);
        Ok(BootstrapCluster {
            brokers: metadata.brokers().len() as i32,
            settings,
            admin,
            suffix,
            capabilities,
            created: Mutex::new(Vec::new()),
            description: None,
        })
    }

    /// Replaces the address-based description, e.g. with what the brokers are.
    pub fn described_as(mut self, description: String) -> BootstrapCluster {
        self.description = Some(description);
        self
    }

    fn physical(&self, topic: &str) -> String {
        run_name(topic, self.suffix.as_deref())
    }

    fn topic_error(topic: &str, message: String) -> ClusterError {
        ClusterError::Topic {
            topic: topic.to_owned(),
            message,
        }
    }

    /// Waits until metadata shows the topic with `partitions` partitions, each with a leader.
    async fn ready(
        &self,
        logical: &str,
        physical: &str,
        partitions: i32,
    ) -> Result<(), ClusterError> {
        let deadline = Instant::now() + TOPIC_READY_TIMEOUT;
        loop {
            let led = self
                .admin
                .inner()
                .fetch_metadata(Some(physical), Duration::from_secs(5))
                .ok()
                .and_then(|m| {
                    m.topics()
                        .first()
                        .map(|t| t.partitions().iter().filter(|p| p.leader() >= 0).count())
                })
                .unwrap_or(0);
            if led >= partitions as usize {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Self::topic_error(
                    logical,
                    format!(
                        "{led} of {partitions} partitions have a leader after {TOPIC_READY_TIMEOUT:?}"
                    ),
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Polls metadata at `bootstrap` until `expected` brokers are registered and every address in
/// `bootstrap` answers ApiVersions, running `check` between polls (it may give up early, e.g.
/// when a broker process ended). Metadata alone is not enough: a KRaft broker is listed once
/// the controller unfences it, which can come before its own listener accepts connections.
pub(crate) async fn await_brokers(
    bootstrap: &str,
    login: &[(String, String)],
    expected: usize,
    timeout: Duration,
    mut check: impl FnMut() -> Result<(), ClusterError>,
) -> Result<(), ClusterError> {
    let mut properties = login.to_vec();
    properties.extend([
        ("bootstrap.servers".to_owned(), bootstrap.to_owned()),
        ("log_level".to_owned(), "0".to_owned()),
    ]);
    let client: BaseConsumer = client_config(&properties)
        .create()
        .map_err(|e| ClusterError::Unavailable(format!("cannot create a metadata client: {e}")))?;
    let client = std::sync::Arc::new(client);
    let deadline = Instant::now() + timeout;
    let mut seen = 0;
    loop {
        check()?;
        let probe = std::sync::Arc::clone(&client);
        seen = tokio::task::spawn_blocking(move || {
            probe
                .fetch_metadata(None, Duration::from_millis(500))
                .map(|m| m.brokers().len())
        })
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(seen);
        let mut silent = None;
        if seen >= expected {
            let addresses = bootstrap.to_owned();
            silent = tokio::task::spawn_blocking(move || {
                addresses
                    .split(',')
                    .map(str::trim)
                    .find(|address| api_versions::probe(address, PROBE_TIMEOUT).is_err())
                    .map(str::to_owned)
            })
            .await
            .unwrap_or_else(|e| Some(format!("a probe that failed ({e})")));
            if silent.is_none() {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            let problem = match silent {
                Some(address) => format!("{address} does not answer ApiVersions"),
                None => format!("{seen} of {expected} brokers registered"),
            };
            return Err(ClusterError::Unavailable(format!(
                "{problem} at {bootstrap} after {timeout:.0?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Consumer timing for real brokers (any target that is not the mock).
pub(crate) fn real_broker_consumer_defaults() -> Properties {
    let mut defaults = Properties::new();
    defaults.set("session.timeout.ms", SESSION_TIMEOUT_MS);
    defaults.set("heartbeat.interval.ms", HEARTBEAT_INTERVAL_MS);
    defaults
}

fn connection(settings: &BootstrapSettings) -> Properties {
    let mut properties = settings.properties.clone();
    properties.set("bootstrap.servers", settings.bootstrap.clone());
    properties
}

#[async_trait]
impl Cluster for BootstrapCluster {
    fn describe(&self) -> String {
        self.description
            .clone()
            .unwrap_or_else(|| format!("{} ({} broker(s))", self.settings.bootstrap, self.brokers))
    }

    fn connection(&self) -> Properties {
        connection(&self.settings)
    }

    fn run_suffix(&self) -> Option<String> {
        self.suffix.clone()
    }

    fn capabilities(&self) -> BTreeSet<Capability> {
        self.capabilities.clone()
    }

    fn consumer_defaults(&self) -> Properties {
        real_broker_consumer_defaults()
    }

    async fn create_topic(&self, topic: &TopicPlan) -> Result<(), ClusterError> {
        let physical = self.physical(&topic.name);
        // A replication factor above the broker count cannot be met; cap it rather than fail.
        let replicas = topic.replicas.min(self.brokers.max(1));
        let mut new = NewTopic::new(
            &physical,
            topic.partitions,
            TopicReplication::Fixed(replicas),
        );
        for (key, value) in &topic.config {
            new = new.set(key, value);
        }
        let options = AdminOptions::new().operation_timeout(Some(TOPIC_READY_TIMEOUT));
        let results = self
            .admin
            .create_topics([&new], &options)
            .await
            .map_err(|e| Self::topic_error(&topic.name, format!("CreateTopics failed: {e}")))?;
        for result in results {
            if let Err((_, code)) = result {
                return Err(Self::topic_error(
                    &topic.name,
                    format!("CreateTopics: {code}"),
                ));
            }
        }
        if let Ok(mut created) = self.created.lock() {
            created.push(physical.clone());
        }
        self.ready(&topic.name, &physical, topic.partitions).await
    }

    async fn grow_topic(&self, topic: &str, partitions: i32) -> Result<(), ClusterError> {
        let physical = self.physical(topic);
        let growth = NewPartitions::new(&physical, partitions as usize);
        let results = self
            .admin
            .create_partitions([&growth], &AdminOptions::new())
            .await
            .map_err(|e| Self::topic_error(topic, format!("CreatePartitions failed: {e}")))?;
        for result in results {
            if let Err((_, code)) = result {
                return Err(Self::topic_error(
                    topic,
                    format!("CreatePartitions: {code}"),
                ));
            }
        }
        self.ready(topic, &physical, partitions).await
    }

    async fn cleanup(&self) -> Result<(), ClusterError> {
        let created: Vec<String> = match self.created.lock() {
            Ok(mut created) => std::mem::take(&mut *created),
            Err(_) => return Err(ClusterError::Unavailable("topic list poisoned".into())),
        };
        if created.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = created.iter().map(String::as_str).collect();
        let results = self
            .admin
            .delete_topics(&names, &AdminOptions::new())
            .await
            .map_err(|e| ClusterError::Unavailable(format!("DeleteTopics failed: {e}")))?;
        let failed: Vec<String> = results
            .into_iter()
            .filter_map(|r| r.err().map(|(name, code)| format!("{name}: {code}")))
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(ClusterError::Unavailable(format!(
                "could not delete this run's topics: {}",
                failed.join(", ")
            )))
        }
    }
}
