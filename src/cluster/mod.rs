//! Where brokers come from. Every target answers the same small interface and says what it can
//! do, so a scenario that needs more is reported as not runnable instead of failing half way.
//!
//! - [`interface`]: the `Cluster` trait, `BrokerControl` and `ClusterError`;
//! - [`target`]: which target, what an invocation started for it, one shutdown;
//! - [`embedded`], [`bootstrap`], [`container`], [`local`], [`kubernetes`]: the targets;
//! - [`run_names`]: a run's id and the names it gives topics and groups;
//! - [`client`]: librdkafka configurations; [`wire`], [`api_versions`], [`metadata`]: requests to
//!   a broker of the harness's choosing; [`owned_process`]: child processes that die with us.

pub mod api_versions;
pub mod bootstrap;
pub mod client;
pub mod container;
pub mod embedded;
pub mod interface;
pub mod kubernetes;
pub mod local;
pub mod metadata;
pub mod owned_process;
pub mod run_names;
pub mod target;
pub mod wire;

pub use bootstrap::{BootstrapCluster, BootstrapSettings};
pub use embedded::EmbeddedCluster;
pub use interface::{BrokerControl, Cluster, ClusterError};
pub use local::own::OwnKafka;
pub use target::{Launched, Target};
