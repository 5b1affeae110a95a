//! Finding an Apache Kafka distribution directory (the Apache tarball unpacked, or one made by
//! `tools/kafka/assemble` from Maven Central) and the `java` to run it with.

use std::path::{Path, PathBuf};

use crate::cluster::ClusterError;

/// The version `tools/kafka/assemble` makes by default, and the one looked for in its cache.
pub const DEFAULT_VERSION: &str = "4.1.1";
/// The command that assembles the default distribution, for messages.
pub const ASSEMBLE: &str = "tools/kafka/assemble 4.1.1";

/// How the brokers of a distribution log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logging {
    /// log4j 2 (Kafka 4).
    Log4j2,
    /// log4j 1 API through reload4j (Kafka 3).
    Log4j1,
}

/// A usable distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    /// The directory holding `libs/`.
    pub home: PathBuf,
    /// Kafka's version, from the name of its server jar, e.g. `4.1.1`.
    pub version: String,
    /// Which logging configuration its brokers read.
    pub logging: Logging,
    /// The names of the jars in `libs/`, in byte order.
    jars: Vec<String>,
}

/// The programs of a distribution the harness runs, each with its own class-data archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// `kafka.tools.StorageTool`.
    StorageTool,
    /// `kafka.Kafka`, a broker.
    Broker,
}

impl Distribution {
    /// The `-cp` argument: every jar in `libs/`, listed in byte order. A class-data-sharing
    /// archive serves only the class path it was made with, and a `libs/*` wildcard expands in
    /// directory order, so the list is explicit (`tools/kafka/assemble` builds the same one).
    pub fn classpath(&self) -> String {
        let libs = self.home.join("libs");
        let jars: Vec<String> = self
            .jars
            .iter()
            .map(|jar| libs.join(jar).display().to_string())
            .collect();
        jars.join(":")
    }

    /// The class-data-sharing archive `tools/kafka/assemble` made for `program`, if any: the
    /// JVM starts about 45 % faster with it, and ignores it if it was made by another java.
    pub fn archive(&self, program: Program) -> Option<PathBuf> {
        let name = match program {
            Program::StorageTool => "storage.jsa",
            Program::Broker => "kafka.jsa",
        };
        Some(self.home.join(name)).filter(|path| path.is_file())
    }
}

/// Where `tools/kafka/assemble` caches a version: `$XDG_CACHE_HOME` or `~/.cache`.
pub fn assembled_home(version: &str) -> Option<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(
        cache
            .join("kafka-scenario")
            .join(format!("kafka_2.13-{version}")),
    )
}

/// Finds the distribution: `explicit` (`--kafka-home`), else `$KAFKA_HOME`, else the default
/// version assembled by `tools/kafka/assemble`.
pub fn locate(explicit: Option<&Path>) -> Result<Distribution, ClusterError> {
    let (home, from) = match (explicit, std::env::var_os("KAFKA_HOME")) {
        (Some(path), _) => (path.to_owned(), "--kafka-home"),
        (None, Some(path)) => (PathBuf::from(path), "KAFKA_HOME"),
        (None, None) => match assembled_home(DEFAULT_VERSION) {
            Some(path) if path.is_dir() => (path, "the assembled default"),
            _ => {
                return Err(ClusterError::Unavailable(format!(
                    "no Kafka distribution: give --kafka-home DIR or set KAFKA_HOME to an unpacked \
                     Apache Kafka tarball, or run `{ASSEMBLE}` to assemble one from Maven Central"
                )));
            }
        },
    };
    inspect(&home).map_err(|problem| {
        ClusterError::Unavailable(format!(
            "{} ({from}) is not a Kafka distribution: {problem}; give the directory that holds \
             libs/kafka_2.13-VERSION.jar, or run `{ASSEMBLE}`",
            home.display()
        ))
    })
}

/// Reads a distribution's version and logging flavour from the names in its `libs/`.
fn inspect(home: &Path) -> Result<Distribution, String> {
    let libs = home.join("libs");
    let mut names: Vec<String> = std::fs::read_dir(&libs)
        .map_err(|e| format!("cannot read {}: {e}", libs.display()))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    let version = server_version(&names).ok_or("libs/ holds no kafka_2.1x-VERSION.jar")?;
    let logging = if names.iter().any(|n| n.starts_with("log4j-core-")) {
        Logging::Log4j2
    } else {
        Logging::Log4j1
    };
    Ok(Distribution {
        home: home.to_owned(),
        version,
        logging,
        jars: names.into_iter().filter(|n| n.ends_with(".jar")).collect(),
    })
}

/// The version in `kafka_2.13-4.1.1.jar` (or `kafka_2.12-...`), ignoring test and source jars.
pub fn server_version(names: &[String]) -> Option<String> {
    names.iter().find_map(|name| {
        let rest = name
            .strip_prefix("kafka_2.13-")
            .or_else(|| name.strip_prefix("kafka_2.12-"))?;
        let version = rest.strip_suffix(".jar")?;
        version
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
            .then(|| version.to_owned())
    })
}

/// The `java` to start brokers with: `$JAVA_HOME/bin/java`, else `java` on the PATH.
pub fn java() -> PathBuf {
    std::env::var_os("JAVA_HOME")
        .map(|home| PathBuf::from(home).join("bin").join("java"))
        .filter(|java| java.is_file())
        .unwrap_or_else(|| PathBuf::from("java"))
}

#[cfg(test)]
mod tests;
