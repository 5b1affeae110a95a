//! Every scenario in `scenarios/` on the embedded cluster and on real Apache Kafka
//! (`kafka-local`, three brokers started once for this test binary). Both runs must pass their
//! own expectations and match the one snapshot per scenario (measurements redacted). Real Kafka
//! is the reference: where the mock cannot do what a scenario needs, the scenario is asserted
//! not runnable there, never passed.
//!
//! One named test per scenario and target (`embedded::rebalance`, `kafka_local::rebalance`);
//! a scenario with variants runs each of them in its test, with a snapshot per variant, and its
//! `compare:` orderings must hold. Without Java or a Kafka distribution the `kafka_local` tests
//! are ignored with the reason.
//!
//! The crowd sweeps of `scenarios/crowds/` run here at their sizes up to
//! [`LARGEST_CROWD_HERE`] members; their larger sizes are measured with `scenario-run`
//! (docs/src/measured/crowds.md), as they take too long for every test run.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::time::Duration;

use common::requirements::{Component, needing};
use kafka_scenario::cluster::local::LocalSettings;
use kafka_scenario::cluster::{EmbeddedCluster, Target};
use kafka_scenario::expect::compare::{RunOutcome, compare};
use kafka_scenario::record::events::{Event, EventKind};
use kafka_scenario::scenario::plan::Capability;
use kafka_scenario::{Finished, Outcome, Plan, RunError, Scenario};
use libtest_mimic::{Arguments, Failed, Trial};

/// Brokers of the real cluster: three, so replication factors 2 and 3 and acks=all are real.
const BROKERS: usize = 3;

/// The largest size of a crowd sweep these tests run.
const LARGEST_CROWD_HERE: u32 = 100;

/// The scenario in a file, without the sizes of its sweep above [`LARGEST_CROWD_HERE`].
fn scenario_here(file: &std::path::Path) -> Scenario {
    let mut scenario = common::scenario_at(file);
    scenario
        .plans
        .retain(|plan| plan.sweep.is_none_or(|size| size <= LARGEST_CROWD_HERE));
    scenario
}

fn main() -> ExitCode {
    let arguments = Arguments::from_args();
    let files = common::scenario_files("");
    let checked = files.clone();
    let files = files.into_iter().chain(common::scenario_files("crowds"));
    let mut trials = vec![Trial::test(
        "extra_checks_name_scenarios_that_exist",
        move || extra_checks_name_scenarios_that_exist(&checked),
    )];
    for file in files {
        let stem = common::test_name(&file);
        let embedded = file.clone();
        trials.push(Trial::test(format!("embedded::{stem}"), move || {
            every_variant(&scenario_here(&embedded), on_embedded)
        }));
        trials.push(needing(
            Component::KafkaLocal,
            format!("kafka_local::{stem}"),
            move || every_variant(&scenario_here(&file), on_kafka_local),
        ));
    }
    let conclusion = libtest_mimic::run(&arguments, trials);
    common::shared::shut_down();
    conclusion.exit_code()
}

/// Runs each plan of `scenario` (one per variant) one after the other with `run`, which judges
/// it and returns its Outcome (`None` when the target cannot run it); then the variants'
/// orderings must hold wherever both variants ran.
fn every_variant(
    scenario: &Scenario,
    run: fn(&Plan) -> Result<Option<Outcome>, Failed>,
) -> Result<(), Failed> {
    let mut outcomes = Vec::new();
    for plan in &scenario.plans {
        outcomes.push(run(plan)?);
    }
    // A run that failed has returned its failure already: every run here passed.
    let runs: Vec<Option<RunOutcome>> = outcomes
        .iter()
        .map(|o| {
            Some(RunOutcome {
                outcome: o.as_ref()?,
                passed: true,
            })
        })
        .collect();
    let comparisons = compare(scenario, &runs);
    let failed: Vec<String> = comparisons
        .iter()
        .filter(|c| !c.held())
        .map(kafka_scenario::report::terminal::comparison)
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("\n").into())
    }
}

fn on_embedded(plan: &Plan) -> Result<Option<Outcome>, Failed> {
    let lacking: Vec<Capability> = plan
        .needs
        .difference(&EmbeddedCluster::offers())
        .copied()
        .collect();
    let result = common::shared::runtime().block_on(common::run_embedded(plan));
    if !lacking.is_empty() {
        // The mock answers no CreatePartitions and has no brokers to fault: reported not
        // runnable, before anything ran.
        return match result {
            Err(RunError::NotRunnable { missing, .. }) if missing == lacking => Ok(None),
            Err(e) => {
                Err(format!("expected not runnable for want of {lacking:?}, got: {e}").into())
            }
            Ok(_) => Err(format!("ran on a target that lacks {lacking:?}").into()),
        };
    }
    judge(plan, result).map(Some)
}

fn on_kafka_local(plan: &Plan) -> Result<Option<Outcome>, Failed> {
    let launched = common::shared::launched(&Target::Local(LocalSettings::shared(None, BROKERS)));
    let result = common::shared::runtime().block_on(common::run_launched(plan, &launched));
    judge(plan, result).map(Some)
}

