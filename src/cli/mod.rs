//! The command line's own modules (the `scenario-run` binary, not the library): which target
//! `--cluster` means, the profile file it may name, and running an invocation's scenarios.
//!
//! - [`target_choice`]: `--cluster NAME` and its options -> a `Target`;
//! - [`profiles`]: the `clusters.yaml` profile file and kubeconfig lookups;
//! - [`invocation`]: every scenario of an invocation on its target, `--jobs` at once;
//! - [`explore`]: `scenario-run explore`, drawn timelines run, judged and shrunk.

pub mod explore;
pub mod invocation;
pub mod profiles;
pub mod target_choice;
