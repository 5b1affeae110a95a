//! `--cluster` against a real Kubernetes API server: kube-apiserver and etcd on loopback
//! (`tools/kubernetes/control-plane`), the course's KafkaTopic CRD and our Kafka and KafkaUser
//! CRDs applied with kubectl, the course's Kafka (`13.kafka-ephemeral-auth-nodeport.yaml`) and
//! KafkaUser (`13.edu-user.yaml`), and a STAND-IN for Strimzi's operators
//! (tests/common/stand_in_operator.rs) over real Kafka (`kafka-local --scram`, three brokers).
//!
//! Every scenario in `scenarios/` runs through the Kubernetes target and must match the same
//! snapshot as on every other target; the course's own command runs through the CLI with only
//! `~/.kube/config-ktdseducluster`; and what a user gets wrong is asserted against the real
//! server: a wrong token, a cluster without Strimzi, a topic the operator refuses, a KafkaTopic
//! of the same name that is not the run's, and Ctrl+C or SIGTERM while a KafkaTopic is awaited.
//!
//! Without the built binaries, etcd, Java or a Kafka distribution the tests are ignored with
//! the reason (`KAFKA_SCENARIO_REQUIRE=kubernetes,kafka-local` fails them instead).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::control_plane::ControlPlane;
use common::requirements::{Component, needing_all};
use common::stand_in_operator::{Backing, StandInOperator};
use kafka_scenario::cluster::kubernetes::{KubeSettings, TOPIC_TIMEOUT};
use kafka_scenario::cluster::local::LocalSettings;
use kafka_scenario::cluster::local::scram::{COURSE_USER, ScramUser};
use kafka_scenario::cluster::{Launched, Target};
use kafka_scenario::scenario::plan::Capability;
use kafka_scenario::{Plan, RunError};
use libtest_mimic::{Arguments, Failed};

/// Brokers behind the Kafka resource, as on the course's cluster.
const BROKERS: usize = 3;
const NAMESPACE: &str = "kafka";
const KAFKA: &str = "my-cluster";
/// The course's profile name: `--cluster ktdseducluster` finds `~/.kube/config-ktdseducluster`.
const COURSE_CLUSTER: &str = "ktdseducluster";
const NEEDS: &[Component] = &[Component::Kubernetes, Component::KafkaLocal];

fn main() -> ExitCode {
    let arguments = Arguments::from_args();
    let mut trials = Vec::new();
    for file in common::scenario_files("") {
        let stem = common::test_name(&file);
        trials.push(needing_all(
            NEEDS,
            format!("kubernetes::{stem}"),
            move || {
                let scenario = common::scenario_at(&file);
                scenario.plans.iter().try_for_each(through_kubernetes)
            },
        ));
    }
    for (name, test) in [
        (
            "cli::the_course_command_with_only_a_kubeconfig",
            the_course_command as fn() -> Result<(), Failed>,
        ),
        ("refused::a_wrong_token_names_the_context", wrong_token),
        ("refused::a_cluster_without_strimzi", without_strimzi),
        (
            "refused::a_topic_the_operator_refuses_says_why",
            refused_topic,
        ),
        (
            "refused::a_scram_listener_without_the_user_secret",
            without_user_secret,
        ),
        (
            "refused::a_kafkatopic_of_someone_else_is_neither_taken_nor_deleted",
            foreign_topic,
        ),
        (
            "signals::sigint_while_awaiting_ready_leaves_no_kafkatopic",
            || signalled_while_awaiting_ready(libc::SIGINT, 130),
        ),
        (
            "signals::sigterm_while_awaiting_ready_leaves_no_kafkatopic",
            || signalled_while_awaiting_ready(libc::SIGTERM, 143),
        ),
    ] {
        trials.push(needing_all(NEEDS, name.to_owned(), test));
    }
    let conclusion = libtest_mimic::run(&arguments, trials);
    if let Some(Ok(course)) = COURSE.lock().unwrap_or_else(|p| p.into_inner()).take() {
        drop(Arc::into_inner(course));
    }
    common::shared::shut_down();
    conclusion.exit_code()
}

