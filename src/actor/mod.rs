//! What acts on the timeline and what watches it: the harness's own consumers and producers
//! (librdkafka), external programs (the course's kafka-python scripts, a Spring Boot jar), the
//! relay that freezes a consumer's traffic, and the readers that observe what programs do
//! (their groups, the topics they write) and read topics back after a run. Each writes what it
//! does and sees to the run's event log, under its actor name and the scenario's topic names.

pub mod consumer;
pub mod group_watch;
pub mod id_header;
mod main_queue;
pub mod offsets;
pub mod places;
pub mod process;
pub mod producer;
pub mod readback;
pub mod relay;
pub mod symbol_cache;
pub mod topic_tail;

use std::sync::Arc;

use crate::cluster::run_names::RunNames;
use crate::record::events::EventLog;

pub use consumer::ConsumerActor;
pub use producer::ProducerActor;

/// Header carrying the harness's record id (`<producer actor>:<sequence>`).
pub const RECORD_ID_HEADER: &str = match id_header::NAME.to_str() {
    Ok(name) => name,
    Err(_) => panic!("the id header's name is UTF-8"),
};

/// What every actor needs: its name, the log and the topic names.
#[derive(Debug, Clone)]
pub struct ActorEnv {
    /// Actor name.
    pub name: Arc<str>,
    /// The run's event log.
    pub log: Arc<EventLog>,
    /// Topic name mapping.
    pub topics: Arc<RunNames>,
    /// Where the harness's records landed, for consumers that name records by place.
    pub places: Arc<places::RecordPlaces>,
}

/// An actor's client could not be created or used.
#[derive(Debug, thiserror::Error)]
#[error("actor `{actor}`: {message}")]
pub struct ActorError {
    /// Actor name.
    pub actor: String,
    /// What went wrong.
    pub message: String,
}
