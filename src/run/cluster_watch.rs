//! Records the cluster's state into the event log while a scenario with its own brokers runs:
//! a `PartitionState` event whenever a partition's leader or in-sync replicas change and a
//! `Brokers` event whenever the registered brokers do, so barriers, failover times and reports
//! read them like every other event.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::cluster_view::{ClusterView, Snapshot};
use crate::record::events::{CLUSTER, EventKind, EventLog};

/// Time between two metadata reads.
const INTERVAL: Duration = Duration::from_millis(100);
/// How long one broker may take to answer a metadata read (a paused broker answers nothing).
const READ_TIMEOUT: Duration = Duration::from_millis(500);

/// The running watch.
pub struct ClusterWatch {
    stop: Arc<AtomicBool>,
    task: Option<JoinHandle<()>>,
}

impl ClusterWatch {
    /// Starts watching `topics` (scenario names).
    pub fn start(view: Arc<ClusterView>, topics: Vec<String>, log: Arc<EventLog>) -> ClusterWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let task = tokio::task::spawn_blocking(move || {
            let actor: Arc<str> = Arc::from(CLUSTER);
            let mut last = Snapshot::default();
            while !stopped.load(Ordering::Relaxed) {
                if let Ok(now) = view.read(&topics, READ_TIMEOUT) {
                    log.extend(&actor, changes(&last, &now));
                    last = now;
                }
                std::thread::sleep(INTERVAL);
            }
        });
        ClusterWatch {
            stop,
            task: Some(task),
        }
    }

    /// Stops watching and waits for the last read to end.
    pub async fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ClusterWatch {
    /// A run dropped half way (a signal) must not leave the blocking loop behind: the runtime
    /// waits for blocking tasks before the process can exit.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The events that turn `before` into `after`.
pub fn changes(before: &Snapshot, after: &Snapshot) -> Vec<EventKind> {
    let mut events = Vec::new();
    if before.brokers != after.brokers {
        events.push(EventKind::Brokers(after.brokers.clone()));
    }
    for (partition, state) in &after.partitions {
        if before.partitions.get(partition) != Some(state) {
            events.push(EventKind::PartitionState {
                at: partition.clone(),
                leader: state.leader,
                replicas: state.replicas.clone(),
                isr: state.isr.clone(),
            });
        }
    }
    events
}

#[cfg(test)]
mod tests;
