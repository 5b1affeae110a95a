//! One `scenario-run` invocation (binary only): launches the target, runs the plans, `jobs` at
//! a time, each on its own cluster connection, and ends every run cleanly on a signal. With one
//! job a run prints as it goes; with more, each run's output is held and printed whole when it
//! ends, so that runs never interleave, and the next plan starts as soon as any run ends.

use std::io::Write;
use std::time::Duration;

use futures::StreamExt;
use kafka_scenario::cluster::{Cluster, Launched, Target};
use kafka_scenario::expect::Failure;
use kafka_scenario::report::results::{ScenarioResult, Verdict};
use kafka_scenario::report::terminal::{StepPrinter, accounting, verdict};
use kafka_scenario::scenario::plan::Action;
use kafka_scenario::{Plan, RunError};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;

use crate::{exit, more_severe};

/// How long removing a run's topics may take after a signal before the harness gives up on it.
const INTERRUPT_CLEANUP_TIMEOUT: Duration = Duration::from_secs(15);

/// What the runs of an invocation share.
pub struct Settings<'a> {
    /// Where they run.
    pub target: &'a Target,
    /// Its name for results of runs that never connected.
    pub target_name: &'a str,
    /// Print each run's normalised Outcome.
    pub print_outcome: bool,
    /// Runs at once, at least 1.
    pub jobs: usize,
}

/// Runs every plan; returns the exit code and a result for every plan, in the plans' order
/// (one the invocation never reached is an error saying why).
pub async fn run_all(plans: &[Plan], settings: &Settings<'_>) -> (u8, Vec<ScenarioResult>) {
    let (code, mut ended) = run_reached(plans, settings).await;
    ended.sort_by_key(|(index, _)| *index);
    let mut ended = ended.into_iter().peekable();
    let results = plans
        .iter()
        .enumerate()
        .map(
            |(index, plan)| match ended.next_if(|(at, _)| *at == index) {
                Some((_, result)) => result,
                None => {
                    let why = "not run: the invocation ended before it (see its output)".to_owned();
                    ScenarioResult::not_run(plan, settings.target_name, Verdict::Error(why))
                }
            },
        )
        .collect();
    (code, results)
}

/// SIGINT, SIGTERM and SIGHUP, each of which ends the invocation after cleaning up.
struct Interrupts {
    int: Signal,
    term: Signal,
    hup: Signal,
}

