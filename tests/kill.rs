//! A crash (`kill`) sends no LeaveGroup: the rest of the group rebalances only once the session
//! has timed out, while a graceful `stop` rebalances at once. Each delay is bounded by the
//! protocol's settings alone (never one delay against the other, which a loaded machine could
//! skew): the leaver's last heartbeat came at most one heartbeat interval before its kill, so
//! the group cannot notice a kill sooner than session.timeout.ms - heartbeat.interval.ms; a
//! stop's LeaveGroup must be noticed sooner than that, which no crash can be. Without a
//! LeaveGroup on `stop` the second bound fails. On the embedded cluster and on real Kafka.

mod common;

use std::process::ExitCode;

use common::requirements::{Component, needing};
use kafka_scenario::cluster::Target;
use kafka_scenario::cluster::local::LocalSettings;
use kafka_scenario::scenario::load_str;
use kafka_scenario::{Finished, Plan};
use libtest_mimic::{Arguments, Failed, Trial};

/// Kafka's smallest allowed session timeout (group.min.session.timeout.ms).
const SESSION_TIMEOUT_MS: f64 = 6000.0;
/// The members' heartbeat interval, set here rather than left to a target's default.
const HEARTBEAT_INTERVAL_MS: f64 = 1000.0;
/// The soonest a group can notice a crash: the session, counted from a last heartbeat that came
/// at most one interval before the kill.
const SOONEST_CRASH_NOTICE_MS: f64 = SESSION_TIMEOUT_MS - HEARTBEAT_INTERVAL_MS;

fn main() -> ExitCode {
    let arguments = Arguments::from_args();
    let trials = vec![
        Trial::test(
            "embedded::a_killed_member_is_noticed_only_after_the_session_timeout",
            || {
                let plan = plan();
                judge(
                    &common::shared::runtime()
                        .block_on(common::run_embedded(&plan))
                        .map_err(|e| e.to_string())?,
                )
            },
        ),
        needing(
            Component::KafkaLocal,
            "kafka_local::a_killed_member_is_noticed_only_after_the_session_timeout".to_owned(),
            || {
                let plan = plan();
                let launched =
                    common::shared::launched(&Target::Local(LocalSettings::shared(None, 1)));
                judge(
                    &common::shared::runtime()
                        .block_on(common::run_launched(&plan, &launched))
                        .map_err(|e| e.to_string())?,
                )
            },
        ),
    ];
    let conclusion = libtest_mimic::run(&arguments, trials);
    common::shared::shut_down();
    conclusion.exit_code()
}

fn plan() -> Plan {
    load_str(
        "kill.yaml".as_ref(),
        format!(
            "name: kill
topics: {{ t: {{ partitions: 2 }} }}
defaults: {{ consumer: {{ session.timeout.ms: {SESSION_TIMEOUT_MS}, heartbeat.interval.ms: {HEARTBEAT_INTERVAL_MS} }} }}
actors:
  survivor: {{ consumer: {{ group: g, topics: [t] }} }}
  leaver:   {{ consumer: {{ group: g, topics: [t] }} }}
timeline:
  - start: survivor
  - start: leaver
  - await: stable
  - kill: leaver
  - await: stable
  - start: leaver
  - await: stable
  - stop: leaver
  - await: stable
"
        ),
    )
    .expect("valid scenario")
    .plans
    .remove(0)
}

fn judge(finished: &Finished) -> Result<(), Failed> {
    if !finished.passed() {
        return Err(format!("{:?}", finished.failures).into());
    }
    let delay = |how: &str| {
        finished
            .outcome
            .measurements
            .departures
            .iter()
            .find(|d| d.actor == "leaver" && d.how == how)
            .and_then(|d| d.group_rebalanced_after_s)
            .ok_or_else(|| format!("no rebalance after {how}"))
    };
    let (killed, stopped) = (delay("kill")?, delay("stop")?);
    if killed * 1000.0 < SOONEST_CRASH_NOTICE_MS {
        return Err(format!(
            "kill noticed after {killed}s, sooner than the session ({SESSION_TIMEOUT_MS} ms) after a last heartbeat at most {HEARTBEAT_INTERVAL_MS} ms before it"
        )
        .into());
    }
    if stopped * 1000.0 >= SOONEST_CRASH_NOTICE_MS {
        return Err(format!(
            "stop noticed after {stopped}s: no sooner than a crash could be (no LeaveGroup?)"
        )
        .into());
    }
    Ok(())
}
