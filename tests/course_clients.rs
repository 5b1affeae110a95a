//! The course's own clients on real Kafka with SCRAM, as the course runs them: every scenario
//! in `scenarios/course-clients/` on `kafka-local --scram` (three brokers, started once for
//! this test binary), with our stand-ins for the course's kafka-python scripts
//! (`clients/course`, the same arguments, `config.ini` and output line) and our Spring Boot
//! consumer (`clients/spring-consumer`), each run judged and snapshot-asserted.
//!
//! Ctrl+C is measured on the way: after SIGINT, a member that sent LeaveGroup is gone at once,
//! one that did not stays until its session times out. A rebalance that came later than that
//! session minus one heartbeat proves no LeaveGroup; one that came before the session could
//! expire proves one. Both bounds are the protocol's, so a slow machine cannot fail them.
//!
//! Without Java and a Kafka distribution, `python` with kafka-python 2.0.2, or the Spring jar,
//! the tests that need them are ignored with the reason (`KAFKA_SCENARIO_REQUIRE` fails them).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, ExitCode};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::requirements::{Component, needing_all, spring_jar};
use kafka_scenario::cluster::local::LocalSettings;
use kafka_scenario::cluster::local::scram::{COURSE_USER, ScramUser};
use kafka_scenario::cluster::{Launched, Target};
use kafka_scenario::expect::{Difference, Problem};
use kafka_scenario::scenario::plan::{Action, ActorPlan, NamedBy};
use kafka_scenario::{Finished, Plan};
use libtest_mimic::{Arguments, Failed};

/// Brokers, as on the course's cluster.
const BROKERS: usize = 3;
/// kafka-python 2.0.2's `session_timeout_ms` and `heartbeat_interval_ms`.
const KAFKA_PYTHON_SESSION: Duration = Duration::from_secs(10);
const KAFKA_PYTHON_HEARTBEAT: Duration = Duration::from_secs(3);
/// The Java client's `session.timeout.ms` and `heartbeat.interval.ms` (kafka-clients 3.x), which
/// the Spring consumer keeps.
const JAVA_SESSION: Duration = Duration::from_secs(45);
const JAVA_HEARTBEAT: Duration = Duration::from_secs(3);

fn main() -> ExitCode {
    let arguments = Arguments::from_args();
    let mut trials = Vec::new();
    for file in common::scenario_files("course-clients") {
        let stem = common::test_name(&file);
        let plan = common::scenario_at(&file).plans.remove(0);
        let mut components = vec![Component::KafkaLocal, Component::Python];
        if plan.missing_vars().contains("spring") {
            components.push(Component::Spring);
        }
        trials.push(needing_all(
            &components,
            format!("course_clients::{stem}"),
            move || course_scenario(&plan),
        ));
    }
    trials.push(needing_all(
        &[Component::KafkaLocal],
        "scram::a_wrong_password_is_refused_naming_the_user".into(),
        wrong_password,
    ));
    trials.push(needing_all(
        &[Component::KafkaLocal, Component::Python],
        "process::a_producer_that_delivers_nothing_fails_with_the_numbers".into(),
        producer_that_delivers_nothing,
    ));
    trials.push(needing_all(
        &[Component::KafkaLocal, Component::Python],
        "process::a_process_consumer_reads_what_the_harness_produced".into(),
        process_reads_harness_records,
    ));
    let conclusion = libtest_mimic::run(&arguments, trials);
    common::shared::shut_down();
    conclusion.exit_code()
}

/// The shared SCRAM cluster, its password drawn once for this test binary.
fn cluster() -> Arc<Launched> {
    static TARGET: OnceLock<Target> = OnceLock::new();
    let target = TARGET.get_or_init(|| {
        let user = ScramUser::generated(COURSE_USER).expect("a password from /dev/urandom");
        Target::Local(LocalSettings::shared(None, BROKERS).with_scram(user))
    });
    common::shared::launched(target)
}

/// The plan with the variables the course-clients scenarios use, pointing at our stand-ins.
fn with_stand_ins(plan: &Plan) -> Plan {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let vars = [
        ("course", root.join("clients/course")),
        ("spring", spring_jar()),
    ];
    Plan {
        vars: vars
            .into_iter()
            .map(|(name, path)| (name.to_owned(), path.display().to_string()))
            .collect(),
        ..plan.clone()
    }
}