/// The course's cluster: real Kafka, a real API server with the course's resources, and the
/// stand-in operator between them. Dropped in field order: the operator stops first.
struct Course {
    _operator: StandInOperator,
    control_plane: ControlPlane,
}

static COURSE: Mutex<Option<Result<Arc<Course>, String>>> = Mutex::new(None);

/// The SCRAM user of the real Kafka, its password drawn once for this test binary.
fn scram_user() -> &'static ScramUser {
    static USER: OnceLock<ScramUser> = OnceLock::new();
    USER.get_or_init(|| ScramUser::generated(COURSE_USER).expect("a password from /dev/urandom"))
}

/// The real Kafka behind the Kafka resource: three brokers with the course's SCRAM user.
fn kafka_local() -> Target {
    Target::Local(LocalSettings::shared(None, BROKERS).with_scram(scram_user().clone()))
}

/// The course's cluster, started by the first test that needs it.
fn course() -> Result<Arc<Course>, Failed> {
    let mut slot = COURSE.lock().unwrap_or_else(|p| p.into_inner());
    let started = slot.get_or_insert_with(|| Course::start().map(Arc::new));
    started.clone().map_err(Failed::from)
}

impl Course {
    fn start() -> Result<Course, String> {
        let user = scram_user();
        let launched = common::shared::launched(&kafka_local());
        let Launched::Local(kafka) = &*launched else {
            return Err("kafka-local did not start as kafka-local".into());
        };
        let backing = Backing {
            bootstrap: kafka.bootstrap().to_owned(),
            client_properties: kafka.client_properties(),
            user: user.name.clone(),
            password: user.password.clone(),
        };
        let control_plane = ControlPlane::start()?;
        control_plane.kubectl(&[
            "apply",
            "-f",
            "manifests/course/043-Crd-kafkatopic.yaml",
            "-f",
            "manifests/stand-in/strimzi-crds.yaml",
        ])?;
        control_plane.kubectl(&[
            "wait",
            "--for=condition=established",
            "--timeout=60s",
            "crd/kafkatopics.kafka.strimzi.io",
            "crd/kafkas.kafka.strimzi.io",
            "crd/kafkausers.kafka.strimzi.io",
        ])?;
        control_plane.kubectl(&["create", "namespace", NAMESPACE])?;
        control_plane.kubectl(&[
            "apply",
            "-n",
            NAMESPACE,
            "-f",
            "manifests/course/kafka/13.kafka-ephemeral-auth-nodeport.yaml",
            "-f",
            "manifests/course/user/13.edu-user.yaml",
        ])?;
        let operator =
            StandInOperator::start(control_plane.kubeconfig(), NAMESPACE, KAFKA, backing)?;
        control_plane.kubectl(&[
            "wait",
            "-n",
            NAMESPACE,
            "--for=condition=Ready",
            "--timeout=60s",
            &format!("kafka/{KAFKA}"),
            &format!("kafkauser/{COURSE_USER}"),
        ])?;
        Ok(Course {
            _operator: operator,
            control_plane,
        })
    }

    /// The course's settings: namespace `kafka`, Kafka `my-cluster`, listener `external`, and
    /// no user named, so the harness takes the course's user from the listener's SCRAM.
    fn settings(&self) -> KubeSettings {
        KubeSettings {
            kubeconfig: Some(self.control_plane.kubeconfig().to_owned()),
            context: None,
            namespace: NAMESPACE.into(),
            kafka: KAFKA.into(),
            listener: "external".into(),
            user: None,
            password_env: None,
            keep_names: false,
        }
    }

    /// Names of the KafkaTopics in the namespace.
    fn kafka_topics(&self) -> Result<Vec<String>, Failed> {
        let names = self.control_plane.kubectl(&[
            "get",
            "kafkatopics",
            "-n",
            NAMESPACE,
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ])?;
        Ok(names.split_whitespace().map(str::to_owned).collect())
    }
}

