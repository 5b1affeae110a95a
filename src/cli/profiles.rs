//! Cluster profiles: a YAML file (`clusters.yaml` by default) mapping a name to a target and its
//! settings, so `--cluster NAME` reaches a configured cluster. Without a profile, a name is also
//! looked up as `~/.kube/config-NAME` and as a context of the usual kubeconfig.
//!
//! ```yaml
//! local:
//!   bootstrap: 127.0.0.1:9092
//!   properties: { security.protocol: SASL_PLAINTEXT, sasl.mechanism: SCRAM-SHA-512, sasl.username: edu-user }
//!   password_env: EDU_PASSWORD     # sasl.password is read from this environment variable
//! ktdseducluster:
//!   kube: { kubeconfig: ~/.kube/config-ktdseducluster, namespace: kafka, kafka: my-cluster, listener: external }
//!   user: edu-user                 # SCRAM-SHA-512; password from the KafkaUser's secret
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use kafka_scenario::cluster::Target;
use kafka_scenario::cluster::bootstrap::BootstrapSettings;
use kafka_scenario::cluster::kubernetes::KubeSettings;
use kafka_scenario::scenario::parse::strip_location;
use kafka_scenario::scenario::properties::Properties;
use kafka_scenario::scenario::source::{ScenarioError, SourceText, did_you_mean};
use kafka_scenario::scenario::values::PropertyValue;

/// One profile as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    #[serde(default)]
    bootstrap: Option<String>,
    #[serde(default)]
    kube: Option<KubeProfile>,
    #[serde(default)]
    properties: BTreeMap<String, PropertyValue>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    password_env: Option<String>,
    #[serde(default)]
    keep_names: bool,
}

/// Where a Strimzi cluster is, as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KubeProfile {
    #[serde(default)]
    kubeconfig: Option<String>,
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    kafka: Option<String>,
    #[serde(default)]
    listener: Option<String>,
}

/// Why a name could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The profile file is not valid, or a profile is incomplete.
    #[error(transparent)]
    Invalid(Box<ScenarioError>),
    /// Nothing by that name: says everything that was tried.
    #[error("no cluster `{name}`: tried {}", tried.join("; "))]
    NotFound {
        /// The name asked for.
        name: String,
        /// Each place looked at and what was found there.
        tried: Vec<String>,
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

/// Resolves `--cluster NAME`: a profile in `file`, then `~/.kube/config-NAME`, then a context
/// NAME in the usual kubeconfig.
pub fn resolve(file: &Path, name: &str) -> Result<Target, ProfileError> {
    let mut tried = Vec::new();
    match std::fs::read_to_string(file) {
        Ok(text) => {
            let source = SourceText::new(file, text);
            let profiles = parse(&source)?;
            if let Some(profile) = profiles.get(name) {
                return settings(&source, name, profile);
            }
            let known: Vec<&str> = profiles.keys().map(String::as_str).collect();
            let hint = did_you_mean(name, known.iter().copied())
                .map(|close| format!(", did you mean `{close}`?"))
                .unwrap_or_default();
            tried.push(format!(
                "profiles in {} (known: embedded, {}{hint})",
                file.display(),
                known.join(", ")
            ));
        }
        Err(e) => tried.push(format!("profiles in {} ({e})", file.display())),
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if let Some(home) = &home {
        let own = home.join(".kube").join(format!("config-{name}"));
        if own.is_file() {
            return Ok(Target::Kube(kube_settings(
                Some(own),
                None,
                &KubeProfile::default(),
                None,
                None,
                false,
            )));
        }
        tried.push(format!("{} (no such file)", own.display()));
    }
    match kube::config::Kubeconfig::read() {
        Ok(config) => {
            if config.contexts.iter().any(|c| c.name == name) {
                return Ok(Target::Kube(kube_settings(
                    None,
                    Some(name.to_owned()),
                    &KubeProfile::default(),
                    None,
                    None,
                    false,
                )));
            }
            let contexts: Vec<&str> = config.contexts.iter().map(|c| c.name.as_str()).collect();
            tried.push(format!(
                "a context `{name}` in the kubeconfig (contexts found: {})",
                contexts.join(", ")
            ));
        }
        Err(e) => tried.push(format!("a context `{name}` in the kubeconfig ({e})")),
    }
    Err(ProfileError::NotFound {
        name: name.to_owned(),
        tried,
    })
}

fn parse(source: &SourceText) -> Result<BTreeMap<String, Profile>, ProfileError> {
    serde_yaml::from_str(source.text()).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        ProfileError::Invalid(source.error_at_line(
            line,
            column,
            strip_location(&e.to_string()),
            Some(format!(
                "profiles found: {}",
                known_names(source.text()).join(", ")
            )),
        ))
    })
}

fn settings(source: &SourceText, name: &str, profile: &Profile) -> Result<Target, ProfileError> {
    match (&profile.bootstrap, &profile.kube) {
        (Some(bootstrap), None) => {
            let mut properties: Properties = profile
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), v.0.clone()))
                .collect();
            if let Some(variable) = &profile.password_env {
                let password = std::env::var(variable).map_err(|_| ProfileError::MissingPassword {
                    name: name.to_owned(),
                    variable: variable.clone(),
                })?;
                properties.set("sasl.password", password);
            }
            Ok(Target::Bootstrap(BootstrapSettings {
                bootstrap: bootstrap.clone(),
                properties,
                keep_names: profile.keep_names,
            }))
        }
        (None, Some(kube)) => Ok(Target::Kube(kube_settings(
            kube.kubeconfig.as_deref().map(expand_home),
            kube.context.clone(),
            kube,
            profile.user.clone(),
            profile.password_env.clone(),
            profile.keep_names,
        ))),
        _ => Err(ProfileError::Invalid(source.error_at(
            &[name.into()],
            true,
            format!("profile `{name}` needs exactly one of `bootstrap` and `kube`"),
            Some("`bootstrap: host:port` for any cluster, `kube: { ... }` for Strimzi on Kubernetes".into()),
        ))),
    }
}

fn kube_settings(
    kubeconfig: Option<PathBuf>,
    context: Option<String>,
    kube: &KubeProfile,
    user: Option<String>,
    password_env: Option<String>,
    keep_names: bool,
) -> KubeSettings {
    KubeSettings {
        kubeconfig,
        context,
        namespace: kube.namespace.clone().unwrap_or_else(|| "kafka".into()),
        kafka: kube.kafka.clone().unwrap_or_else(|| "my-cluster".into()),
        listener: kube.listener.clone().unwrap_or_else(|| "external".into()),
        user,
        password_env,
        keep_names,
    }
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
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