fn run(plan: &Plan) -> Result<Finished, Failed> {
    let launched = cluster();
    common::shared::runtime()
        .block_on(common::run_launched(plan, &launched))
        .map_err(|e| format!("{}: {e}", plan.label()).into())
}

fn course_scenario(plan: &Plan) -> Result<(), Failed> {
    let finished = run(&with_stand_ins(plan))?;
    common::assert_passed_and_matches_snapshot(plan, &finished);
    ctrl_c(plan, &finished)?;
    found_by_value(plan, &finished)
}

/// A process consumer that prints records without offsets (the Spring consumer) had its
/// records found by value: it held partitions while records arrived, so it consumed some. A
/// passing `await drained` then says every record was found once across the group.
fn found_by_value(plan: &Plan, finished: &Finished) -> Result<(), Failed> {
    for (actor, spec) in &plan.actors {
        let ActorPlan::Process(process) = spec else {
            continue;
        };
        if process.prints.as_ref().map(|p| p.names_by) != Some(NamedBy::Value) {
            continue;
        }
        let consumed = finished
            .outcome
            .measurements
            .actors
            .get(actor)
            .and_then(|counts| counts.consumed)
            .unwrap_or(0);
        if consumed == 0 {
            return Err(format!(
                "{}: {actor} prints records by value, and none of them was found",
                plan.label()
            )
            .into());
        }
    }
    Ok(())
}

/// How long after each SIGINT the rest of the group began to rebalance, checked against what
/// a LeaveGroup (or its absence) allows: kafka-python 2.0.2 sends none, Spring's close does.
/// Every timeline `stop` of a program that left others running in its group must show a
/// measured rebalance: a missing one fails instead of being passed over.
fn ctrl_c(plan: &Plan, finished: &Finished) -> Result<(), Failed> {
    let mut unchecked = stops_leaving_members_behind(plan);
    let mut stops_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for departure in &finished.outcome.measurements.departures {
        if departure.how != "stop" {
            continue;
        }
        let actor = departure.actor.as_str();
        let nth = stops_seen.entry(actor).or_default();
        let checked = unchecked.remove(&(actor.to_owned(), *nth));
        *nth += 1;
        let Some(after) = departure
            .group_rebalanced_after_s
            .map(Duration::from_secs_f64)
        else {
            if checked {
                return Err(format!(
                    "{}: Ctrl+C on {actor} left others in its group, yet no rebalance was measured after it",
                    plan.label()
                )
                .into());
            }
            continue;
        };
        if actor.starts_with("python") {
            let earliest = KAFKA_PYTHON_SESSION - KAFKA_PYTHON_HEARTBEAT;
            if after < earliest {
                return Err(format!(
                    "{}: the group rebalanced {after:?} after Ctrl+C on {actor}, before its session \
                     could expire ({earliest:?}): kafka-python sent a LeaveGroup after all",
                    plan.label()
                )
                .into());
            }
        } else if actor == "spring" {
            let latest = JAVA_SESSION - JAVA_HEARTBEAT;
            if after >= latest {
                return Err(format!(
                    "{}: the group rebalanced {after:?} after Ctrl+C on the Spring consumer, as late \
                     as an expired session ({latest:?}): it did not leave the group",
                    plan.label()
                )
                .into());
            }
        }
    }
    if !unchecked.is_empty() {
        return Err(format!(
            "{}: no departure was measured for these timeline stops (actor, earlier stops of it) that left others in their group: {unchecked:?}",
            plan.label()
        )
        .into());
    }
    Ok(())
}

/// The timeline's `stop` steps (actor, how many stops of it came before) of group members that
/// left another member of their group running, as the timeline has it.
fn stops_leaving_members_behind(plan: &Plan) -> BTreeSet<(String, usize)> {
    let mut running: BTreeSet<&str> = BTreeSet::new();
    let mut stops: BTreeMap<&str, usize> = BTreeMap::new();
    let mut must_check = BTreeSet::new();
    for step in &plan.steps {
        match &step.action {
            Action::Start(actor) => {
                running.insert(actor);
            }
            Action::Kill(actor) => {
                running.remove(actor.as_str());
            }
            Action::Stop(actor) => {
                running.remove(actor.as_str());
                let nth = stops.entry(actor).or_default();
                let group = plan.group_of(actor);
                let others = running
                    .iter()
                    .any(|other| group.is_some() && plan.group_of(other) == group);
                if others {
                    must_check.insert((actor.clone(), *nth));
                }
                *nth += 1;
            }
            _ => {}
        }
    }
    must_check
}

