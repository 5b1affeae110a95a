//! The record of a run: the event log and everything that writes or reads it. Actors and the
//! runner write it; outcome, expect and the reporters read it. It depends on the scenario
//! format only, so that clients, the runner and the judges can all stand on it without
//! reaching into one another.
//!
//! - [`events`]: the log itself, its event kinds and the record ids carried in a header;
//! - [`batch`]: records of one poll or one delivery report, kept in runs;
//! - [`difference`]: an expectation that did not hold, judged once at its step;
//! - [`ids`]: sets of record ids per producer, for duplicates and losses;
//! - [`symbols`]: the run's symbol table (actors, topics, keys as 4-byte symbols);
//! - [`state`]: who holds what, folded from the log as it grows;
//! - [`process_output`]: what an external program printed and how it ended;
//! - [`run_record`]: everything a run leaves behind, checkpoints and timings included.

pub mod batch;
pub mod difference;
pub mod events;
pub mod ids;
pub mod process_output;
pub mod run_record;
pub mod state;
pub mod symbols;
