//! The one fixed run every reporter's golden test renders: a real scenario, loaded through the
//! parser, with a hand-made record of each of its two variants, at fixed offsets, so that what
//! the reporters print can be pinned byte for byte (`terminal/tests.rs`, `junit/tests.rs`,
//! `json/tests.rs`, `html/tests.rs`). Nothing in it reads a clock or the machine.
//!
//! Two consumers share a topic of two partitions; a producer sends four keyed records before
//! the second consumer joins and four more before the first leaves. The `eager` variant passes.
//! The `cooperative` one fails: its first consumer keeps the partition the `expect` step did
//! not give it, and the second reads again the two records of the other that were never
//! committed, which the final `duplicates: 0` catches. One ordering of `compare:` is written the
//! wrong way round so that a failed ordering is rendered too.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::results::ScenarioResult;
use crate::expect::Judged;
use crate::expect::compare::{Comparison, RunOutcome, compare};
use crate::record::events::{
    CLUSTER, ConsumedRecord, Event, EventKind, ProducedRecord, Records, TopicPartition,
};
use crate::record::run_record::{BurstTiming, Checkpoint, RunRecord, StepTiming, Stored};
use crate::record::state::LiveState;
use crate::record::symbols::Symbols;
use crate::run::StepNote;
use crate::scenario::plan::{Action, Plan, Scenario};
use crate::{Finished, expect, outcome, scenario};

/// The scenario file, as the reports name it: relative, so that no machine's path shows.
const FILE: &str = "scenarios/handover.yaml";

const YAML: &str = "\
name: handover
about: |
  Two consumers share a topic of two partitions: the second joins after four records, the
  first leaves after four more.
brokers: { count: 1 }
topics:
  orders: { partitions: 2 }
defaults:
  consumer: { auto.offset.reset: earliest }
variants:
  eager:
    about: the classic protocol with the range assignor
    consumer: { partition.assignment.strategy: range }
  cooperative:
    about: the classic protocol with the cooperative-sticky assignor
    consumer: { partition.assignment.strategy: cooperative-sticky }
compare:
  stop-the-world: [cooperative < eager]
  # The wrong way round, so that the reports show an ordering that did not hold.
  paused: [eager < cooperative]
actors:
  consumer1: { consumer: { group: orders-cg, topics: [orders] } }
  consumer2: { consumer: { group: orders-cg, topics: [orders] } }
  feeder:    { producer: { topic: orders, count: 4, keys: [a, b] } }
timeline:
  - start: consumer1
  - await: stable
  - produce: feeder
  - start: consumer2
  - await: stable
  - expect: { assignment: { consumer1: [0], consumer2: [1] } }
  - produce: feeder
  - stop: consumer1
  - await: stable
  - expect: { assignment: { consumer2: [0, 1] } }
expect:
  lost: 0
  duplicates: 0
";

/// The scenario, each variant's run, and the variants compared.
pub(super) struct Golden {
    /// The loaded scenario: `eager`, then `cooperative`.
    pub(super) scenario: Scenario,
    /// One run per plan, in the same order.
    pub(super) runs: Vec<GoldenRun>,
    /// The scenario's variants compared, as `scenario-run` compares them after the runs.
    pub(super) comparisons: Vec<Comparison>,
}

/// One variant's run.
pub(super) struct GoldenRun {
    /// What `crate::run` would return.
    pub(super) finished: Finished,
    /// What the runner tells its observer after each step: when the step ended, and the note.
    pub(super) notes: Vec<(Duration, StepNote)>,
}

impl Golden {
    /// The results every report is built from, as `scenario-run` makes them on `embedded`.
    pub(super) fn results(&self) -> Vec<ScenarioResult> {
        self.scenario
            .plans
            .iter()
            .zip(&self.runs)
            .map(|(plan, run)| ScenarioResult::finished(plan, "embedded", &run.finished))
            .collect()
    }
}

/// The fixed scenario, run.
pub(super) fn golden() -> Golden {
    let scenario = scenario::load_str(Path::new(FILE), YAML.to_owned())
        .unwrap_or_else(|e| panic!("the golden scenario loads: {e}"));
    let runs: Vec<GoldenRun> = scenario.plans.iter().map(run).collect();
    let outcomes: Vec<_> = runs
        .iter()
        .map(|r| {
            Some(RunOutcome {
                outcome: &r.finished.outcome,
                passed: r.finished.passed(),
            })
        })
        .collect();
    let comparisons = compare(&scenario, &outcomes);
    Golden {
        scenario,
        runs,
        comparisons,
    }
}