/// A login with the wrong password: exit 3, naming the user and the mechanism, never a password.
fn wrong_password() -> Result<(), Failed> {
    let launched = cluster();
    let Launched::Local(kafka) = &*launched else {
        return Err("the shared cluster is not kafka-local".into());
    };
    let wrong = "not-the-password-42";
    let output = Command::new(env!("CARGO_BIN_EXE_scenario-run"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/key-partition.yaml"))
        .args(["--bootstrap", kafka.bootstrap()])
        .args(["-X", "security.protocol=SASL_PLAINTEXT"])
        .args(["-X", "sasl.mechanism=SCRAM-SHA-512"])
        .args(["-X", &format!("sasl.username={COURSE_USER}")])
        .args(["-X", &format!("sasl.password={wrong}")])
        .output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() != Some(3) {
        return Err(format!("expected exit 3, got {}:\n{stderr}", output.status).into());
    }
    let named = format!("authentication failed for user {COURSE_USER} (SCRAM-SHA-512)");
    if !stderr.contains(&named) {
        return Err(format!("stderr does not say `{named}`:\n{stderr}").into());
    }
    if stderr.contains(wrong) {
        return Err(format!("stderr shows the password:\n{stderr}").into());
    }
    Ok(())
}

/// A process producer that exits 0 having sent nothing: its expectation fails, saying how many
/// records were expected on the topic and how many were found.
fn producer_that_delivers_nothing() -> Result<(), Failed> {
    let text = "\
name: silent-producer
topics: { orders: { partitions: 2 } }
actors:
  sender:
    process:
      producer: { topic: orders }
      command: [python, -c, \"print('sent 10 records')\"]
      exits: true
timeline:
  - start: sender
  - await: { exited: [sender] }
  - expect: { produced: { sender: 10 } }
";
    let scenario =
        kafka_scenario::scenario::load_str(Path::new("silent-producer.yaml"), text.into())
            .map_err(|e| format!("{e}"))?;
    let finished = run(&scenario.plans[0])?;
    let wanted = Problem::Differs(Difference {
        what: "records found on its topic from process sender".into(),
        expected: "10".into(),
        actual: "0".into(),
    });
    match finished.failures.as_slice() {
        [failure] if failure.problem == wanted => Ok(()),
        other => Err(format!("expected only {wanted:?}, got {other:?}").into()),
    }
}

/// The harness's records, which carry its id, and a process that names what it read by place:
/// matched record by record, so `drained`, `lost` and `duplicates` hold across the two. The
/// reader starts from `earliest`: kafka-python resolves `latest` at its first fetch, after the
/// group is stable, and would skip records sent in between.
fn process_reads_harness_records() -> Result<(), Failed> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("clients/course/kafka/PythonSample/41.consumer-offset-reset.py")
        .display()
        .to_string();
    let text = format!(
        "\
name: harness-to-process
topics: {{ orders: {{ partitions: 3 }} }}
actors:
  burst: {{ producer: {{ topic: orders, count: 30 }} }}
  reader:
    process:
      consumer: {{ group: orders-cg, topics: [orders] }}
      command: [python, \"{script}\", \"{{topic.orders}}\", \"{{group.orders-cg}}\", earliest]
      files:
        config.ini: |
          [KAFKAINFO]
          bootstrap_servers = {{bootstrap}}
          sasl_plain_username = {{sasl.username}}
          sasl_plain_password = {{sasl.password}}
      prints: course
timeline:
  - start: reader
  - await: stable
  - produce: burst
  - await: {{ drained: orders-cg }}
expect:
  consumed: {{ reader: 30 }}
  lost: 0
  duplicates: 0
"
    );
    let scenario = kafka_scenario::scenario::load_str(Path::new("harness-to-process.yaml"), text)
        .map_err(|e| format!("{e}"))?;
    let plan = &scenario.plans[0];
    let finished = run(plan)?;
    if finished.passed() {
        Ok(())
    } else {
        Err(kafka_scenario::report::terminal::verdict(plan, &finished.failures).into())
    }
}
