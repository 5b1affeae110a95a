//! The scenario file format: model, parsing with located errors, validation into a `Plan`. It
//! knows nothing of running, clients or brokers.
//!
//! - [`load`](mod@load): a file or text -> a plan per variant, or a located error;
//! - [`model`]: the file as written; [`values`]: durations, rates, partitions as written;
//! - [`parse`]: YAML with positions; [`source`]: the text and `file:line:column` errors;
//! - [`validate`]: the model checked and turned into a [`plan::Plan`]; [`schema`]: the model's
//!   JSON Schema, for editors;
//! - [`template`]: placeholders in a process's command line; [`properties`]: a client's
//!   librdkafka properties, the last layer winning.

pub mod explore;
pub mod load;
pub mod model;
pub mod parse;
pub mod plan;
pub mod properties;
pub mod schema;
pub mod source;
pub mod template;
pub mod validate;
pub mod values;

pub use load::{FIXED_SEED, LoadError, load, load_seeded, load_str};
pub use plan::{Plan, Scenario};
pub use source::{ScenarioError, SourceText};
