//! Cluster profiles: a YAML file (`clusters.yaml` by default) mapping a name to a target and its
//! settings, so `--cluster NAME` reaches a configured cluster.
//!
//! ```yaml
//! course:
//!   bootstrap: 127.0.0.1:9092
//!   properties: { security.protocol: SASL_PLAINTEXT, sasl.mechanism: SCRAM-SHA-512, sasl.username: edu-user }
//!   password_env: EDU_PASSWORD     # sasl.password is read from this environment variable
//!   keep_names: false
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::bootstrap::BootstrapSettings;
use crate::scenario::source::{ScenarioError, SourceText, did_you_mean};
use crate::scenario::values::PropertyValue;

/// One profile as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    bootstrap: String,
    #[serde(default)]
    properties: BTreeMap<String, PropertyValue>,
    #[serde(default)]
    password_env: Option<String>,
    #[serde(default)]
    keep_names: bool,
}

/// Why a profile could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file is missing or unreadable.
    #[error("no cluster profile `{name}`: cannot read {file} ({reason}); known clusters: embedded")]
    NoFile {
        /// Profile asked for.
        name: String,
        /// The profile file.
        file: String,
        /// The I/O error.
        reason: String,
    },
    /// The file is not a valid profile file, or a profile is incomplete.
    #[error(transparent)]
    Invalid(Box<ScenarioError>),
    /// The name is not in the file.
    #[error("no cluster profile `{name}` in {file}; known: {}{}", known.join(", "), hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    Unknown {
        /// Profile asked for.
        name: String,
        /// The profile file.
        file: String,
        /// Profiles the file defines, plus `embedded`.
        known: Vec<String>,
        /// A close match.
        hint: Option<String>,
    },
    /// The password variable is not set.
    #[error("profile `{name}` reads its password from ${variable}, which is not set")]
    MissingPassword {
        /// Profile.
        name: String,
        /// The environment variable.
        variable: String,
    },
}

/// Reads `file` and returns the settings of profile `name`.
pub fn bootstrap_profile(file: &Path, name: &str) -> Result<BootstrapSettings, ProfileError> {
    let text = std::fs::read_to_string(file).map_err(|e| ProfileError::NoFile {
        name: name.to_owned(),
        file: file.display().to_string(),
        reason: e.to_string(),
    })?;
    let source = SourceText::new(file, text);
    let profiles: BTreeMap<String, Profile> = serde_yaml::from_str(source.text()).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        let known = known_names(source.text());
        ProfileError::Invalid(source.error_at_line(
            line,
            column,
            crate::scenario::parse::strip_location(&e.to_string()),
            Some(format!("profiles found: {}", known.join(", "))),
        ))
    })?;
    let Some(profile) = profiles.get(name) else {
        let mut known: Vec<String> = vec!["embedded".to_owned()];
        known.extend(profiles.keys().cloned());
        return Err(ProfileError::Unknown {
            name: name.to_owned(),
            file: file.display().to_string(),
            hint: did_you_mean(name, known.iter().map(String::as_str))
                .map(|c| format!("did you mean `{c}`?")),
            known,
        });
    };
    let mut properties: Vec<(String, String)> = profile
        .properties
        .iter()
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect();
    if let Some(variable) = &profile.password_env {
        let password = std::env::var(variable).map_err(|_| ProfileError::MissingPassword {
            name: name.to_owned(),
            variable: variable.clone(),
        })?;
        properties.push(("sasl.password".into(), password));
    }
    Ok(BootstrapSettings {
        bootstrap: profile.bootstrap.clone(),
        properties,
        keep_names: profile.keep_names,
    })
}

/// The top-level keys of a profile file, even when a profile in it is malformed.
fn known_names(text: &str) -> Vec<String> {
    let mut names = vec!["embedded".to_owned()];
    names.extend(
        text.lines()
            .filter(|l| !l.starts_with([' ', '\t', '#', '-']) && l.contains(':'))
            .filter_map(|l| l.split(':').next())
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty()),
    );
    names
}
