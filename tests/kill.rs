//! A crash (`kill`) sends no LeaveGroup: the rest of the group rebalances only once the session
//! has timed out, while a graceful `stop` rebalances at once. Asserted as ratios of the
//! measured delays to each other and to session.timeout.ms.

mod common;

use kafka_scenario::scenario::load_str;

const SESSION_TIMEOUT_MS: f64 = 6000.0;

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_member_is_noticed_only_after_the_session_timeout() {
    let plan = load_str(
        "kill.yaml".as_ref(),
        format!(
            "name: kill
topics: {{ t: {{ partitions: 2 }} }}
defaults: {{ consumer: {{ session.timeout.ms: {SESSION_TIMEOUT_MS} }} }}
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
    .expect("valid scenario");
    let finished = common::run_embedded(&plan).await.expect("runs");
    assert!(finished.passed(), "{:?}", finished.failures);
    let delay = |how: &str| {
        finished
            .outcome
            .measurements
            .departures
            .iter()
            .find(|d| d.actor == "leaver" && d.how == how)
            .and_then(|d| d.group_rebalanced_after_s)
            .unwrap_or_else(|| panic!("no rebalance after {how}"))
    };
    let (killed, stopped) = (delay("kill"), delay("stop"));
    // The survivor heartbeats every 500 ms, so it may learn of the rebalance up to one
    // heartbeat late, and the session clock started at the leaver's last heartbeat.
    assert!(
        killed * 1000.0 >= 0.9 * SESSION_TIMEOUT_MS,
        "kill noticed after {killed}s, before the {SESSION_TIMEOUT_MS} ms session timeout"
    );
    assert!(killed > 4.0 * stopped, "kill {killed}s vs stop {stopped}s");
}