/// One variant's record, event by event, step by step, as the runner would have logged it.
fn run(plan: &Plan) -> GoldenRun {
    let eager = plan.variant.as_ref().is_some_and(|v| v.name == "eager");
    let mut r = Recorder::new(plan);
    r.event(2, CLUSTER, EventKind::Brokers(vec![1]));
    for partition in 0..2 {
        r.event(
            3,
            CLUSTER,
            EventKind::PartitionState {
                at: part(partition),
                leader: Some(1),
                replicas: vec![1],
                isr: vec![1],
            },
        );
    }

    // start: consumer1
    r.event(8, "consumer1", EventKind::Started);
    r.step(0, 12, None);
    // await: stable
    r.event(3_040, "consumer1", EventKind::Assigned(parts(&[0, 1])));
    r.step(12, 3_052, None);
    // produce: feeder
    r.event(3_054, "feeder", EventKind::Started);
    r.produced(3_090, 0..4);
    r.consumed(3_095, "consumer1", &[0, 2, 1, 3]);
    r.burst(3_052, 3_098, 4, 36);
    // start: consumer2
    r.event(3_104, "consumer2", EventKind::Started);
    r.step(3_098, 3_110, None);
    // await: stable
    if eager {
        r.event(3_210, "consumer1", EventKind::Revoked(parts(&[0, 1])));
        r.committed(3_212, "consumer1", &[(0, 2), (1, 2)]);
        r.event(6_140, "consumer1", EventKind::Assigned(parts(&[0])));
        r.event(6_150, "consumer2", EventKind::Assigned(parts(&[1])));
    } else {
        // consumer1 keeps partition 1 and gives up 0 before its first commit: consumer2 reads
        // partition 0 from the start again.
        r.event(3_210, "consumer1", EventKind::Released(parts(&[0])));
        r.event(6_140, "consumer1", EventKind::Assigned(parts(&[1])));
        r.event(6_150, "consumer2", EventKind::Assigned(parts(&[0])));
        r.consumed(6_155, "consumer2", &[0, 2]);
    }
    r.step(3_110, 6_160, None);
    // expect: { assignment: { consumer1: [0], consumer2: [1] } }
    r.step(6_160, 6_161, None);
    // produce: feeder
    r.produced(6_185, 4..8);
    let (first, second) = if eager {
        ("consumer1", "consumer2")
    } else {
        ("consumer2", "consumer1")
    };
    r.consumed(6_188, first, &[4, 6]);
    r.consumed(6_189, second, &[5, 7]);
    r.burst(6_161, 6_190, 4, 24);
    // stop: consumer1
    r.event(6_195, "consumer1", EventKind::Stopped);
    if eager {
        r.event(6_200, "consumer1", EventKind::Revoked(parts(&[0])));
        r.committed(6_202, "consumer1", &[(0, 4)]);
    } else {
        r.event(6_200, "consumer1", EventKind::Released(parts(&[1])));
        r.committed(6_202, "consumer1", &[(1, 4)]);
    }
    r.step(6_190, 6_262, None);
    // await: stable
    if eager {
        r.event(6_290, "consumer2", EventKind::Revoked(parts(&[1])));
        r.committed(6_291, "consumer2", &[(1, 4)]);
    }
    r.event(6_520, "consumer2", EventKind::Assigned(parts(&[0, 1])));
    r.step(6_262, 6_530, None);
    // expect: { assignment: { consumer2: [0, 1] } }
    r.step(6_530, 6_531, None);

    // The end of the timeline, then every actor stopped.
    r.end();
    r.event(6_540, "consumer2", EventKind::Stopped);
    let given_back = parts(&[0, 1]);
    r.event(
        6_545,
        "consumer2",
        if eager {
            EventKind::Revoked(given_back)
        } else {
            EventKind::Released(given_back)
        },
    );
    r.committed(6_546, "consumer2", &[(0, 4), (1, 4)]);
    r.event(6_550, "feeder", EventKind::Sent(8));
    r.event(6_550, "feeder", EventKind::Stopped);
    r.finish(if eager { 6_604 } else { 6_587 })
}

/// Partition `n` of `orders`.
fn part(n: i32) -> TopicPartition {
    TopicPartition {
        topic: Arc::from("orders"),
        partition: n,
    }
}

fn parts(ns: &[i32]) -> Vec<TopicPartition> {
    ns.iter().copied().map(part).collect()
}

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// Builds one run's record the way the runner does: events in order, and after each step its
/// timing and the consumers' state then (a checkpoint for `await` and `expect` steps).
struct Recorder<'p> {
    plan: &'p Plan,
    names: Arc<Symbols>,
    record: RunRecord,
    notes: Vec<(Duration, StepNote)>,
    judged: Judged,
}

impl<'p> Recorder<'p> {
    fn new(plan: &'p Plan) -> Self {
        Recorder {
            plan,
            names: Symbols::new(),
            record: RunRecord::default(),
            notes: Vec::new(),
            judged: Judged::new(),
        }
    }

    fn event(&mut self, at: u64, actor: &str, kind: EventKind) {
        self.record.events.push(Event {
            at: ms(at),
            actor: Arc::from(actor),
            kind,
        });
    }

