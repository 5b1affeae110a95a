//! A STAND-IN for Strimzi's operators, for the tests only; not part of the product. Strimzi
//! itself cannot run here (no container images, no kubelet), so this plays its part against a
//! real kube-apiserver and a real Kafka (`kafka-local`), the way Strimzi's would:
//! - Kafka `my-cluster`: `status.listeners` with the real cluster's bootstrap address for every
//!   plaintext listener of its spec, and Ready.
//! - KafkaUser: the secret named after the user (`password`, `sasl.jaas.config`) for the one
//!   SCRAM user the real cluster has, and Ready; any other user Ready=False.
//! - KafkaTopic labelled for the cluster: adds its finalizer, creates the topic or adds
//!   partitions, and reports Ready (or Ready=False with Kafka's reason) for the generation it
//!   reconciled; on deletion removes the topic from Kafka, then its finalizer.
//!
//! It polls (every 200 ms) instead of watching: simpler, and the harness cannot tell.

use std::collections::BTreeMap;
use std::path::Path;
use std::thread::JoinHandle;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::ApiResource;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The finalizer Strimzi's topic operator puts on the KafkaTopics it manages.
pub const FINALIZER: &str = "strimzi.io/topic-operator";
const MANAGER: &str = "stand-in-strimzi-operator";
const EVERY: Duration = Duration::from_millis(200);

/// The real Kafka cluster behind the Kafka resource.
#[derive(Debug, Clone)]
pub struct Backing {
    /// Its bootstrap address.
    pub bootstrap: String,
    /// What an admin client needs to log in.
    pub client_properties: Vec<(String, String)>,
    /// The SCRAM user the cluster has, and its password.
    pub user: String,
    /// That user's password.
    pub password: String,
}