/// One plan through the Kubernetes target: passed and matching the shared snapshot, or (with
/// brokers of its own) reported not runnable, never passed.
fn through_kubernetes(plan: &Plan) -> Result<(), Failed> {
    let course = course()?;
    let launched = Launched::Kube(course.settings());
    let result = common::shared::runtime().block_on(common::run_launched(plan, &launched));
    if plan.brokers.is_some() {
        return match result {
            Err(RunError::NotRunnable { missing, .. }) if missing == [Capability::OwnBrokers] => {
                Ok(())
            }
            Err(e) => {
                Err(format!("expected not runnable for want of own brokers, got: {e}").into())
            }
            Ok(_) => Err("ran with brokers of its own on Strimzi".into()),
        };
    }
    let finished = result.map_err(|e| format!("{} did not run: {e}", plan.label()))?;
    common::assert_passed_and_matches_snapshot(plan, &finished);
    Ok(())
}

/// A home directory with `~/.kube/config-<cluster>` holding `kubeconfig` (edited by `edit`),
/// so `--cluster <cluster>` finds it as the course's users have it.
fn home_with(
    cluster: &str,
    kubeconfig: &Path,
    edit: impl Fn(String) -> String,
) -> Result<tempfile::TempDir, Failed> {
    let home = tempfile::tempdir()?;
    std::fs::create_dir(home.path().join(".kube"))?;
    let text = std::fs::read_to_string(kubeconfig)?;
    std::fs::write(
        home.path().join(".kube").join(format!("config-{cluster}")),
        edit(text),
    )?;
    Ok(home)
}

/// `scenario-run` with `arguments`, HOME and the working directory set to `home`.
fn scenario_run(home: &Path, arguments: &[&str]) -> Result<Output, Failed> {
    Ok(cli(home, arguments).output()?)
}

fn cli(home: &Path, arguments: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scenario-run"));
    command
        .args(arguments)
        .current_dir(home)
        .env("HOME", home)
        .env_remove("KUBECONFIG");
    command
}

fn scenario(file: &str) -> String {
    repository()
        .join("scenarios")
        .join(file)
        .display()
        .to_string()
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn expect_exit(output: &Output, code: i32, says: &[&str]) -> Result<(), Failed> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() != Some(code) {
        return Err(format!(
            "expected exit {code}, got {}:\n{stdout}\n{stderr}",
            output.status
        )
        .into());
    }
    for words in says {
        if !stderr.contains(words) && !stdout.contains(words) {
            return Err(format!("the output does not say `{words}`:\n{stdout}\n{stderr}").into());
        }
    }
    Ok(())
}

/// `scenario-run scenarios/rebalance.yaml --cluster ktdseducluster` with `kubeconfig`, edited
/// by `edit`, as `~/.kube/config-ktdseducluster` and nothing else.
fn the_course_command_with(
    kubeconfig: &Path,
    edit: impl Fn(String) -> String,
) -> Result<Output, Failed> {
    let home = home_with(COURSE_CLUSTER, kubeconfig, edit)?;
    scenario_run(
        home.path(),
        &[&scenario("rebalance.yaml"), "--cluster", COURSE_CLUSTER],
    )
}

/// The course's command, `scenario-run scenarios/rebalance.yaml --cluster ktdseducluster`,
/// with nothing but the kubeconfig the course hands out: namespace, Kafka, listener and user
/// are the course's defaults.
fn the_course_command() -> Result<(), Failed> {
    let course = course()?;
    let output = the_course_command_with(course.control_plane.kubeconfig(), |k| k)?;
    expect_exit(&output, 0, &["PASS"])
}