    /// Record `seq` of `feeder`, as sent: even ones keyed `a` to partition 0, odd ones keyed
    /// `b` to partition 1, so that its offset is `seq / 2`.
    fn record(&self, seq: u64) -> ProducedRecord {
        let even = seq.is_multiple_of(2);
        ProducedRecord {
            seq,
            topic: self.names.intern("orders"),
            partition: i32::from(!even),
            key: Some(self.names.intern(if even { "a" } else { "b" })),
            producer: self.names.intern("feeder"),
        }
    }

    /// One delivery report of `feeder` acknowledging `seqs`.
    fn produced(&mut self, at: u64, seqs: std::ops::Range<u64>) {
        let records = Records::new(&self.names, seqs.map(|seq| self.record(seq)));
        self.event(at, "feeder", EventKind::Produced(records));
    }

    /// One poll of `actor` returning `seqs`, processed at once.
    fn consumed(&mut self, at: u64, actor: &str, seqs: &[u64]) {
        let records = seqs.iter().map(|&seq| ConsumedRecord {
            offset: i64::try_from(seq / 2).expect("small"),
            sent: self.record(seq),
        });
        let records = Records::new(&self.names, records);
        self.event(at, actor, EventKind::Consumed(records));
        self.event(at, actor, EventKind::PollBatch(seqs.len()));
        self.event(at, actor, EventKind::Processed(seqs.len()));
    }

    /// A commit of `offsets` of `orders` the broker accepted.
    fn committed(&mut self, at: u64, actor: &str, offsets: &[(i32, i64)]) {
        let offsets = offsets
            .iter()
            .map(|&(p, offset)| (part(p), offset))
            .collect();
        self.event(at, actor, EventKind::Committed(offsets));
    }

    /// The next step ran from `started` to `ended`.
    fn step(&mut self, started: u64, ended: u64, detail: Option<String>) {
        let step = &self.plan.steps[self.record.steps.len()];
        self.record.steps.push(StepTiming {
            line: step.line,
            step: step.text.clone(),
            started: ms(started),
            took: ms(ended - started),
        });
        let after = self.checkpoint(Some(step.line), &step.text);
        let mut note = StepNote {
            after: after.clone(),
            detail,
            ..StepNote::default()
        };
        match &step.action {
            Action::Await(_) => self.record.checkpoints.push(after),
            Action::Expect(expectations) => {
                // Judged once, as it ends, the way `crate::run` has its judge do it.
                note.judged =
                    expect::at_checkpoint(self.plan, expectations, &after, &self.record.events);
                self.judged.insert(step.line, note.judged.clone());
                self.record.checkpoints.push(after);
            }
            _ => {}
        }
        self.notes.push((ms(ended), note));
    }

    /// The next step, a `produce` of `records` that took `took` ms from the first send to the
    /// last acknowledgement.
    fn burst(&mut self, started: u64, ended: u64, records: u64, took: u64) {
        let step = &self.plan.steps[self.record.steps.len()];
        let Action::Produce(burst) = &step.action else {
            panic!("line {} is not a produce step", step.line);
        };
        self.record.bursts.push(BurstTiming {
            actor: burst.actor.clone(),
            line: step.line,
            records,
            took: ms(took),
            produce_requests: Some(2),
        });
        let detail = format!("{records} records in {:.3}s", ms(took).as_secs_f64());
        self.step(started, ended, Some(detail));
    }

    /// The running consumers and what they hold after the events so far.
    fn checkpoint(&self, line: Option<usize>, step: &str) -> Checkpoint {
        let events = &self.record.events;
        let state = LiveState::of(events, |actor| self.plan.group_of(actor).map(str::to_owned));
        Checkpoint {
            line,
            step: step.to_owned(),
            assignment: state.assignment(),
            frozen: state.frozen(),
            events: events.len(),
            committed: None,
        }
    }

    /// The end of the timeline: its checkpoint.
    fn end(&mut self) {
        let end = self.checkpoint(None, "end");
        self.record.checkpoints.push(end);
    }

    /// The run took `wall` ms; the broker holds the last commits, and the topic, read back,
    /// every record once.
    fn finish(mut self, wall: u64) -> GoldenRun {
        self.record.wall_time = ms(wall);
        self.record.committed = [(
            "orders-cg".to_owned(),
            [("orders".to_owned(), [(0, 4), (1, 4)].into())].into(),
        )]
        .into();
        self.record.stored = Some(Ok(Stored {
            records: 8,
            copies: [(Arc::from("feeder"), (0..8).collect())].into(),
        }));
        let plan = self.plan;
        let record = self.record;
        let facts = outcome::run_facts(plan, &record);
        GoldenRun {
            finished: Finished {
                outcome: outcome::build(plan, &record, &facts),
                failures: expect::verdict(plan, &record, &self.judged, &facts),
                record,
            },
            notes: self.notes,
        }
    }
}
