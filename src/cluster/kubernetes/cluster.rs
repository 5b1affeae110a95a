//! The Kubernetes target: settings, connecting through a kubeconfig, KafkaTopics applied and
//! removed, the listener's address and SCRAM login, and `--dry-run`'s manifests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::Value;

use super::strimzi::{Strimzi, StrimziError};
use crate::cluster::api_versions;
use crate::cluster::local::scram::COURSE_USER;
use crate::cluster::run_names::RunId;
use crate::cluster::{Cluster, ClusterError};
use crate::scenario::plan::{Capability, TopicPlan};
use crate::scenario::properties::Properties;

/// Strimzi's name for the SCRAM-SHA-512 authentication of a listener.
const SCRAM: &str = "scram-sha-512";

/// How long a KafkaTopic may take to become Ready, or to disappear.
pub const TOPIC_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the ApiVersions probe of the listener may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// Strimzi API version assumed when nothing is asked (dry runs): the course's Strimzi.
pub const OFFLINE_API_VERSION: &str = "kafka.strimzi.io/v1beta2";

/// Where the Strimzi cluster is and who the harness is on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeSettings {
    /// Kubeconfig file; the usual one (KUBECONFIG or ~/.kube/config) when absent.
    pub kubeconfig: Option<PathBuf>,
    /// Context in that file; its current context when absent.
    pub context: Option<String>,
    /// Namespace of the Kafka resource and the KafkaTopics.
    pub namespace: String,
    /// Name of the Kafka resource (`strimzi.io/cluster` label of the topics).
    pub kafka: String,
    /// Listener whose bootstrap address clients use.
    pub listener: String,
    /// KafkaUser for SCRAM-SHA-512; no authentication when absent.
    pub user: Option<String>,
    /// Environment variable holding the user's password; read from the user's secret when absent.
    pub password_env: Option<String>,
    /// Keep the scenario's topic and group names (no run-unique suffix).
    pub keep_names: bool,
}

/// A Strimzi cluster reached through Kubernetes.
pub struct KubeCluster {
    strimzi: Strimzi,
    settings: KubeSettings,
    connection: Properties,
    suffix: Option<String>,
    /// What the brokers behind the listener support, and adding partitions (the topic
    /// operator does it when `spec.partitions` grows).
    capabilities: BTreeSet<Capability>,
    /// Physical name -> the topic as planned, for growth and cleanup.
    created: Mutex<BTreeMap<String, TopicPlan>>,
}

fn unavailable(detail: impl std::fmt::Display) -> ClusterError {
    ClusterError::Unavailable(detail.to_string())
}

/// A failure while connecting, said in the terms of the kubeconfig: which context was refused
/// by which server, and what the user may not read.
fn refused(
    error: StrimziError,
    context: &str,
    server: &str,
    settings: &KubeSettings,
) -> ClusterError {
    let StrimziError::Api(kube::Error::Api(status)) = &error else {
        return unavailable(error);
    };
    match status.code {
        401 => unavailable(format!(
            "authentication failed for context `{context}` at {server}: the API server answered 401 Unauthorized (is the token in {} expired or wrong?)",
            settings
                .kubeconfig
                .as_ref()
                .map_or("the kubeconfig".to_owned(), |p| p.display().to_string())
        )),
        403 => unavailable(format!(
            "context `{context}` at {server} may not do this in namespace {}: {}",
            settings.namespace, status.message
        )),
        _ => unavailable(error),
    }
}

impl KubeCluster {
    /// Loads the kubeconfig, discovers Strimzi, reads the listener address and the credentials;
    /// what it creates carries the id of the run `run`, and its names unless they are kept.
    pub async fn connect(settings: KubeSettings, run: RunId) -> Result<KubeCluster, ClusterError> {
        let kubeconfig = match &settings.kubeconfig {
            Some(path) => Kubeconfig::read_from(path),
            None => Kubeconfig::read(),
        }
        .map_err(|e| unavailable(format!("kubeconfig: {e}")))?;
        let context = settings
            .context
            .clone()
            .or_else(|| kubeconfig.current_context.clone())
            .unwrap_or_default();
        let options = KubeConfigOptions {
            context: settings.context.clone(),
            ..KubeConfigOptions::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| unavailable(format!("kubeconfig: {e}")))?;
        let server = config.cluster_url.to_string();
        let client = kube::Client::try_from(config)
            .map_err(|e| unavailable(format!("Kubernetes client: {e}")))?;
        let strimzi = Strimzi::discover(client, &settings.namespace, &settings.kafka, run.id())
            .await
            .map_err(|e| refused(e, &context, &server, &settings))?;
        let listener = strimzi
            .listener(&settings.listener)
            .await
            .map_err(|e| refused(e, &context, &server, &settings))?;
        let capabilities = probed_capabilities(&listener.bootstrap).await;
        let mut connection = vec![("bootstrap.servers".to_owned(), listener.bootstrap)];
        let user = settings.user.clone().or_else(|| {
            (listener.authentication.as_deref() == Some(SCRAM)).then(|| COURSE_USER.to_owned())
        });
        if let Some(user) = user {
            let password = match &settings.password_env {
                Some(variable) => std::env::var(variable).map_err(|_| {
                    unavailable(format!("${variable} (the password of {user}) is not set"))
                })?,
                None => strimzi.password(&user).await.map_err(|e| match &e {
                    StrimziError::Api(kube::Error::Api(status)) if status.code == 404 => {
                        unavailable(format!(
                            "listener `{}` needs a SCRAM-SHA-512 login, but namespace {} has no secret `{user}` (the KafkaUser's; name another user with a profile's `user:`, or its password with `password_env:`)",
                            settings.listener, settings.namespace
                        ))
                    }
                    _ => refused(e, &context, &server, &settings),
                })?,
            };
            connection.extend([
                ("security.protocol".to_owned(), "SASL_PLAINTEXT".to_owned()),
                ("sasl.mechanism".to_owned(), "SCRAM-SHA-512".to_owned()),
                ("sasl.username".to_owned(), user),
                ("sasl.password".to_owned(), password),
            ]);
        }
        Ok(KubeCluster {
            strimzi,
            suffix: run.suffix().map(str::to_owned),
            settings,
            connection: connection.into(),
            capabilities,
            created: Mutex::new(BTreeMap::new()),
        })
    }

