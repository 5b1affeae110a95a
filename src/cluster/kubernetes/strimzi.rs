//! Strimzi resources through the Kubernetes API: KafkaTopic apply / wait / delete, the Kafka
//! resource's listener addresses and a KafkaUser's password. Every request goes through a
//! `kube::Client`, so tests drive it with a mocked API server.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIGroup;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::ApiResource;
use serde_json::{Value, json};

/// The field manager of the harness's server-side applies.
pub const FIELD_MANAGER: &str = "kafka-scenario";
/// Label marking a resource as created by one run: its value is the run id.
pub const RUN_LABEL: &str = "kafka-scenario/run";
const GROUP: &str = "kafka.strimzi.io";
/// Strimzi API versions the harness can speak, most preferred first.
const KNOWN_VERSIONS: &[&str] = &["v1", "v1beta2"];
/// How often a wait looks again.
const RECHECK: Duration = Duration::from_millis(500);

/// What went wrong talking to Kubernetes or Strimzi.
#[derive(Debug, thiserror::Error)]
pub enum StrimziError {
    /// The API server refused or failed a request.
    #[error("Kubernetes API: {0}")]
    Api(#[from] kube::Error),
    /// Strimzi's API group is not served, or in no version the harness knows.
    #[error(
        "the cluster serves no Strimzi API the harness knows ({GROUP} {served:?}; known: v1, v1beta2)"
    )]
    NoStrimzi {
        /// Versions the API server listed.
        served: Vec<String>,
    },
    /// A KafkaTopic did not become Ready in time.
    #[error("KafkaTopic {topic} not Ready after {waited:?}: {reason}: {message}")]
    NotReady {
        /// The resource name.
        topic: String,
        /// How long the harness waited.
        waited: Duration,
        /// The Ready condition's reason, or what was seen instead.
        reason: String,
        /// The Ready condition's message.
        message: String,
    },
    /// A KafkaTopic did not disappear in time (the topic operator's finalizer did not finish).
    #[error("KafkaTopic {topic} still exists {waited:?} after its deletion")]
    NotDeleted {
        /// The resource name.
        topic: String,
        /// How long the harness waited.
        waited: Duration,
    },
    /// The harness was asked to delete a resource this run did not create.
    #[error("refusing to delete KafkaTopic {topic}: it was not created by this run ({found})")]
    Foreign {
        /// The resource name.
        topic: String,
        /// What its run label says.
        found: String,
    },
    /// The Kafka resource has no listener by that name, or no status yet.
    #[error("Kafka {kafka} has no listener `{listener}` in its status (listeners: {known:?})")]
    NoListener {
        /// The Kafka resource.
        kafka: String,
        /// The listener asked for.
        listener: String,
        /// Listener names in the status.
        known: Vec<String>,
    },
    /// The KafkaUser's secret has no password.
    #[error("secret {secret} has no `password` entry")]
    NoPassword {
        /// The secret's name.
        secret: String,
    },
}

/// Strimzi resources in one namespace, for one Kafka cluster and one run.
#[derive(Clone)]
pub struct Strimzi {
    client: kube::Client,
    namespace: String,
    kafka: String,
    version: String,
    run: String,
}

/// A KafkaTopic labelled for its Kafka cluster (`strimzi.io/cluster`) and for the run that owns it.
#[allow(clippy::too_many_arguments)] // the fields of one manifest, all required
pub fn topic_manifest(
    api_version: &str,
    namespace: &str,
    kafka: &str,
    run: &str,
    name: &str,
    partitions: i32,
    replicas: i32,
    config: &[(String, String)],
) -> Value {
    let config: serde_json::Map<String, Value> = config
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "apiVersion": api_version,
        "kind": "KafkaTopic",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": { "strimzi.io/cluster": kafka, RUN_LABEL: run },
        },
        "spec": { "partitions": partitions, "replicas": replicas, "config": config },
    })
}

fn resource(version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: GROUP.to_owned(),
        version: version.to_owned(),
        api_version: format!("{GROUP}/{version}"),
        kind: kind.to_owned(),
        plural: plural.to_owned(),
    }
}

impl Strimzi {
    /// Finds the Strimzi API version the server serves (v1 on Strimzi 1.0, v1beta2 before).
    pub async fn discover(
        client: kube::Client,
        namespace: &str,
        kafka: &str,
        run: &str,
    ) -> Result<Strimzi, StrimziError> {
        let request = http::Request::get(format!("/apis/{GROUP}"))
            .body(Vec::new())
            .map_err(kube::Error::HttpError)?;
        let group: APIGroup = client.request(request).await?;
        let served: Vec<String> = group.versions.iter().map(|v| v.version.clone()).collect();
        let version = KNOWN_VERSIONS
            .iter()
            .find(|known| served.iter().any(|v| v == *known))
            .ok_or(StrimziError::NoStrimzi {
                served: served.clone(),
            })?;
        Ok(Strimzi {
            client,
            namespace: namespace.to_owned(),
            kafka: kafka.to_owned(),
            version: (*version).to_owned(),
            run: run.to_owned(),
        })
    }