/// The run passed, matches the snapshot, and shows what the scenario is about.
fn judge(plan: &Plan, result: Result<Finished, RunError>) -> Result<Outcome, Failed> {
    let finished = result.map_err(|e| format!("{} did not run: {e}", plan.label()))?;
    common::assert_passed_and_matches_snapshot(plan, &finished);
    for (_, check) in EXTRA_CHECKS.iter().filter(|(name, _)| *name == plan.name) {
        check(&finished)?;
    }
    Ok(finished.outcome)
}

/// A check of a finished run beyond its snapshot.
type ExtraCheck = fn(&Finished) -> Result<(), Failed>;

/// What some scenarios show that a snapshot cannot (a count's sign, a bound tied to the
/// protocol), by scenario name. `extra_checks_name_scenarios_that_exist` fails when a name here
/// matches no scenario, so a rename cannot silently drop a check.
const EXTRA_CHECKS: &[(&str, ExtraCheck)] = &[
    ("batch-linger", fewer_requests_with_larger_batches),
    ("slow-consumer", slow_records_come_again),
    ("acks-durability", only_the_leader_had_them),
    ("silent-consumer", removed_only_once_its_session_expired),
    (
        "network-cut",
        the_cut_member_gave_up_its_partitions_on_its_own,
    ),
    ("min-insync", refused_for_want_of_replicas),
    ("partition-growth", the_last_burst_follows_three_partitions),
];

/// partition-growth's last burst alone, once the topic has three partitions: murmur2 sends
/// key1 and key2 to 2 and key3 to 1. The whole run's placement (the scenario's `expect`) cannot
/// tell this from a producer still on two partitions' metadata.
fn the_last_burst_follows_three_partitions(finished: &Finished) -> Result<(), Failed> {
    let burst = finished
        .record
        .steps
        .iter()
        .rfind(|step| step.step.starts_with("produce"))
        .ok_or("no produce step ran")?;
    let window = burst.started..=burst.started + burst.took;
    let mut placed: BTreeMap<String, BTreeSet<i32>> = BTreeMap::new();
    for event in finished
        .record
        .events
        .iter()
        .filter(|e| window.contains(&e.at))
    {
        if let EventKind::Produced(records) = &event.kind {
            for record in records.iter() {
                if let Some(key) = record.key {
                    let key = records.names().text(key).to_string();
                    placed.entry(key).or_default().insert(record.partition);
                }
            }
        }
    }
    let expected: BTreeMap<String, BTreeSet<i32>> = [("key1", 2), ("key2", 2), ("key3", 1)]
        .into_iter()
        .map(|(key, partition)| (key.to_owned(), BTreeSet::from([partition])))
        .collect();
    if placed == expected {
        Ok(())
    } else {
        Err(format!(
            "the last burst (line {}) placed its keys {placed:?}, three partitions' murmur2 gives {expected:?}",
            burst.line
        )
        .into())
    }
}

/// The leader alone in sync refused acks=all writes with NOT_ENOUGH_REPLICAS: among the strict
/// producer's failures (which `failed: { strict: 10 }` counts whatever their kind, timeouts
/// included) some are that refusal, or the scenario's claim is not what happened.
fn refused_for_want_of_replicas(finished: &Finished) -> Result<(), Failed> {
    let failed = finished
        .outcome
        .measurements
        .durability
        .get("strict")
        .map(|d| &d.failed)
        .ok_or("no accounting of the strict producer (were the topics read back?)")?;
    let refused = failed.get("NotEnoughReplicas").copied().unwrap_or(0);
    if refused == 0 {
        return Err(format!(
            "the strict producer's failures were {failed:?}: none was the leader's NOT_ENOUGH_REPLICAS"
        )
        .into());
    }
    Ok(())
}

/// Every scenario `EXTRA_CHECKS` names is one of `scenarios/`.
fn extra_checks_name_scenarios_that_exist(files: &[std::path::PathBuf]) -> Result<(), Failed> {
    let names: Vec<String> = files
        .iter()
        .filter_map(|file| Some(common::scenario_at(file).plans.first()?.name.clone()))
        .collect();
    let unknown: Vec<&str> = EXTRA_CHECKS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !names.iter().any(|n| n == name))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "EXTRA_CHECKS names {unknown:?}, which no scenario in scenarios/ is called (they are: {names:?}): rename the entry with its scenario"
        )
        .into())
    }
}

/// The frozen member sent nothing, LeaveGroup included, so the group can only have noticed
/// through its session: not before session.timeout.ms minus one heartbeat interval (its last
/// heartbeat may precede the freeze by that much), however fast the machine. Thawed, it must
/// have held partitions again.
fn removed_only_once_its_session_expired(finished: &Finished) -> Result<(), Failed> {
    const SESSION_S: f64 = 6.0;
    const HEARTBEAT_S: f64 = 1.0;
    let freeze = finished
        .outcome
        .measurements
        .departures
        .iter()
        .find(|d| d.how == "freeze")
        .ok_or("no freeze measured")?;
    let noticed = freeze
        .group_rebalanced_after_s
        .ok_or("the group never rebalanced after the freeze")?;
    if noticed < SESSION_S - HEARTBEAT_S {
        return Err(format!(
            "the group rebalanced {noticed} s after the freeze, before the session could expire"
        )
        .into());
    }
    if freeze.rejoined_after_s.is_none() {
        return Err("the thawed member never held partitions again".into());
    }
    Ok(())
}

