//! What acts on the timeline and what watches it: the harness's own consumers and producers
//! (librdkafka), external programs (the course's kafka-python scripts, a Spring Boot jar), the
//! relay that freezes, cuts or delays a consumer's traffic, and the readers that observe what
//! programs do (their groups, the topics they write) and read topics back after a run. Each
//! writes what it does and sees to the run's event log, under its actor name and the
//! scenario's topic names.
//!
//! - [`env`](mod@env): what every actor is given; [`consumer`], [`producer`]: the harness's clients;
//! - [`process`]: external programs, [`printed`]: the records their output reports consumed;
//!   [`relay`]: the way to the cluster of a consumer frozen or on a changed link;
//! - [`group_watch`], [`topic_tail`]: what programs do, seen from outside; [`offsets`],
//!   [`readback`]: committed offsets and the topics read back after a run;
//! - [`places`], [`id_header`], [`symbol_cache`]: where records landed, the id header, a
//!   client thread's symbols.

pub mod consumer;
pub mod env;
pub mod group_watch;
pub mod id_header;
mod main_queue;
pub mod offsets;
pub mod places;
pub mod printed;
pub mod process;
pub mod producer;
pub mod readback;
pub mod relay;
pub mod symbol_cache;
pub mod topic_tail;

pub use consumer::ConsumerActor;
pub use env::{ActorEnv, ActorError, RECORD_ID_HEADER};
pub use producer::ProducerActor;
