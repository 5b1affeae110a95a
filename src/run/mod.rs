//! The timeline executor: creates the topics, drives the actors step by step, waits at barriers,
//! records a checkpoint wherever an `await` or `expect` stands, and leaves a `RunRecord` behind.
//! It judges nothing: whoever observes the run (see `observer`) judges an `expect` step from
//! the log, once.
//!
//! - [`entry`]: `run`, what a target must offer, the topics created and removed;
//! - [`observer`]: the contract with whoever watches a run (step notes, progress);
//! - `runner`: the step loop; `live_actor`: one type for every kind of actor; `actors`:
//!   starting and ending them; `finish`: stopping what still runs and collecting the record;
//!   `room`: room for one more consumer (open files, threads, memory maps, memory);
//! - [`barrier`]: `await` conditions; [`fault_steps`]: which broker a fault step means;
//!   [`cluster_view`] and [`cluster_watch`]: the scenario's own brokers, watched.

mod actors;
pub mod barrier;
pub mod cluster_view;
pub mod cluster_watch;
pub mod entry;
pub mod fault_steps;
mod finish;
mod live_actor;
pub mod observer;
mod room;
mod runner;

pub use entry::{RunError, run};
pub use observer::{Observer, Silent, StepNote, StepProgress};