/// The member whose link was cut learnt it had lost its partitions while still cut, by
/// librdkafka's own count of its session, not before the session could expire (counted from
/// its last answered heartbeat: one interval before the cut, two on a busy machine); after the reset
/// and with the delay, it consumed again without losing its partitions.
fn the_cut_member_gave_up_its_partitions_on_its_own(finished: &Finished) -> Result<(), Failed> {
    const SESSION: Duration = Duration::from_secs(6);
    const HEARTBEAT: Duration = Duration::from_secs(1);
    let own = |event: &&Event| &*event.actor == "consumer2";
    let links: Vec<(Duration, bool)> = finished
        .record
        .events
        .iter()
        .filter(own)
        .filter_map(|e| match &e.kind {
            EventKind::Link(link) => Some((e.at, link.cut)),
            _ => None,
        })
        .collect();
    let [(cut_at, true), (healed_at, false), (delayed_at, false)] = links[..] else {
        return Err(format!(
            "expected a cut, a heal and a delay of consumer2's link, got {links:?}"
        )
        .into());
    };
    let lost: Vec<Duration> = finished
        .record
        .events
        .iter()
        .filter(own)
        .filter(|e| matches!(e.kind, EventKind::Lost))
        .map(|e| e.at)
        .collect();
    let on_its_own = lost
        .iter()
        .find(|at| (cut_at + SESSION - 2 * HEARTBEAT..healed_at).contains(*at))
        .ok_or_else(|| {
            format!(
                "consumer2 was not told it lost its partitions between {:?} (its session could expire) and the heal at {healed_at:?}: lost at {lost:?}",
                cut_at + SESSION - 2 * HEARTBEAT
            )
        })?;
    let after_reset: Vec<&Event> = finished
        .record
        .events
        .iter()
        .filter(own)
        .filter(|e| e.at > delayed_at)
        .take_while(|e| !matches!(e.kind, EventKind::Stopped))
        .collect();
    if !after_reset
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Consumed(records) if !records.is_empty()))
    {
        return Err(
            "consumer2 consumed nothing after its connections were reset and delayed".into(),
        );
    }
    if let Some(left) = after_reset
        .iter()
        .find(|e| matches!(e.kind, EventKind::Lost | EventKind::Revoked(_)))
    {
        return Err(format!("the reset cost consumer2 its partitions: {left:?}").into());
    }
    println!(
        "consumer2 gave up its partitions {:.1} s after its link was cut",
        (*on_its_own - cut_at).as_secs_f64()
    );
    Ok(())
}

/// acks=0 and acks=1 lost the records acknowledged while the followers were paused: how many
/// depends on timing, so the counts are measurements and only their sign is asserted (acks=all
/// losing none is the scenario's own strict expectation).
fn only_the_leader_had_them(finished: &Finished) -> Result<(), Failed> {
    let measured = &finished.outcome.measurements;
    for producer in ["acks0", "acks1"] {
        let lost = measured
            .durability
            .get(producer)
            .map(|d| d.lost)
            .ok_or_else(|| format!("no accounting for {producer}"))?;
        if lost == 0 {
            return Err(format!("{producer} lost nothing although the leader died alone").into());
        }
    }
    if measured.failovers.iter().any(|f| f.to.is_none()) {
        return Err(format!("a partition was never led again: {:?}", measured.failovers).into());
    }
    Ok(())
}

/// The slow member's records were processed again after each removal; how many depends on
/// where its batch stood, so the count is a measurement, and only its sign is asserted.
fn slow_records_come_again(finished: &Finished) -> Result<(), Failed> {
    let duplicates = finished
        .outcome
        .measurements
        .groups
        .get("slow-cg")
        .and_then(|g| g.duplicates)
        .ok_or("no duplicate count measured for slow-cg")?;
    if duplicates > 0 {
        Ok(())
    } else {
        Err("slow-cg was removed twice but processed no record twice".into())
    }
}

/// Doubling batch.size with a long linger.ms roughly halves the produce requests.
fn fewer_requests_with_larger_batches(finished: &Finished) -> Result<(), Failed> {
    let requests: Vec<i64> = finished
        .outcome
        .measurements
        .bursts
        .iter()
        .map(|b| {
            b.produce_requests
                .ok_or("statistics report no produce requests")
        })
        .collect::<Result<_, _>>()?;
    let halves = requests.len() == 3
        && requests[0] as f64 > 1.5 * requests[1] as f64
        && requests[1] as f64 > 1.5 * requests[2] as f64;
    if halves {
        Ok(())
    } else {
        Err(
            format!("produce requests per burst {requests:?}: each should be > 1.5x the next")
                .into(),
        )
    }
}