impl Interrupts {
    fn listen() -> std::io::Result<Interrupts> {
        Ok(Interrupts {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// The next signal: its name and number.
    async fn next(&mut self) -> Signalled {
        tokio::select! {
            _ = self.int.recv() => ("SIGINT", 2),
            _ = self.term.recv() => ("SIGTERM", 15),
            _ = self.hup.recv() => ("SIGHUP", 1),
        }
    }
}

/// A signal's name and number.
pub(crate) type Signalled = (&'static str, u8);

/// How one run ended, for the invocation.
pub(crate) enum Ended {
    /// With an exit code; the next run may start.
    Code(u8),
    /// By a signal (its number), after its cleanup.
    Interrupted(u8),
    /// Something the invocation started failed; no run can go on.
    TargetFailed,
    /// It did not end by its deadline and was abandoned (its topics removed).
    Hung,
}

/// A launched target, and the signal every run on it watches for.
pub(crate) struct Session {
    launched: Launched,
    signalled: watch::Receiver<Option<Signalled>>,
    listener: tokio::task::JoinHandle<()>,
}

/// How one run ended, with its result, its held output and what made it fail.
pub(crate) struct RunEnd {
    /// How it ended, for the invocation.
    pub ended: Ended,
    /// Its result, for the reports.
    pub result: ScenarioResult,
    /// Its output, when it was held rather than printed as it went.
    pub held: Vec<u8>,
    /// Everything that made it fail, when it finished.
    pub failures: Vec<Failure>,
}

impl Session {
    /// Launches the target (a signal meanwhile stops what had started) and listens for
    /// SIGINT, SIGTERM and SIGHUP from then on; `Err` is the exit code, after saying why.
    pub(crate) async fn open(target: &Target) -> Result<Session, u8> {
        let mut interrupts = match Interrupts::listen() {
            Ok(interrupts) => interrupts,
            Err(e) => {
                eprintln!("error: cannot listen for signals: {e}");
                return Err(exit::INFRASTRUCTURE);
            }
        };
        let launched = tokio::select! {
            launched = target.launch() => launched,
            (name, number) = interrupts.next() => {
                // Dropping the launch stopped whatever it had started.
                eprintln!("interrupted by {name} while starting the cluster; stopped what had started");
                return Err(exit::SIGNALLED + number);
            }
        };
        let launched = match launched {
            Ok(launched) => launched,
            Err(e) => {
                eprintln!("ERROR: {e}");
                return Err(exit::INFRASTRUCTURE);
            }
        };
        if let Some((what, took)) = launched.started() {
            println!("     started {what} in {:.1}s", took.as_secs_f64());
        }
        // Every run watches for the signal, and cleans up after itself when it comes.
        let (tell, signalled) = watch::channel(None);
        let listener = tokio::spawn(async move {
            let signal = interrupts.next().await;
            let _ = tell.send(Some(signal));
        });
        Ok(Session {
            launched,
            signalled,
            listener,
        })
    }

    /// Runs one plan; a signal or a failure of the target ends it early, after removing what
    /// the run created, and so does `deadline` passing (the run is then abandoned as hung).
    /// `live` prints its output as it goes instead of holding it.
    pub(crate) async fn run(
        &self,
        plan: &Plan,
        print_outcome: bool,
        live: bool,
        deadline: Option<Duration>,
    ) -> RunEnd {
        let mut out = Output {
            live,
            held: Vec::new(),
        };
        let mut signalled = self.signalled.clone();
        let mut failures = Vec::new();
        let (ended, result) = run_one_into(
            plan,
            &self.launched,
            print_outcome,
            &mut signalled,
            &mut out,
            &mut failures,
            deadline,
        )
        .await
        .unwrap_or_else(|e| {
            let why = format!("cannot write the output: {e}");
            (
                Ended::Code(exit::INFRASTRUCTURE),
                ScenarioResult::not_run(plan, &self.launched.name(), Verdict::Error(why)),
            )
        });
        RunEnd {
            ended,
            result,
            held: out.held,
            failures,
        }
    }

    /// Stops what the launch started; the exit code says whether that went well.
    pub(crate) async fn close(self) -> u8 {
        self.listener.abort();
        match self.launched.shutdown().await {
            Ok(()) => exit::PASS,
            Err(e) => {
                eprintln!("ERROR: {e}");
                exit::INFRASTRUCTURE
            }
        }
    }
}

/// Runs the plans until one ends the invocation (a signal, a failed target); the result of
/// each run that ended, with the plan's index, in the order they ended.
async fn run_reached(
    plans: &[Plan],
    settings: &Settings<'_>,
) -> (u8, Vec<(usize, ScenarioResult)>) {
    let mut results = Vec::new();
    let session = match Session::open(settings.target).await {
        Ok(session) => session,
        Err(code) => return (code, results),
    };
    let live = settings.jobs == 1;
    let mut worst = exit::PASS;
    {
        let mut order: Vec<(usize, &Plan)> = plans.iter().enumerate().collect();
        if !live {
            // Longest first, so that the last run to start is a short one.
            order.sort_by_key(|(_, plan)| std::cmp::Reverse(expected_length(plan)));
        }
        let session = &session;
        let runs = futures::stream::iter(order)
            .map(|(index, plan)| async move {
                (
                    index,
                    session.run(plan, settings.print_outcome, live, None).await,
                )
            })
            .buffer_unordered(settings.jobs);
        tokio::pin!(runs);
        while let Some((index, end)) = runs.next().await {
            print!("{}", String::from_utf8_lossy(&end.held));
            results.push((index, end.result));
            match end.ended {
                Ended::Code(code) => worst = more_severe(worst, code),
                Ended::Hung => worst = more_severe(worst, exit::INFRASTRUCTURE),
                // The runs under way end too, each after its cleanup; none starts any more.
                Ended::Interrupted(number) => worst = exit::SIGNALLED + number,
                Ended::TargetFailed => {
                    worst = exit::INFRASTRUCTURE;
                    break;
                }
            }
        }
    }
    worst = more_severe(worst, session.close().await);
    (worst, results)
}

/// A rough guess of how long a plan runs, to start the long ones first: its sleeps, how far
/// its `at` steps reach, a few seconds per barrier (a join) and a session timeout per kill
/// and freeze (the group notices only then).
fn expected_length(plan: &Plan) -> Duration {
    const JOIN: Duration = Duration::from_secs(3);
    const SESSION: Duration = Duration::from_secs(6);
    let mut waited = Duration::ZERO;
    let mut reached = Duration::ZERO;
    for step in &plan.steps {
        match &step.action {
            Action::Sleep(d) => waited += *d,
            Action::At(at) => reached = reached.max(*at),
            Action::Await(_) => waited += JOIN,
            Action::Kill(_) | Action::Freeze(_) => waited += SESSION,
            _ => {}
        }
    }
    waited.max(reached)
}

/// Where a run's terminal output goes: straight to stdout, or held until the run ends.
struct Output {
    live: bool,
    held: Vec<u8>,
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.live {
            std::io::stdout().write(buf)
        } else {
            self.held.extend_from_slice(buf);
            Ok(buf.len())
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.live {
            std::io::stdout().flush()
        } else {
            Ok(())
        }
    }
}

/// The signal once one came; waits for it otherwise.
async fn signal_of(signalled: &mut watch::Receiver<Option<Signalled>>) -> Signalled {
    match signalled.wait_for(Option::is_some).await {
        Ok(signal) => signal.unwrap_or(("a signal", 0)),
        // The sender lives as long as the invocation's runs.
        Err(_) => std::future::pending().await,
    }
}

async fn run_one_into(
    plan: &Plan,
    launched: &Launched,
    print_outcome: bool,
    signalled: &mut watch::Receiver<Option<Signalled>>,
    out: &mut Output,
    failures: &mut Vec<Failure>,
    deadline: Option<Duration>,
) -> std::io::Result<(Ended, ScenarioResult)> {
    let target = launched.name();
    let label = plan.label();
    let not_run = |verdict| ScenarioResult::not_run(plan, &target, verdict);
    let interrupted = |(name, number): Signalled| {
        let why = format!("interrupted by {name}");
        (Ended::Interrupted(number), not_run(Verdict::Error(why)))
    };
    if let Some(signal) = *signalled.borrow() {
        return Ok(interrupted(signal));
    }
    let vars = plan.missing_vars();
    if !vars.is_empty() {
        let reason = RunError::MissingVars {
            names: vars.into_iter().map(str::to_owned).collect(),
        }
        .to_string();
        writeln!(out, "SKIP {label}: {reason}")?;
        return Ok((
            Ended::Code(exit::NOT_RUNNABLE),
            not_run(Verdict::NotRunnable(reason)),
        ));
    }
    let missing = launched.never_offers(plan);
    if !missing.is_empty() {
        let needs: Vec<String> = missing.iter().map(ToString::to_string).collect();
        let reason = format!("needs {}", needs.join(", "));
        writeln!(out, "SKIP {label}: not runnable on {target}: {reason}")?;
        return Ok((
            Ended::Code(exit::NOT_RUNNABLE),
            not_run(Verdict::NotRunnable(reason)),
        ));
    }
    let cluster = tokio::select! {
        cluster = launched.connect(plan) => cluster,
        signal = signal_of(signalled) => {
            eprintln!("{label}: interrupted by {}", signal.0);
            return Ok(interrupted(signal));
        }
    };
    let cluster = match cluster {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("ERROR {label}: {e}");
            return Ok((
                Ended::Code(exit::INFRASTRUCTURE),
                not_run(Verdict::Error(e.to_string())),
            ));
        }
    };
    writeln!(
        out,
        "RUN  {label} ({}) on {}{}",
        plan.file.display(),
        cluster.describe(),
        plan.drawn_with
            .map(|seed| format!(", members drawn with --seed {seed}"))
            .unwrap_or_default()
    )?;
    let result = {
        // A held run has no progress to show: its lines come when it ends.
        let live = out.live;
        let mut printer = StepPrinter::new(&mut *out, plan);
        if live {
            printer = printer.with_progress();
        }
        tokio::select! {
            result = kafka_scenario::run(plan, cluster.as_ref(), &mut printer) => result,
            signal = signal_of(signalled) => {
                eprintln!("{label}: interrupted by {}: removing what this run created (its topics, brokers or containers)", signal.0);
                remove_topics(plan, cluster.as_ref()).await;
                return Ok(interrupted(signal));
            }
            e = launched.failure() => {
                eprintln!("ERROR {label}: {e}");
                return Ok((Ended::TargetFailed, not_run(Verdict::Error(e.to_string()))));
            }
            () = wait_out(deadline) => {
                let took = deadline.unwrap_or_default().as_secs();
                eprintln!("{label}: did not end within {took}s: abandoned as hung, removing what it created");
                remove_topics(plan, cluster.as_ref()).await;
                let why = format!("hung: the run did not end within {took}s");
                return Ok((Ended::Hung, not_run(Verdict::Error(why))));
            }
        }
    };
    Ok(match result {
        Ok(finished) => {
            write!(out, "{}", accounting(&finished.outcome))?;
            write!(out, "{}", verdict(plan, &finished.failures))?;
            if print_outcome {
                match serde_yaml::to_string(&finished.outcome) {
                    Ok(yaml) => writeln!(out, "{yaml}")?,
                    Err(e) => eprintln!("cannot render the outcome: {e}"),
                }
            }
            let code = if finished.passed() {
                exit::PASS
            } else {
                exit::FAILED
            };
            failures.clone_from(&finished.failures);
            (
                Ended::Code(code),
                ScenarioResult::finished(plan, &target, &finished),
            )
        }
        Err(e @ (RunError::NotRunnable { .. } | RunError::MissingVars { .. })) => {
            writeln!(out, "SKIP {label}: {e}")?;
            (
                Ended::Code(exit::NOT_RUNNABLE),
                not_run(Verdict::NotRunnable(e.to_string())),
            )
        }
        Err(e) => {
            eprintln!("ERROR {label}: {e}");
            (
                Ended::Code(exit::INFRASTRUCTURE),
                not_run(Verdict::Error(e.to_string())),
            )
        }
    })
}

/// Returns once `deadline` has passed; never without one.
async fn wait_out(deadline: Option<Duration>) {
    match deadline {
        Some(deadline) => tokio::time::sleep(deadline).await,
        None => std::future::pending().await,
    }
}

/// Removes an interrupted run's topics, giving up after a while (the cluster may be what hangs).
async fn remove_topics(plan: &Plan, cluster: &dyn Cluster) {
    let label = plan.label();
    match tokio::time::timeout(INTERRUPT_CLEANUP_TIMEOUT, cluster.cleanup()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("ERROR {label}: {e}"),
        Err(_) => eprintln!(
            "ERROR {label}: the cluster did not delete the run's topics within {INTERRUPT_CLEANUP_TIMEOUT:?}"
        ),
    }
}
