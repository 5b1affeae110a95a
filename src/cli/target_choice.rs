//! `--cluster NAME` and the options that shape it, turned into a `Target`: a built-in name
//! (`embedded`, `kafka-local`, `kafka`, `redpanda`), else a profile or a kubeconfig. This is the
//! command line's business, so it lives with the command line, not with the clusters.

use std::path::PathBuf;

use kafka_scenario::cluster::Target;
use kafka_scenario::cluster::container::{ContainerSettings, Flavour};
use kafka_scenario::cluster::local::LocalSettings;
use kafka_scenario::cluster::local::scram::ScramUser;

use super::profiles::{self, ProfileError};

/// The command-line settings that shape a named target.
#[derive(Debug, Clone, Default)]
pub struct TargetOptions {
    /// `--image` for container targets.
    pub image: Option<String>,
    /// `--brokers` for `kafka` and `kafka-local`.
    pub brokers: Option<usize>,
    /// `--kafka-home` for `kafka-local`.
    pub kafka_home: Option<PathBuf>,
    /// `--scram` for `kafka-local`: its user, whose password was drawn for this invocation.
    pub scram: Option<ScramUser>,
    /// The profile file read for any other name.
    pub clusters: PathBuf,
}

/// A target name or its options do not make sense.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// A profile could not be resolved.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// An option was given to a target that has no use for it.
    #[error("{option} is for {targets}, not for --cluster {name}")]
    Misplaced {
        /// The option, e.g. `--brokers`.
        option: &'static str,
        /// The targets that take it.
        targets: &'static str,
        /// The target named.
        name: String,
    },
}

/// The target `--cluster NAME` means: a built-in name, else a profile or kubeconfig.
pub fn choose_target(name: &str, options: &TargetOptions) -> Result<Target, TargetError> {
    let misplaced = |option, targets| TargetError::Misplaced {
        option,
        targets,
        name: name.to_owned(),
    };
    let local = name == "kafka-local";
    let container = matches!(name, "kafka" | "redpanda");
    if options.image.is_some() && !container {
        return Err(misplaced("--image", "kafka and redpanda"));
    }
    if options.brokers.is_some() && !matches!(name, "kafka" | "kafka-local") {
        return Err(misplaced("--brokers", "kafka and kafka-local"));
    }
    if options.kafka_home.is_some() && !local {
        return Err(misplaced("--kafka-home", "kafka-local"));
    }
    if options.scram.is_some() && !local {
        return Err(misplaced("--scram", "kafka-local"));
    }
    Ok(match name {
        "embedded" => Target::Embedded,
        "kafka-local" => {
            let settings =
                LocalSettings::shared(options.kafka_home.clone(), options.brokers.unwrap_or(1));
            Target::Local(match &options.scram {
                Some(user) => settings.with_scram(user.clone()),
                None => settings,
            })
        }
        "kafka" | "redpanda" => Target::Container(ContainerSettings {
            flavour: if name == "kafka" {
                Flavour::Kafka
            } else {
                Flavour::Redpanda
            },
            image: options.image.clone(),
            brokers: options.brokers,
        }),
        _ => profiles::resolve(&options.clusters, name)?,
    })
}
