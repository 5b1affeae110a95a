//! What every actor is given and how it fails: its name, the run's log, the run's names and
//! where the harness's records landed; and the header that carries a record's id.

use std::sync::Arc;

use crate::cluster::run_names::RunNames;
use crate::record::events::EventLog;

/// Header carrying the harness's record id (`<producer actor>:<sequence>`).
pub const RECORD_ID_HEADER: &str = match super::id_header::NAME.to_str() {
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
    pub places: Arc<super::places::RecordPlaces>,
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
