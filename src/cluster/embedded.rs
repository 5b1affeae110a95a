//! The default target: librdkafka's in-process mock cluster.
//!
//! The mock cluster handle cannot leave the thread that made it, so one thread owns it for the
//! life of the run and serves requests sent over a channel.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::mpsc;
use std::thread::JoinHandle;

use async_trait::async_trait;
use rdkafka::mocking::MockCluster;
use tokio::sync::oneshot;

use super::{Cluster, ClusterError};
use crate::scenario::plan::{Capability, TopicPlan};
use crate::scenario::properties::Properties;

/// Brokers in the embedded cluster, as in the course's 3-broker Strimzi cluster.
pub const EMBEDDED_BROKERS: i32 = 3;

/// The mock's group coordinator waits session.timeout.ms − 1 s for members at every join and
/// leave; 4 s keeps a rebalance at 3 s while staying far above the 500 ms heartbeat.
const SESSION_TIMEOUT_MS: &str = "4000";
const HEARTBEAT_INTERVAL_MS: &str = "500";

enum Request {
    CreateTopic {
        name: String,
        partitions: i32,
        replicas: i32,
        reply: oneshot::Sender<Result<(), String>>,
    },
}

/// librdkafka's mock cluster with three brokers, living as long as this value.
pub struct EmbeddedCluster {
    bootstrap: String,
    requests: Mutex<Option<mpsc::Sender<Request>>>,
    owner: Option<JoinHandle<()>>,
}

impl EmbeddedCluster {
    /// Starts the mock cluster.
    pub fn start() -> Result<EmbeddedCluster, ClusterError> {
        let (requests, inbox) = mpsc::channel::<Request>();
        let (ready, started) = mpsc::channel::<Result<String, String>>();
        let owner = std::thread::Builder::new()
            .name("embedded-cluster".into())
            .spawn(move || serve(inbox, ready))
            .map_err(|e| {
                ClusterError::Unavailable(format!("cannot start the mock cluster thread: {e}"))
            })?;
        let bootstrap = started
            .recv()
            .map_err(|_| {
                ClusterError::Unavailable("the mock cluster thread ended at start".into())
            })?
            .map_err(ClusterError::Unavailable)?;
        Ok(EmbeddedCluster {
            bootstrap,
            requests: Mutex::new(Some(requests)),
            owner: Some(owner),
        })
    }

    /// What every mock cluster can do, known without starting one: KIP-848 with the mock's
    /// own timing (a 3 s heartbeat, a 30 s session) and a plain range assignment computed by
    /// the broker; no CreatePartitions, no brokers to fault.
    pub fn offers() -> BTreeSet<Capability> {
        BTreeSet::from([Capability::ConsumerGroupProtocol])
    }

    /// The mock brokers' addresses.
    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap
    }

    fn send(&self, request: Request) -> Result<(), ClusterError> {
        let guard = self
            .requests
            .lock()
            .map_err(|_| ClusterError::Unavailable("mock cluster channel poisoned".into()))?;
        guard
            .as_ref()
            .and_then(|tx| tx.send(request).ok())
            .ok_or_else(|| ClusterError::Unavailable("the mock cluster has stopped".into()))
    }
}

fn serve(inbox: mpsc::Receiver<Request>, ready: mpsc::Sender<Result<String, String>>) {
    let cluster = match MockCluster::new(EMBEDDED_BROKERS) {
        Ok(cluster) => cluster,
        Err(e) => {
            let _ = ready.send(Err(format!("cannot create the mock cluster: {e}")));
            return;
        }
    };
    if ready.send(Ok(cluster.bootstrap_servers())).is_err() {
        return;
    }
    for request in inbox {
        match request {
            Request::CreateTopic {
                name,
                partitions,
                replicas,
                reply,
            } => {
                let result = cluster
                    .create_topic(&name, partitions, replicas)
                    .map_err(|e| e.to_string());
                let _ = reply.send(result);
            }
        }
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        if let Ok(mut guard) = self.requests.lock() {
            guard.take();
        }
        if let Some(owner) = self.owner.take() {
            let _ = owner.join();
        }
    }
}

#[async_trait]
impl Cluster for EmbeddedCluster {
    fn describe(&self) -> String {
        format!("embedded (librdkafka mock cluster, {EMBEDDED_BROKERS} brokers)")
    }

    fn connection(&self) -> Properties {
        let mut connection = Properties::new();
        connection.set("bootstrap.servers", self.bootstrap_servers());
        connection
    }

    fn capabilities(&self) -> BTreeSet<Capability> {
        EmbeddedCluster::offers()
    }

    fn consumer_defaults(&self) -> Properties {
        let mut defaults = Properties::new();
        defaults.set("session.timeout.ms", SESSION_TIMEOUT_MS);
        defaults.set("heartbeat.interval.ms", HEARTBEAT_INTERVAL_MS);
        defaults
    }

    async fn create_topic(&self, topic: &TopicPlan) -> Result<(), ClusterError> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::CreateTopic {
            name: topic.name.clone(),
            partitions: topic.partitions,
            replicas: topic.replicas,
            reply,
        })?;
        answer
            .await
            .map_err(|_| ClusterError::Unavailable("the mock cluster stopped".into()))?
            .map_err(|message| ClusterError::Topic {
                topic: topic.name.clone(),
                message,
            })
    }

    async fn grow_topic(&self, topic: &str, _partitions: i32) -> Result<(), ClusterError> {
        Err(ClusterError::Topic {
            topic: topic.to_owned(),
            message: "the embedded cluster cannot add partitions".into(),
        })
    }
}