    fn physical(&self, topic: &str) -> String {
        crate::cluster::run_names::run_name(topic, self.suffix.as_deref())
    }

    async fn apply_and_wait(&self, topic: &TopicPlan, partitions: i32) -> Result<(), ClusterError> {
        let physical = self.physical(&topic.name);
        let manifest =
            self.strimzi
                .topic_manifest(&physical, partitions, topic.replicas, &topic.config);
        let failed = |e: StrimziError| ClusterError::Topic {
            topic: topic.name.clone(),
            message: e.to_string(),
        };
        self.strimzi.apply(&manifest).await.map_err(failed)?;
        if let Ok(mut created) = self.created.lock() {
            created.insert(physical.clone(), topic.clone());
        }
        self.strimzi
            .wait_ready(&physical, TOPIC_TIMEOUT)
            .await
            .map_err(failed)
    }
}

/// Adding partitions, and KIP-848's consumer protocol if the brokers behind `bootstrap` answer
/// ApiVersions with ConsumerGroupHeartbeat (plaintext and SASL_PLAINTEXT listeners answer
/// before authentication; behind TLS it stays unknown, so not offered).
async fn probed_capabilities(bootstrap: &str) -> BTreeSet<Capability> {
    let first = api_versions::first_address(bootstrap);
    let versions = tokio::task::spawn_blocking(move || api_versions::probe(&first, PROBE_TIMEOUT))
        .await
        .ok()
        .and_then(Result::ok);
    let mut capabilities = versions
        .as_ref()
        .map(api_versions::capabilities)
        .unwrap_or_default();
    capabilities.insert(Capability::CreatePartitions);
    capabilities
}

/// The KafkaTopic manifests a run would apply, for `--dry-run`: the names carry `suffix`.
pub fn dry_run_manifests(
    topics: &[TopicPlan],
    namespace: &str,
    kafka: &str,
    suffix: Option<&str>,
) -> Vec<Value> {
    let run = suffix.unwrap_or("dry-run");
    topics
        .iter()
        .map(|t| {
            let name = crate::cluster::run_names::run_name(&t.name, suffix);
            super::strimzi::topic_manifest(
                OFFLINE_API_VERSION,
                namespace,
                kafka,
                run,
                &name,
                t.partitions,
                t.replicas,
                &t.config,
            )
        })
        .collect()
}

#[async_trait]
impl Cluster for KubeCluster {
    fn describe(&self) -> String {
        format!(
            "Strimzi {}/{} listener {} ({})",
            self.settings.namespace,
            self.settings.kafka,
            self.settings.listener,
            self.strimzi.api_version()
        )
    }

    fn connection(&self) -> Properties {
        self.connection.clone()
    }

    fn run_suffix(&self) -> Option<String> {
        self.suffix.clone()
    }

    fn capabilities(&self) -> BTreeSet<Capability> {
        self.capabilities.clone()
    }

    fn consumer_defaults(&self) -> Properties {
        crate::cluster::bootstrap::real_broker_consumer_defaults()
    }

    async fn create_topic(&self, topic: &TopicPlan) -> Result<(), ClusterError> {
        self.strimzi
            .claim(&self.physical(&topic.name))
            .await
            .map_err(|e| ClusterError::Topic {
                topic: topic.name.clone(),
                message: e.to_string(),
            })?;
        self.apply_and_wait(topic, topic.partitions).await
    }

    async fn grow_topic(&self, topic: &str, partitions: i32) -> Result<(), ClusterError> {
        let planned = self
            .created
            .lock()
            .ok()
            .and_then(|created| created.get(&self.physical(topic)).cloned())
            .ok_or_else(|| ClusterError::Topic {
                topic: topic.to_owned(),
                message: "not created by this run".into(),
            })?;
        self.apply_and_wait(&planned, partitions).await
    }

    async fn cleanup(&self) -> Result<(), ClusterError> {
        let created: Vec<String> = match self.created.lock() {
            Ok(mut created) => std::mem::take(&mut *created).into_keys().collect(),
            Err(_) => return Err(unavailable("topic list poisoned")),
        };
        let mut failures = Vec::new();
        for name in created {
            if let Err(e) = self.strimzi.delete(&name, TOPIC_TIMEOUT).await {
                failures.push(e.to_string());
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(unavailable(failures.join("; ")))
        }
    }
}
