use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::cluster::run_names::RunNames;
use crate::record::events::EventLog;
use crate::record::events::RecordId;
use crate::scenario::plan::{NamedBy, ProcessRole, RecordPrint};
use crate::scenario::template::Template;

fn env() -> ActorEnv {
    ActorEnv {
        name: Arc::from("script"),
        log: EventLog::new(),
        topics: Arc::new(RunNames::suffixed(["orders"], ["orders-cg"], Some("r1"))),
        places: crate::actor::places::RecordPlaces::new([]),
    }
}

/// A process running `sh -c script`, its files holding `files`.
fn plan(script: &str, exits: bool, files: &[(&str, &str)]) -> ProcessPlan {
    let template = |text: &str| Template::parse(text).expect("valid template");
    ProcessPlan {
        command: vec![template("sh"), template("-c"), template(script)],
        dir: None,
        env: vec![("GREETING".into(), template("hello {actor}"))],
        files: files
            .iter()
            .map(|(name, text)| ((*name).to_owned(), template(text)))
            .collect(),
        role: ProcessRole::Producer {
            topic: "orders".into(),
        },
        prints: Some(RecordPrint {
            lines: vec![
                regex::Regex::new(r"t=(?P<topic>\S+) p=(?P<partition>\d+) o=(?P<offset>\d+)")
                    .expect("valid pattern"),
            ],
            names_by: NamedBy::Offset,
        }),
        exits,
        grace: Duration::from_secs(2),
    }
}

fn values() -> RunValues {
    RunValues {
        bootstrap: "127.0.0.1:9092".into(),
        sasl: Vec::new(),
        vars: BTreeMap::from([("course".to_owned(), "/srv/course".to_owned())]),
    }
}

fn start(
    plan: &ProcessPlan,
) -> (
    ProcessActor,
    ActorEnv,
    mpsc::UnboundedReceiver<UnexpectedExit>,
) {
    let env = env();
    let (exits, notices) = mpsc::unbounded_channel();
    let process = ProcessActor::start(env.clone(), plan, &values(), exits).expect("spawned");
    (process, env, notices)
}

#[tokio::test]
async fn fills_in_its_files_and_environment_and_reports_consumed_lines() {
    let script = "cat config.ini; echo; echo \"$GREETING\"; echo 't=orders-r1 p=2 o=41: key=None'";
    let plan = plan(
        script,
        true,
        &[("config.ini", "servers={bootstrap} topic={topic.orders}")],
    );
    let (mut process, env, mut notices) = start(&plan);
    assert_eq!(process.exited().await, "exit status 0");
    let output = process.output();
    assert_eq!(
        Vec::from(output.stdout.clone()),
        [
            "servers=127.0.0.1:9092 topic=orders-r1",
            "hello script",
            "t=orders-r1 p=2 o=41: key=None",
        ]
    );
    let consumed: Vec<EventKind> = env
        .log
        .all()
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| matches!(k, EventKind::Consumed(_)))
        .collect();
    match consumed.as_slice() {
        [EventKind::Consumed(records)] if records.len() == 1 => {
            let names = records.names();
            let record = records.iter().next().expect("one record");
            let at = record.at(names);
            assert_eq!((&*at.topic, at.partition, record.offset), ("orders", 2, 41));
            assert_eq!(record.id(), RecordId::located(names, &at, 41));
        }
        other => panic!("expected one consumed record, got {other:?}"),
    }
    assert!(
        notices.try_recv().is_err(),
        "an exit 0 it may make is no failure"
    );
}

#[tokio::test]
async fn an_exit_the_timeline_did_not_ask_for_is_reported_with_its_last_lines() {
    let (mut process, env, mut notices) = start(&plan("echo broken >&2; exit 3", false, &[]));
    process.exited().await;
    let notice = notices.recv().await.expect("reported");
    assert_eq!(notice.actor, "script");
    assert!(
        notice.message.contains("exit status 3") && notice.message.contains("broken"),
        "{}",
        notice.message
    );
    assert!(
        env.log
            .all()
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Exited(s) if s == "exit status 3"))
    );
}

#[tokio::test]
async fn stop_is_sigint_at_its_default_disposition() {
    // The shell execs sleep, which SIGINT ends unless it was left ignored.
    let (mut process, _, mut notices) = start(&plan("exec sleep 30", false, &[]));
    assert_eq!(process.stop().await, None, "ends on SIGINT");
    assert_eq!(process.output().ended.as_deref(), Some("killed by SIGINT"));
    assert!(notices.try_recv().is_err(), "a stop is no unexpected exit");
}

#[tokio::test]
async fn a_program_that_ignores_sigint_is_killed_after_its_grace_and_said_so() {
    let script = "trap '' INT; echo ignoring; while true; do sleep 0.1; done";
    let (mut process, _, _) = start(&plan(script, false, &[]));
    // Its trap is set once it has said so.
    until(|| process.output().stdout.iter().any(|l| l == "ignoring")).await;
    let said = process.stop().await.expect("said to be killed");
    assert!(
        said.contains("did not exit within 2s of SIGINT") && said.contains("ignoring"),
        "{said}"
    );
    assert_eq!(
        process.output().ended.as_deref(),
        Some("killed by SIGKILL, 2s after a SIGINT it did not exit on")
    );
}

#[tokio::test]
async fn a_missing_program_fails_to_start_with_its_name() {
    let mut plan = plan("true", false, &[]);
    plan.command = vec![Template::parse("no-such-program-here").expect("valid")];
    let (exits, _) = mpsc::unbounded_channel();
    let Err(error) = ProcessActor::start(env(), &plan, &values(), exits) else {
        panic!("started a program that does not exist");
    };
    assert!(
        error
            .message
            .contains("cannot start `no-such-program-here`"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn frozen_it_prints_nothing_until_thawed() {
    let script = "while true; do echo tick; sleep 0.05; done";
    let (mut process, _, _) = start(&plan(script, false, &[]));
    until(|| process.output().stdout_lines > 0).await;
    process.freeze();
    // What it wrote before the SIGSTOP may still be on its way through the pipe: wait until
    // the count stands still, however slowly the machine reads.
    let mut frozen_at = process.output().stdout_lines;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = process.output().stdout_lines;
        if now == frozen_at {
            break;
        }
        frozen_at = now;
    }
    // A running loop prints every 50 ms: a second of silence is twenty lines not printed.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        process.output().stdout_lines,
        frozen_at,
        "printed while frozen"
    );
    process.thaw();
    until(|| process.output().stdout_lines > frozen_at).await;
    process.kill().await;
}

/// Waits until `done` holds; a test that waits in vain fails after a minute rather than hangs.
async fn until(done: impl Fn() -> bool) {
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "waited a minute in vain");
}