    /// The API version in use, e.g. `kafka.strimzi.io/v1beta2`.
    pub fn api_version(&self) -> String {
        format!("{GROUP}/{}", self.version)
    }

    fn topics(&self) -> Api<DynamicObject> {
        Api::namespaced_with(
            self.client.clone(),
            &self.namespace,
            &resource(&self.version, "KafkaTopic", "kafkatopics"),
        )
    }

    /// The KafkaTopic the harness applies for a topic of this run.
    pub fn topic_manifest(
        &self,
        name: &str,
        partitions: i32,
        replicas: i32,
        config: &[(String, String)],
    ) -> Value {
        topic_manifest(
            &self.api_version(),
            &self.namespace,
            &self.kafka,
            &self.run,
            name,
            partitions,
            replicas,
            config,
        )
    }

    /// Server-side apply of a KafkaTopic (also how partitions are added, as `kubectl edit` does).
    pub async fn apply(&self, manifest: &Value) -> Result<(), StrimziError> {
        let name = manifest["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let params = PatchParams::apply(FIELD_MANAGER).force();
        self.topics()
            .patch(&name, &params, &Patch::Apply(manifest))
            .await?;
        Ok(())
    }

    /// Waits until the KafkaTopic's Ready condition is True; on timeout says why it was not.
    pub async fn wait_ready(&self, name: &str, timeout: Duration) -> Result<(), StrimziError> {
        let started = Instant::now();
        loop {
            let topic = self.topics().get_opt(name).await?;
            let ready = topic.as_ref().and_then(|t| {
                t.data["status"]["conditions"]
                    .as_array()?
                    .iter()
                    .find(|c| c["type"] == "Ready")
                    .cloned()
            });
            if ready.as_ref().is_some_and(|c| c["status"] == "True") {
                return Ok(());
            }
            if started.elapsed() >= timeout {
                let (reason, message) = match (&topic, &ready) {
                    (None, _) => (
                        "NotFound".to_owned(),
                        "the KafkaTopic does not exist".to_owned(),
                    ),
                    (Some(_), None) => (
                        "NoCondition".to_owned(),
                        "no Ready condition yet: is the topic operator running?".to_owned(),
                    ),
                    (Some(_), Some(c)) => (
                        c["reason"].as_str().unwrap_or("Ready=False").to_owned(),
                        c["message"].as_str().unwrap_or_default().to_owned(),
                    ),
                };
                return Err(StrimziError::NotReady {
                    topic: name.to_owned(),
                    waited: started.elapsed(),
                    reason,
                    message,
                });
            }
            tokio::time::sleep(RECHECK).await;
        }
    }

    /// Deletes a KafkaTopic this run created and waits until the topic operator's finalizer has
    /// let it go. A resource without this run's label is left alone.
    pub async fn delete(&self, name: &str, timeout: Duration) -> Result<(), StrimziError> {
        let Some(topic) = self.topics().get_opt(name).await? else {
            return Ok(());
        };
        let label = topic
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(RUN_LABEL));
        if label != Some(&self.run) {
            return Err(StrimziError::Foreign {
                topic: name.to_owned(),
                found: label.map_or("no run label".to_owned(), |run| format!("run {run}")),
            });
        }
        self.topics().delete(name, &DeleteParams::default()).await?;
        let started = Instant::now();
        while self.topics().get_opt(name).await?.is_some() {
            if started.elapsed() >= timeout {
                return Err(StrimziError::NotDeleted {
                    topic: name.to_owned(),
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(RECHECK).await;
        }
        Ok(())
    }

    /// The bootstrap address of a listener, from the Kafka resource's status.
    pub async fn bootstrap(&self, listener: &str) -> Result<String, StrimziError> {
        let kafkas: Api<DynamicObject> = Api::namespaced_with(
            self.client.clone(),
            &self.namespace,
            &resource(&self.version, "Kafka", "kafkas"),
        );
        let kafka = kafkas.get(&self.kafka).await?;
        let listeners = kafka.data["status"]["listeners"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        listeners
            .iter()
            .find(|l| l["name"] == listener)
            .and_then(|l| l["bootstrapServers"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| StrimziError::NoListener {
                kafka: self.kafka.clone(),
                listener: listener.to_owned(),
                known: listeners
                    .iter()
                    .filter_map(|l| l["name"].as_str().map(str::to_owned))
                    .collect(),
            })
    }

    /// The password the User Operator put in the KafkaUser's secret (named after the user).
    pub async fn password(&self, user: &str) -> Result<String, StrimziError> {
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), &self.namespace);
        let secret = secrets.get(user).await?;
        secret
            .data
            .as_ref()
            .and_then(|d| d.get("password"))
            .and_then(|p| String::from_utf8(p.0.clone()).ok())
            .ok_or_else(|| StrimziError::NoPassword {
                secret: user.to_owned(),
            })
    }
}
