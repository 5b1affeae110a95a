//! Strimzi resources through the Kubernetes API: KafkaTopic apply / wait / delete, the Kafka
//! resource's listener addresses and a KafkaUser's password. Every request goes through a
//! `kube::Client`, so tests drive it with a mocked API server.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIGroup;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
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
/// How long a KafkaTopic the topic operator has refused (Ready=False for its current
/// generation) is given to turn Ready before the wait ends with the operator's reason: the
/// operator may retry, but a refusal rarely changes.
const REFUSAL_GRACE: Duration = Duration::from_secs(10);

/// What went wrong talking to Kubernetes or Strimzi.
#[derive(Debug, thiserror::Error)]
pub enum StrimziError {
    /// The API server refused or failed a request.
    #[error("Kubernetes API: {0}")]
    Api(#[from] kube::Error),
    /// The API server serves no `kafka.strimzi.io` group at all: Strimzi's CRDs are not installed.
    #[error(
        "Strimzi is not installed in this cluster: the API server serves no {GROUP} API (install Strimzi, or its CRDs)"
    )]
    NotInstalled,
    /// Strimzi's API group is served, but in no version the harness knows.
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
    /// A KafkaTopic of that name exists and is not this run's: the harness neither takes it
    /// over nor deletes it.
    #[error(
        "KafkaTopic {topic} already exists and was not created by this run ({found}); refusing to take it over"
    )]
    Taken {
        /// The resource name.
        topic: String,
        /// What its run label says.
        found: String,
    },
    /// The harness was asked to delete a resource this run did not create.
    #[error("refusing to delete KafkaTopic {topic}: it was not created by this run ({found})")]
    Foreign {
        /// The resource name.
        topic: String,
        /// What its run label says.
        found: String,
    },
    /// There is no Kafka resource by that name in the namespace.
    #[error("no Kafka resource {kafka} in namespace {namespace} (Kafkas there: {found:?})")]
    NoKafka {
        /// The Kafka resource asked for.
        kafka: String,
        /// Its namespace.
        namespace: String,
        /// The Kafka resources the namespace has.
        found: Vec<String>,
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

/// A listener of a Kafka resource, as clients reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// `status.listeners[].bootstrapServers`.
    pub bootstrap: String,
    /// `spec.kafka.listeners[].authentication.type` (e.g. `scram-sha-512`), if any.
    pub authentication: Option<String>,
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
        let group: APIGroup = match client.request(request).await {
            // A real API server answers an unserved group with a plain-text "404 page not found",
            // not a Status, so only the code says NotFound.
            Err(kube::Error::Api(status)) if status.code == 404 => {
                return Err(StrimziError::NotInstalled);
            }
            answer => answer?,
        };
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

    /// Waits until the topic operator has made the KafkaTopic's current generation Ready. A
    /// Ready condition counts only once `status.observedGeneration` has caught up with
    /// `metadata.generation`: after a spec change (more partitions) the previous generation's
    /// Ready=True is still there until the operator has looked. A refusal of the current
    /// generation (Ready=False) ends the wait after a short grace, with the operator's reason.
    pub async fn wait_ready(&self, name: &str, timeout: Duration) -> Result<(), StrimziError> {
        let started = Instant::now();
        let mut refused_since: Option<Instant> = None;
        loop {
            let topic = self.topics().get_opt(name).await?;
            let (reason, message, refused) = match topic.as_ref().map(readiness) {
                Some(Readiness::Ready) => return Ok(()),
                Some(Readiness::Refused { reason, message }) => (reason, message, true),
                Some(Readiness::Unseen) => (
                    "NoCondition".to_owned(),
                    "the topic operator has not reconciled it yet: is it running?".to_owned(),
                    false,
                ),
                None => (
                    "NotFound".to_owned(),
                    "the KafkaTopic does not exist".to_owned(),
                    false,
                ),
            };
            let refused_for = if refused {
                refused_since.get_or_insert_with(Instant::now).elapsed()
            } else {
                refused_since = None;
                Duration::ZERO
            };
            if refused_for >= REFUSAL_GRACE || started.elapsed() >= timeout {
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

    /// Refuses a KafkaTopic name that a resource not of this run already has, before this run
    /// applies anything to it: a force-apply would otherwise take a student's topic over.
    pub async fn claim(&self, name: &str) -> Result<(), StrimziError> {
        match self.topics().get_opt(name).await? {
            Some(topic) if run_of(&topic) != Some(self.run.as_str()) => Err(StrimziError::Taken {
                topic: name.to_owned(),
                found: ownership(&topic),
            }),
            _ => Ok(()),
        }
    }

    /// Deletes a KafkaTopic this run created and waits until the topic operator's finalizer has
    /// let it go. A resource without this run's label is left alone.
    pub async fn delete(&self, name: &str, timeout: Duration) -> Result<(), StrimziError> {
        let Some(topic) = self.topics().get_opt(name).await? else {
            return Ok(());
        };
        if run_of(&topic) != Some(self.run.as_str()) {
            return Err(StrimziError::Foreign {
                topic: name.to_owned(),
                found: ownership(&topic),
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

    /// A listener of the Kafka resource: its bootstrap address from the status, and the
    /// authentication its spec asks for.
    pub async fn listener(&self, listener: &str) -> Result<Listener, StrimziError> {
        let kafkas: Api<DynamicObject> = Api::namespaced_with(
            self.client.clone(),
            &self.namespace,
            &resource(&self.version, "Kafka", "kafkas"),
        );
        let Some(kafka) = kafkas.get_opt(&self.kafka).await? else {
            let found = kafkas.list(&ListParams::default()).await?;
            return Err(StrimziError::NoKafka {
                kafka: self.kafka.clone(),
                namespace: self.namespace.clone(),
                found: found
                    .items
                    .into_iter()
                    .filter_map(|k| k.metadata.name)
                    .collect(),
            });
        };
        let listeners = kafka.data["status"]["listeners"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let bootstrap = listeners
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
            })?;
        let authentication = kafka.data["spec"]["kafka"]["listeners"]
            .as_array()
            .and_then(|specs| specs.iter().find(|l| l["name"] == listener))
            .and_then(|l| l["authentication"]["type"].as_str())
            .map(str::to_owned);
        Ok(Listener {
            bootstrap,
            authentication,
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

/// Where a KafkaTopic stands with the topic operator, for its current generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// The operator has not reported on this generation yet.
    Unseen,
    /// Ready=True for this generation.
    Ready,
    /// Ready=False (or Unknown) for this generation, with the operator's reason.
    Refused {
        /// The condition's reason.
        reason: String,
        /// The condition's message.
        message: String,
    },
}

/// Reads a KafkaTopic's Ready condition, counting it only for the generation it was reported
/// for (an operator without `observedGeneration` is taken at its word).
pub fn readiness(topic: &DynamicObject) -> Readiness {
    let status = &topic.data["status"];
    let observed = status["observedGeneration"].as_i64();
    if let (Some(observed), Some(generation)) = (observed, topic.metadata.generation)
        && observed < generation
    {
        return Readiness::Unseen;
    }
    let ready = status["conditions"]
        .as_array()
        .and_then(|conditions| conditions.iter().find(|c| c["type"] == "Ready"));
    match ready {
        None => Readiness::Unseen,
        Some(condition) if condition["status"] == "True" => Readiness::Ready,
        Some(condition) => Readiness::Refused {
            reason: condition["reason"]
                .as_str()
                .unwrap_or("Ready=False")
                .to_owned(),
            message: condition["message"].as_str().unwrap_or_default().to_owned(),
        },
    }
}

fn run_of(topic: &DynamicObject) -> Option<&str> {
    topic
        .metadata
        .labels
        .as_ref()
        .and_then(|labels| labels.get(RUN_LABEL))
        .map(String::as_str)
}

fn ownership(topic: &DynamicObject) -> String {
    run_of(topic).map_or("no run label".to_owned(), |run| format!("run {run}"))
}

#[cfg(test)]
mod tests;
