//! Optional components some tests need (a Java runtime with a Kafka distribution, a Docker
//! engine with the local Kafka image, Python with kafka-python, the Spring Boot consumer's jar,
//! kube-apiserver and kubectl built by tools/kubernetes/build with Debian's etcd,
//! check-jsonschema from PyPI, yaml-language-server from npm).
//! A test whose component is missing is reported as ignored and the reason printed once;
//! `KAFKA_SCENARIO_REQUIRE=kafka-local,docker,python,spring,kubernetes,jsonschema,language-server`
//! (set by `.ci/run`) turns that into
//! a failure naming what is missing, so nothing counts as passed that did not run.

use std::process::{Command, Stdio};
use std::sync::OnceLock;

use kafka_scenario::cluster::container::check_docker;
use kafka_scenario::cluster::local::distribution;
use libtest_mimic::{Failed, Trial};

/// Lists the components that must be there, comma separated.
pub const REQUIRE_VAR: &str = "KAFKA_SCENARIO_REQUIRE";
/// The local image of real Kafka the container tests use (built by `.ci/kafka-image.sh`).
pub const DEFAULT_IMAGE: &str = "kafka-scenario/kafka:4.1.1";

/// Something a test needs that a machine may lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// Java and an Apache Kafka distribution, for `kafka-local`.
    KafkaLocal,
    /// A Docker engine and the local Kafka image.
    Docker,
    /// `python` on the PATH with kafka-python 2.0.2, the course's pin.
    Python,
    /// The Spring Boot consumer's jar (`mvn -f clients/spring-consumer package`) and Java.
    Spring,
    /// kube-apiserver and kubectl (`tools/kubernetes/build`), etcd, openssl and curl.
    Kubernetes,
    /// `check-jsonschema` on the PATH (PyPI), a JSON Schema validator that is not ours.
    JsonSchema,
    /// yaml-language-server (npm, `npm install --prefix .ci`), the server editors ask about YAML.
    LanguageServer,
}

/// The check-jsonschema version CI installs.
pub const CHECK_JSONSCHEMA: &str = "0.39.0";

/// The kafka-python version the course pins.
pub const KAFKA_PYTHON: &str = "2.0.2";

/// Where `mvn -f clients/spring-consumer package` leaves the Spring Boot consumer.
pub fn spring_jar() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("clients/spring-consumer/target/spring-consumer.jar")
}

impl Component {
    /// Every component, in the order `KAFKA_SCENARIO_REQUIRE` lists them in the docs.
    pub const ALL: [Component; 7] = [
        Component::KafkaLocal,
        Component::Docker,
        Component::Python,
        Component::Spring,
        Component::Kubernetes,
        Component::JsonSchema,
        Component::LanguageServer,
    ];

    /// The name used in `KAFKA_SCENARIO_REQUIRE`.
    pub fn name(self) -> &'static str {
        match self {
            Component::KafkaLocal => "kafka-local",
            Component::Docker => "docker",
            Component::Python => "python",
            Component::Spring => "spring",
            Component::Kubernetes => "kubernetes",
            Component::JsonSchema => "jsonschema",
            Component::LanguageServer => "language-server",
        }
    }

    /// Why the component cannot be used here; `None` when it can. Checked once per process.
    pub fn missing(self) -> Option<String> {
        static KAFKA_LOCAL: OnceLock<Option<String>> = OnceLock::new();
        static DOCKER: OnceLock<Option<String>> = OnceLock::new();
        static PYTHON: OnceLock<Option<String>> = OnceLock::new();
        static SPRING: OnceLock<Option<String>> = OnceLock::new();
        static KUBERNETES: OnceLock<Option<String>> = OnceLock::new();
        static JSON_SCHEMA: OnceLock<Option<String>> = OnceLock::new();
        static LANGUAGE_SERVER: OnceLock<Option<String>> = OnceLock::new();
        match self {
            Component::KafkaLocal => KAFKA_LOCAL.get_or_init(kafka_local_missing).clone(),
            Component::Docker => DOCKER.get_or_init(docker_missing).clone(),
            Component::Python => PYTHON.get_or_init(python_missing).clone(),
            Component::Spring => SPRING.get_or_init(spring_missing).clone(),
            Component::Kubernetes => KUBERNETES.get_or_init(kubernetes_missing).clone(),
            Component::JsonSchema => JSON_SCHEMA.get_or_init(check_jsonschema_missing).clone(),
            Component::LanguageServer => {
                LANGUAGE_SERVER.get_or_init(language_server_missing).clone()
            }
        }
    }

    fn required(self) -> bool {
        required_names().iter().any(|name| name == self.name())
    }
}

/// The names in `KAFKA_SCENARIO_REQUIRE`, trimmed, empty ones left out.
fn required_names() -> Vec<String> {
    std::env::var(REQUIRE_VAR)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Names in `KAFKA_SCENARIO_REQUIRE` that are no component: a misspelt requirement would
/// otherwise leave its tests ignored instead of failing, the opposite of what it asks.
fn unknown_required() -> Vec<String> {
    required_names()
        .into_iter()
        .filter(|name| !Component::ALL.iter().any(|c| c.name() == name))
        .collect()
}

/// The image the container tests run: `KAFKA_SCENARIO_KAFKA_IMAGE` or the local default.
pub fn kafka_image() -> String {
    std::env::var("KAFKA_SCENARIO_KAFKA_IMAGE").unwrap_or_else(|_| DEFAULT_IMAGE.to_owned())
}

fn kafka_local_missing() -> Option<String> {
    if let Err(e) = distribution::locate(None) {
        return Some(e.to_string());
    }
    let java = distribution::java();
    match Command::new(&java)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(status) if status.success() => None,
        Ok(status) => Some(format!("`{} -version` failed: {status}", java.display())),
        Err(e) => Some(format!("cannot run {}: {e}", java.display())),
    }
}