/// The stand-in operator, running on a thread of its own until stopped or dropped.
pub struct StandInOperator {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl StandInOperator {
    /// Starts reconciling `namespace` for the Kafka resource `cluster`.
    pub fn start(
        kubeconfig: &Path,
        namespace: &str,
        cluster: &str,
        backing: Backing,
    ) -> Result<StandInOperator, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let client = runtime.block_on(client(kubeconfig))?;
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &backing.bootstrap);
        // An admin client is a producer to librdkafka, whose metadata requests would have the
        // broker create a topic they name; the operator looks at topics before creating them.
        config.set("allow.auto.create.topics", "false");
        for (key, value) in &backing.client_properties {
            config.set(key, value);
        }
        let admin: AdminClient<DefaultClientContext> =
            config.create().map_err(|e| format!("admin client: {e}"))?;
        let operator = Operator {
            client,
            namespace: namespace.to_owned(),
            cluster: cluster.to_owned(),
            backing,
            admin,
        };
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("stand-in-operator".into())
            .spawn(move || runtime.block_on(operator.run(stopped)))
            .map_err(|e| e.to_string())?;
        Ok(StandInOperator {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for StandInOperator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn client(kubeconfig: &Path) -> Result<kube::Client, String> {
    let kubeconfig = Kubeconfig::read_from(kubeconfig).map_err(|e| e.to_string())?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    kube::Client::try_from(config).map_err(|e| e.to_string())
}

fn strimzi(kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: "kafka.strimzi.io".into(),
        version: "v1beta2".into(),
        api_version: "kafka.strimzi.io/v1beta2".into(),
        kind: kind.into(),
        plural: plural.into(),
    }
}

/// A Ready condition as Strimzi writes it.
fn ready(refusal: Option<(&str, &str)>) -> Value {
    let now = Timestamp::now().to_string();
    match refusal {
        None => json!({"type": "Ready", "status": "True", "lastTransitionTime": now}),
        Some((reason, message)) => json!({
            "type": "Ready", "status": "False", "reason": reason, "message": message,
            "lastTransitionTime": now,
        }),
    }
}

fn reconciled(object: &DynamicObject) -> bool {
    object.data["status"]["observedGeneration"].as_i64() == object.metadata.generation
}

struct Operator {
    client: kube::Client,
    namespace: String,
    cluster: String,
    backing: Backing,
    admin: AdminClient<DefaultClientContext>,
}

impl Operator {
    async fn run(self, mut stopped: oneshot::Receiver<()>) {
        loop {
            for (what, result) in [
                ("Kafka", self.kafkas().await),
                ("KafkaUser", self.users().await),
                ("KafkaTopic", self.topics().await),
            ] {
                if let Err(e) = result {
                    eprintln!("stand-in operator, {what}: {e}");
                }
            }
            tokio::select! {
                _ = &mut stopped => return,
                () = tokio::time::sleep(EVERY) => {}
            }
        }
    }

    fn api(&self, kind: &str, plural: &str) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), &self.namespace, &strimzi(kind, plural))
    }

    fn labelled(&self) -> ListParams {
        ListParams::default().labels(&format!("strimzi.io/cluster={}", self.cluster))
    }

    async fn set_status(
        &self,
        api: &Api<DynamicObject>,
        object: &DynamicObject,
        mut status: Value,
    ) -> Result<(), kube::Error> {
        status["observedGeneration"] = json!(object.metadata.generation);
        let name = object.metadata.name.clone().unwrap_or_default();
        api.patch_status(
            &name,
            &PatchParams::default(),
            &Patch::Merge(json!({ "status": status })),
        )
        .await?;
        Ok(())
    }

    /// The cluster operator's part: the listeners' addresses.
    async fn kafkas(&self) -> Result<(), kube::Error> {
        let api = self.api("Kafka", "kafkas");
        for kafka in api.list(&ListParams::default()).await? {
            if kafka.metadata.name.as_deref() != Some(self.cluster.as_str()) || reconciled(&kafka) {
                continue;
            }
            let (host, port) = self
                .backing
                .bootstrap
                .split(',')
                .next()
                .and_then(|first| first.rsplit_once(':'))
                .unwrap_or_default();
            let listeners: Vec<Value> = kafka.data["spec"]["kafka"]["listeners"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|listener| listener["tls"] != true)
                .map(|listener| {
                    json!({
                        "name": listener["name"],
                        "type": listener["type"],
                        "bootstrapServers": self.backing.bootstrap,
                        "addresses": [{"host": host, "port": port.parse::<u16>().unwrap_or(0)}],
                    })
                })
                .collect();
            self.set_status(
                &api,
                &kafka,
                json!({"listeners": listeners, "conditions": [ready(None)]}),
            )
            .await?;
        }
        Ok(())
    }

    /// The user operator's part: the secret of the one SCRAM user the real cluster has.
    async fn users(&self) -> Result<(), kube::Error> {
        let api = self.api("KafkaUser", "kafkausers");
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), &self.namespace);
        for user in api.list(&self.labelled()).await? {
            if reconciled(&user) {
                continue;
            }
            let name = user.metadata.name.clone().unwrap_or_default();
            if name != self.backing.user {
                let message = format!(
                    "the stand-in operator's Kafka has only the SCRAM user {}",
                    self.backing.user
                );
                let refused = ready(Some(("NotSupported", &message)));
                self.set_status(&api, &user, json!({"conditions": [refused]}))
                    .await?;
                continue;
            }
            let jaas = format!(
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"{name}\" password=\"{}\";",
                self.backing.password
            );
            let secret = json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": name,
                    "namespace": self.namespace,
                    "labels": {"strimzi.io/cluster": self.cluster, "strimzi.io/kind": "KafkaUser"},
                },
                "stringData": {"password": self.backing.password, "sasl.jaas.config": jaas},
            });
            secrets
                .patch(
                    &name,
                    &PatchParams::apply(MANAGER).force(),
                    &Patch::Apply(&secret),
                )
                .await?;
            self.set_status(
                &api,
                &user,
                json!({"username": name, "secret": name, "conditions": [ready(None)]}),
            )
            .await?;
        }
        Ok(())
    }

    /// The topic operator's part.
    async fn topics(&self) -> Result<(), kube::Error> {
        let api = self.api("KafkaTopic", "kafkatopics");
        for topic in api.list(&self.labelled()).await? {
            let name = topic.metadata.name.clone().unwrap_or_default();
            let finalizers = topic.metadata.finalizers.clone().unwrap_or_default();
            let ours = finalizers.iter().any(|f| f == FINALIZER);
            let kafka_name = topic.data["spec"]["topicName"]
                .as_str()
                .unwrap_or(&name)
                .to_owned();
            if topic.metadata.deletion_timestamp.is_some() {
                if ours {
                    self.delete_from_kafka(&kafka_name).await;
                    let others: Vec<&String> =
                        finalizers.iter().filter(|f| *f != FINALIZER).collect();
                    api.patch(
                        &name,
                        &PatchParams::default(),
                        &Patch::Merge(json!({"metadata": {"finalizers": others}})),
                    )
                    .await?;
                }
                continue;
            }
            if !ours {
                let mut with_ours = finalizers.clone();
                with_ours.push(FINALIZER.to_owned());
                api.patch(
                    &name,
                    &PatchParams::default(),
                    &Patch::Merge(json!({"metadata": {"finalizers": with_ours}})),
                )
                .await?;
            }
            if reconciled(&topic) {
                continue;
            }
            let condition = match self.converge(&kafka_name, &topic.data["spec"]).await {
                Ok(()) => ready(None),
                Err((reason, message)) => ready(Some((reason, &message))),
            };
            self.set_status(
                &api,
                &topic,
                json!({"topicName": kafka_name, "conditions": [condition]}),
            )
            .await?;
        }
        Ok(())
    }

    /// Makes the Kafka topic what the spec says: created, or grown. A refusal is Strimzi's
    /// reason and Kafka's message.
    async fn converge(&self, name: &str, spec: &Value) -> Result<(), (&'static str, String)> {
        let partitions = spec["partitions"].as_i64().unwrap_or(1);
        let replicas = spec["replicas"].as_i64().unwrap_or(-1);
        let wanted = i32::try_from(partitions).map_err(|e| ("InvalidSpec", e.to_string()))?;
        let existing = self.partitions(name)?;
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        let answers = match existing {
            None => {
                let config: BTreeMap<String, String> = spec["config"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(key, value)| {
                        let value = value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned);
                        (key.clone(), value)
                    })
                    .collect();
                let replication = TopicReplication::Fixed(
                    i32::try_from(replicas).map_err(|e| ("InvalidSpec", e.to_string()))?,
                );
                let mut topic = NewTopic::new(name, wanted, replication);
                for (key, value) in &config {
                    topic = topic.set(key, value);
                }
                self.admin.create_topics([&topic], &options).await
            }
            Some(count) if count < wanted => {
                let grown = NewPartitions::new(name, usize::try_from(wanted).unwrap_or(0));
                self.admin.create_partitions([&grown], &options).await
            }
            Some(count) if count > wanted => {
                return Err((
                    "PartitionDecreaseException",
                    format!("Decreasing partitions not supported ({count} -> {wanted})"),
                ));
            }
            Some(_) => return Ok(()),
        };
        match answers {
            Ok(results) => match results.into_iter().next() {
                Some(Err((_, code))) => Err(("KafkaError", code.to_string())),
                _ => Ok(()),
            },
            Err(e) => Err(("KafkaError", e.to_string())),
        }
    }

    /// The topic's partition count on Kafka, `None` if it does not exist.
    fn partitions(&self, name: &str) -> Result<Option<i32>, (&'static str, String)> {
        let metadata = self
            .admin
            .inner()
            .fetch_metadata(Some(name), Duration::from_secs(10))
            .map_err(|e| ("KafkaError", e.to_string()))?;
        Ok(metadata
            .topics()
            .iter()
            .find(|t| t.name() == name && t.error().is_none())
            .map(|t| i32::try_from(t.partitions().len()).unwrap_or(i32::MAX)))
    }

    async fn delete_from_kafka(&self, name: &str) {
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        if let Err(e) = self.admin.delete_topics(&[name], &options).await {
            eprintln!("stand-in operator: cannot delete topic {name}: {e}");
        }
    }
}
