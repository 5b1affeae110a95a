//! The pure half of `scenario-run explore`: what a file's `explore:` section offers, timelines
//! drawn from a seed, each written as a plain scenario file that heals everything at its end,
//! and smaller timelines to try once one broke an invariant. Nothing here runs anything; the
//! binary runs what this writes.
//!
//! - [`ground`]: what the section offers, read once from the file (actors, brokers, bounds);
//! - [`episode`]: one drawn event, how long it lasts, and the steps it becomes;
//! - [`draw`]: episodes drawn from a seed, every one valid when it starts;
//! - [`write`]: episodes -> the scenario's text, healed at the end, checked by the loader;
//! - [`shrink`]: the smaller timelines to try, in order, given what the runs said.

pub mod draw;
pub mod episode;
pub mod ground;
pub mod shrink;
pub mod write;

pub use draw::draw;
pub use episode::{Broker, Episode, Op};
pub use ground::{Ground, ground};
pub use shrink::Shrinker;
pub use write::{Part, Written, write};