/// A token the API server does not know: exit 3, naming the context that was refused.
fn wrong_token() -> Result<(), Failed> {
    let course = course()?;
    let output = the_course_command_with(course.control_plane.kubeconfig(), |kubeconfig| {
        kubeconfig
            .lines()
            .map(|line| match line.trim_start().strip_prefix("token: ") {
                Some(_) => "    token: 0123456789abcdef-not-a-token".to_owned(),
                None => line.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    expect_exit(
        &output,
        3,
        &[
            "authentication failed for context `kafka-scenario`",
            "401 Unauthorized",
        ],
    )
}

/// A control plane of its own with no Strimzi CRDs: exit 3, saying Strimzi is not installed.
fn without_strimzi() -> Result<(), Failed> {
    let bare = ControlPlane::start()?;
    let output = the_course_command_with(bare.kubeconfig(), |k| k)?;
    expect_exit(&output, 3, &["Strimzi is not installed in this cluster"])
}

/// A namespace whose Kafka has a SCRAM listener (its status written here, as an operator
/// would) but no KafkaUser secret: exit 3, naming the listener, the namespace and the secret.
fn without_user_secret() -> Result<(), Failed> {
    let course = course()?;
    let namespace = "kafka-without-user";
    let kubectl = |arguments: &[&str]| course.control_plane.kubectl(arguments);
    kubectl(&["create", "namespace", namespace])?;
    kubectl(&[
        "apply",
        "-n",
        namespace,
        "-f",
        "manifests/course/kafka/13.kafka-ephemeral-auth-nodeport.yaml",
    ])?;
    let Launched::Local(kafka) = &*common::shared::launched(&kafka_local()) else {
        return Err("kafka-local did not start as kafka-local".into());
    };
    let status = format!(
        r#"{{"status": {{"listeners": [{{"name": "external", "bootstrapServers": "{}"}}]}}}}"#,
        kafka.bootstrap()
    );
    kubectl(&[
        "patch",
        "kafka",
        KAFKA,
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        &status,
    ])?;
    let home = home_with(COURSE_CLUSTER, course.control_plane.kubeconfig(), |k| k)?;
    std::fs::write(
        home.path().join("clusters.yaml"),
        format!(
            "nouser:\n  kube: {{ kubeconfig: {}, namespace: {namespace} }}\n",
            course.control_plane.kubeconfig().display()
        ),
    )?;
    let output = scenario_run(
        home.path(),
        &[&scenario("rebalance.yaml"), "--cluster", "nouser"],
    );
    kubectl(&["delete", "namespace", namespace, "--wait=false"])?;
    expect_exit(
        &output?,
        3,
        &[&format!(
            "listener `external` needs a SCRAM-SHA-512 login, but namespace {namespace} has no secret `{COURSE_USER}`"
        )],
    )
}

/// A scenario whose topic wants more replicas than there are brokers.
fn unreplicable(topic: &str) -> String {
    format!(
        "\
name: {topic}
topics: {{ {topic}: {{ partitions: 1, replicas: 5 }} }}
actors:
  producer: {{ producer: {{ topic: {topic} }} }}
timeline:
  - produce: {{ actor: producer, count: 1 }}
"
    )
}

/// The operator sets Ready=False with Kafka's refusal: exit 3 with its reason and message,
/// within the refusal grace rather than the two-minute timeout, and nothing left behind.
fn refused_topic() -> Result<(), Failed> {
    let course = course()?;
    let home = home_with(COURSE_CLUSTER, course.control_plane.kubeconfig(), |k| k)?;
    let file = home.path().join("refused.yaml");
    std::fs::write(&file, unreplicable("edu-refused"))?;
    let started = std::time::Instant::now();
    let output = scenario_run(
        home.path(),
        &[&file.display().to_string(), "--cluster", COURSE_CLUSTER],
    )?;
    let took = started.elapsed();
    expect_exit(
        &output,
        3,
        &["not Ready", "KafkaError", "replication factor"],
    )?;
    // Waiting out the timeout cannot end sooner than the timeout, however fast the machine:
    // a run that ended before it was ended by the refusal.
    if took >= TOPIC_TIMEOUT {
        return Err(format!(
            "the refused topic ended the run after {took:?}, not before the {TOPIC_TIMEOUT:?} a KafkaTopic may take to become Ready"
        )
        .into());
    }
    let left: Vec<String> = course
        .kafka_topics()?
        .into_iter()
        .filter(|name| name.starts_with("edu-refused"))
        .collect();
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("KafkaTopics left behind: {left:?}").into())
    }
}

/// A student's KafkaTopic with the name a run with `keep_names` would use: the run is refused
/// before it applies anything, and the student's resource and topic stay as they were.
fn foreign_topic() -> Result<(), Failed> {
    let course = course()?;
    let name = "edu-students-own";
    let manifest = format!(
        "apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaTopic
metadata:
  name: {name}
  namespace: {NAMESPACE}
  labels: {{ strimzi.io/cluster: {KAFKA} }}
spec: {{ partitions: 1, replicas: 1 }}
"
    );
    let home = tempfile::tempdir()?;
    let student = home.path().join("student-topic.yaml");
    std::fs::write(&student, manifest)?;
    let student = student.display().to_string();
    course.control_plane.kubectl(&["apply", "-f", &student])?;
    course.control_plane.kubectl(&[
        "wait",
        "-n",
        NAMESPACE,
        "--for=condition=Ready",
        "--timeout=60s",
        &format!("kafkatopic/{name}"),
    ])?;
    let profile = format!(
        "keeping:\n  kube: {{ kubeconfig: {}, listener: external }}\n  keep_names: true\n",
        course.control_plane.kubeconfig().display()
    );
    std::fs::write(home.path().join("clusters.yaml"), profile)?;
    let file = home.path().join("same-name.yaml");
    std::fs::write(
        &file,
        format!(
            "name: same-name
topics: {{ {name}: {{ partitions: 3 }} }}
actors:
  producer: {{ producer: {{ topic: {name} }} }}
timeline:
  - produce: {{ actor: producer, count: 1 }}
"
        ),
    )?;
    let output = scenario_run(
        home.path(),
        &[&file.display().to_string(), "--cluster", "keeping"],
    )?;
    let refused = expect_exit(
        &output,
        3,
        &[&format!(
            "KafkaTopic {name} already exists and was not created by this run"
        )],
    );
    let partitions = course.control_plane.kubectl(&[
        "get",
        "kafkatopic",
        name,
        "-n",
        NAMESPACE,
        "-o",
        "jsonpath={.spec.partitions}",
    ]);
    course
        .control_plane
        .kubectl(&["delete", "-f", &student, "--wait=true"])?;
    refused?;
    match partitions?.trim() {
        "1" => Ok(()),
        other => Err(format!("the student's KafkaTopic now has {other} partitions").into()),
    }
}

/// A signal while the harness waits for a KafkaTopic to become Ready (the operator refuses
/// it, so the wait lasts): the run ends with the shell's code for the signal and removes its
/// KafkaTopic first.
fn signalled_while_awaiting_ready(signal: i32, code: i32) -> Result<(), Failed> {
    let course = course()?;
    let topic = format!("edu-signal{signal}");
    let home = home_with(COURSE_CLUSTER, course.control_plane.kubeconfig(), |k| k)?;
    let file = home.path().join("waiting.yaml");
    std::fs::write(&file, unreplicable(&topic))?;
    let mut child = cli(
        home.path(),
        &[&file.display().to_string(), "--cluster", COURSE_CLUSTER],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()?;
    let started = Instant::now();
    let prefix = format!("{topic}-");
    while !course
        .kafka_topics()?
        .iter()
        .any(|t| t.starts_with(&prefix))
    {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            return Err(format!("no KafkaTopic {prefix}* appeared within 60 s").into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // SAFETY: kill(2) on our own child, which has not been waited for.
    unsafe {
        libc::kill(i32::try_from(child.id())?, signal);
    }
    let output = child.wait_with_output()?;
    expect_exit(&output, code, &[])?;
    let left: Vec<String> = course
        .kafka_topics()?
        .into_iter()
        .filter(|t| t.starts_with(&prefix))
        .collect();
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("KafkaTopics left behind after the signal: {left:?}").into())
    }
}