fn python_missing() -> Option<String> {
    let check = format!("import kafka, sys; sys.exit(kafka.__version__ != '{KAFKA_PYTHON}')");
    match Command::new("python").args(["-c", &check]).output() {
        Ok(output) if output.status.success() => None,
        Ok(_) => Some(format!(
            "`python` on the PATH has no kafka-python {KAFKA_PYTHON} (pip install kafka-python=={KAFKA_PYTHON})"
        )),
        Err(e) => Some(format!("cannot run `python`: {e}")),
    }
}

fn spring_missing() -> Option<String> {
    if let Some(reason) = kafka_local_missing() {
        return Some(reason);
    }
    let jar = spring_jar();
    (!jar.is_file()).then(|| {
        format!(
            "{} is not built (mvn -f clients/spring-consumer/pom.xml package)",
            jar.display()
        )
    })
}

/// Where kube-apiserver and kubectl are: `KAFKA_SCENARIO_KUBE_BIN`, or where
/// `tools/kubernetes/build` leaves them for the Kubernetes release its go.mod requires.
pub fn kube_bin() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("KAFKA_SCENARIO_KUBE_BIN") {
        return dir.into();
    }
    let go_mod = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/kubernetes/go.mod");
    let version = std::fs::read_to_string(go_mod)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            line.split_whitespace()
                .skip_while(|w| *w != "k8s.io/kubernetes")
                .nth(1)
                .map(str::to_owned)
        })
        .find(|version| version.starts_with("v1."))
        .unwrap_or_default();
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".cache")))
        .unwrap_or_default();
    cache
        .join("kafka-scenario")
        .join(format!("kubernetes-{version}"))
}

fn kubernetes_missing() -> Option<String> {
    let bin = kube_bin();
    for program in ["kube-apiserver", "kubectl"] {
        if !bin.join(program).is_file() {
            return Some(format!(
                "{} is not built (tools/kubernetes/build, about 8 minutes)",
                bin.join(program).display()
            ));
        }
    }
    for (program, package) in [
        ("etcd", "etcd-server"),
        ("openssl", "openssl"),
        ("curl", "curl"),
    ] {
        let found = Command::new(program)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !found {
            return Some(format!(
                "`{program}` is not installed (apt-get install {package})"
            ));
        }
    }
    None
}

fn check_jsonschema_missing() -> Option<String> {
    match Command::new("check-jsonschema").arg("--version").output() {
        Ok(output) if output.status.success() => None,
        Ok(output) => Some(format!(
            "`check-jsonschema --version` failed: {}",
            output.status
        )),
        Err(e) => Some(format!(
            "cannot run `check-jsonschema` (pip install check-jsonschema=={CHECK_JSONSCHEMA}): {e}"
        )),
    }
}

fn language_server_missing() -> Option<String> {
    let program = super::language_server::program();
    match Command::new(&program).arg("--version").output() {
        Ok(output) if output.status.success() => None,
        Ok(output) => Some(format!(
            "`{} --version` failed: {}",
            program.display(),
            output.status
        )),
        Err(e) => Some(format!(
            "cannot run {} (npm install --prefix .ci, which installs yaml-language-server {}): {e}",
            program.display(),
            super::language_server::VERSION
        )),
    }
}

fn docker_missing() -> Option<String> {
    if let Err(e) = check_docker() {
        return Some(e.to_string());
    }
    let image = kafka_image();
    match Command::new("docker")
        .args(["image", "inspect", &image])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(status) if status.success() => None,
        Ok(_) => Some(format!(
            "the image {image} is not in the Docker engine (build it with .ci/kafka-image.sh)"
        )),
        Err(e) => Some(format!("cannot run the docker CLI: {e}")),
    }
}

/// A trial that needs `component`: runs when it is there; otherwise ignored (the reason is
/// printed once), or failing with the reason when `KAFKA_SCENARIO_REQUIRE` names it.
pub fn needing<R>(component: Component, name: String, runner: R) -> Trial
where
    R: FnOnce() -> Result<(), Failed> + Send + 'static,
{
    needing_all(&[component], name, runner)
}

/// A trial that needs every one of `components`, ignored or failing for the first one missing.
pub fn needing_all<R>(components: &[Component], name: String, runner: R) -> Trial
where
    R: FnOnce() -> Result<(), Failed> + Send + 'static,
{
    let unknown = unknown_required();
    if !unknown.is_empty() {
        return Trial::test(name, move || {
            Err(format!(
                "{REQUIRE_VAR} names {unknown:?}, which are no components (known: {})",
                Component::ALL.map(Component::name).join(", ")
            )
            .into())
        });
    }
    let Some((component, reason)) = components.iter().find_map(|c| Some((*c, c.missing()?))) else {
        return Trial::test(name, runner);
    };
    if component.required() {
        return Trial::test(name, move || {
            Err(format!("{REQUIRE_VAR} names {} but {reason}", component.name()).into())
        });
    }
    static SAID: [OnceLock<()>; Component::ALL.len()] =
        [const { OnceLock::new() }; Component::ALL.len()];
    let said = &SAID[component as usize];
    said.get_or_init(|| {
        eprintln!(
            "tests needing {} are ignored: {reason} (set {REQUIRE_VAR}={} to fail instead)",
            component.name(),
            component.name()
        );
    });
    Trial::test(name, runner).with_ignored_flag(true)
}
