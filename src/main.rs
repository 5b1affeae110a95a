//! `scenario-run`: runs scenario files on a cluster and reports PASS / FAIL.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use kafka_scenario::cluster::bootstrap::BootstrapSettings;
use kafka_scenario::cluster::kubernetes::dry_run_manifests;
use kafka_scenario::cluster::profiles::ProfileError;
use kafka_scenario::cluster::target::TargetError;
use kafka_scenario::cluster::{Cluster, Launched, Target, TargetOptions};
use kafka_scenario::expect::compare::{Comparison, compare};
use kafka_scenario::report::html::index_html;
use kafka_scenario::report::json::results_json;
use kafka_scenario::report::junit::junit;
use kafka_scenario::report::results::{ScenarioResult, Verdict};
use kafka_scenario::report::terminal::{self, StepPrinter, accounting, verdict};
use kafka_scenario::{LoadError, Outcome, Plan, RunError, Scenario, load};
use tokio::signal::unix::{Signal, SignalKind, signal};

/// Exit codes, most severe first when several scenarios run.
mod exit {
    pub const PASS: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const INFRASTRUCTURE: u8 = 3;
    pub const NOT_RUNNABLE: u8 = 4;
    /// Added to the signal number, as shells report a command ended by a signal.
    pub const SIGNALLED: u8 = 128;
}

#[derive(Parser)]
#[command(
    name = "scenario-run",
    version,
    about = "Run declarative Kafka client scenarios and check their outcome",
    after_help = "Examples:
  scenario-run scenarios/rebalance.yaml
  scenario-run scenarios/*.yaml --cluster embedded
  scenario-run scenarios/acks.yaml --outcome        # also print the normalised outcome
  scenario-run scenarios/*.yaml --report out/       # also write junit.xml, results.json, index.html
  scenario-run scenarios/rebalance.yaml --bootstrap 127.0.0.1:9092
  scenario-run scenarios/*.yaml --cluster kafka-local --brokers 3   # real Kafka, local JVMs
  scenario-run scenarios/*.yaml --cluster kafka --image apache/kafka:3.8.0   # needs Docker
  scenario-run scenarios/rebalance.yaml --cluster ktdseducluster      # profile, ~/.kube/config-NAME or context
  scenario-run --dry-run scenarios/rebalance.yaml --cluster ktdseducluster   # print the KafkaTopics
  RUST_LOG=kafka_scenario=debug scenario-run -v scenarios/poll.yaml

Exit codes: 0 pass, 1 an expectation failed, 2 bad input or usage,
3 cluster or infrastructure failure, 4 not runnable on this target,
130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP (after removing what the run created)."
)]
struct Args {
    /// Scenario files to run, in order.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Target cluster: `embedded` (librdkafka's in-process mock), `kafka-local` (Apache Kafka
    /// started as local JVMs), `kafka` or `redpanda` (in containers, needs Docker), or a profile
    /// name / kubeconfig for Strimzi on Kubernetes.
    #[arg(
        long,
        default_value = "embedded",
        value_name = "NAME",
        conflicts_with = "bootstrap"
    )]
    cluster: String,
    /// Cluster profile file, read when --cluster names something other than `embedded`.
    #[arg(long, default_value = "clusters.yaml", value_name = "FILE")]
    clusters: PathBuf,
    /// Run on any reachable cluster instead: `host:port[,host:port]`.
    #[arg(long, value_name = "HOST:PORT")]
    bootstrap: Option<String>,
    /// With --bootstrap: a librdkafka property for every client, e.g.
    /// `-X security.protocol=SASL_PLAINTEXT` (repeatable; put passwords in a profile's
    /// password_env instead).
    #[arg(short = 'X', value_name = "KEY=VALUE", requires = "bootstrap", value_parser = property)]
    property: Vec<(String, String)>,
    /// With --bootstrap: keep the scenario's topic and group names instead of adding a
    /// run-unique suffix.
    #[arg(long, requires = "bootstrap")]
    keep_names: bool,
    /// With --cluster kafka or redpanda: the image (`name:tag`), e.g. `apache/kafka:3.8.0`.
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,
    /// With --cluster kafka-local (default 1) or kafka: a KRaft cluster of this many brokers.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=9))]
    brokers: Option<u16>,
    /// With --cluster kafka-local: the Apache Kafka distribution directory (default
    /// $KAFKA_HOME, else what `tools/kafka/assemble` cached).
    #[arg(long, value_name = "DIR")]
    kafka_home: Option<PathBuf>,
    /// Print the KafkaTopic manifests a run on a Kubernetes cluster would apply, and stop.
    #[arg(long)]
    dry_run: bool,
    /// Print each scenario's normalised outcome as YAML after its verdict.
    #[arg(long)]
    outcome: bool,
    /// Write reports of the whole invocation into this directory (created if need be):
    /// `junit.xml` (one testcase per scenario), `results.json` (outcomes, measurements,
    /// failures and events) and `index.html` (a timeline per scenario).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::BAD_INPUT
            } else {
                exit::PASS
            });
        }
    };
    init_tracing(args.verbose);
    // Long lines stay whole, so errors can be searched for and copied.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().width(400).build())
    }));
    let scenarios = match load_all(&args.files) {
        Ok(scenarios) => scenarios,
        Err(code) => return ExitCode::from(code),
    };
    let plans: Vec<Plan> = scenarios
        .iter()
        .flat_map(|s| s.plans.iter().cloned())
        .collect();
    let target = match &args.bootstrap {
        Some(bootstrap) => Target::Bootstrap(BootstrapSettings {
            bootstrap: bootstrap.clone(),
            properties: args.property.clone(),
            keep_names: args.keep_names,
        }),
        None => {
            let options = TargetOptions {
                image: args.image.clone(),
                brokers: args.brokers.map(usize::from),
                kafka_home: args.kafka_home.clone(),
                clusters: args.clusters.clone(),
            };
            match Target::choose(&args.cluster, &options) {
                Ok(target) => target,
                Err(TargetError::Profile(ProfileError::Invalid(e))) => {
                    eprintln!("{:?}", miette::Report::new(*e));
                    return ExitCode::from(exit::BAD_INPUT);
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(exit::BAD_INPUT);
                }
            }
        }
    };
    if args.dry_run {
        return ExitCode::from(dry_run(&plans, &target));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::INFRASTRUCTURE);
        }
    };
    let target_name = args
        .bootstrap
        .as_ref()
        .map_or_else(|| args.cluster.clone(), |b| format!("--bootstrap {b}"));
    let (mut code, results) =
        runtime.block_on(run_all(&plans, &target, &target_name, args.outcome));
    let comparisons = compare_variants(&scenarios, &results);
    for comparison in &comparisons {
        print!("{}", terminal::comparison(comparison));
        if !comparison.held() {
            code = more_severe(code, exit::FAILED);
        }
    }
    if let Some(dir) = &args.report {
        match write_reports(dir, &results, &comparisons) {
            Ok(()) => println!("     reports written to {}", dir.display()),
            Err(e) => {
                eprintln!("error: cannot write the reports to {}: {e}", dir.display());
                code = more_severe(code, exit::INFRASTRUCTURE);
            }
        }
    }
    ExitCode::from(code)
}

/// The variants of each scenario that has them, compared; `results` holds one result per plan
/// in the order of the scenarios' plans.
fn compare_variants(scenarios: &[Scenario], results: &[ScenarioResult]) -> Vec<Comparison> {
    let mut rest = results;
    let mut comparisons = Vec::new();
    for scenario in scenarios {
        let (own, later) = rest.split_at(scenario.plans.len().min(rest.len()));
        rest = later;
        if scenario.plans.iter().any(|p| p.variant.is_some()) {
            let outcomes: Vec<Option<&Outcome>> = own.iter().map(|r| r.outcome.as_ref()).collect();
            comparisons.push(compare(scenario, &outcomes));
        }
    }
    comparisons
}

/// `junit.xml`, `results.json` and `index.html` of the whole invocation, into `dir`.
fn write_reports(
    dir: &Path,
    results: &[ScenarioResult],
    comparisons: &[Comparison],
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let junit = junit(results, comparisons).map_err(|e| format!("junit.xml: {e}"))?;
    let json = results_json(results, comparisons).map_err(|e| format!("results.json: {e}"))?;
    let html = index_html(results, comparisons);
    for (name, text) in [
        ("junit.xml", junit),
        ("results.json", json),
        ("index.html", html),
    ] {
        std::fs::write(dir.join(name), text).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

/// Prints the KafkaTopics each scenario would apply, with run-unique names; touches nothing.
fn dry_run(plans: &[Plan], target: &Target) -> u8 {
    let Target::Kube(settings) = target else {
        eprintln!(
            "error: --dry-run prints KafkaTopic manifests: give a Kubernetes cluster with --cluster"
        );
        return exit::BAD_INPUT;
    };
    for plan in plans {
        let suffix = (!settings.keep_names).then(kafka_scenario::cluster::bootstrap::run_suffix);
        for manifest in dry_run_manifests(
            &plan.topics,
            &settings.namespace,
            &settings.kafka,
            suffix.as_deref(),
        ) {
            match serde_yaml::to_string(&manifest) {
                Ok(yaml) => print!("---\n{yaml}"),
                Err(e) => {
                    eprintln!("error: cannot render a manifest: {e}");
                    return exit::INFRASTRUCTURE;
                }
            }
        }
    }
    exit::PASS
}

fn property(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))
}

fn init_tracing(verbose: u8) {
    // librdkafka logs every refused connection as an error: noise while a scenario kills
    // brokers on purpose, and the harness reports what failed itself. `-v` shows them.
    let default = match verbose {
        0 => "warn,librdkafka=off,rdkafka::client=off",
        1 => "kafka_scenario=info,warn",
        _ => "kafka_scenario=debug,info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Loads every file before anything runs, so one bad file stops the whole invocation early.
fn load_all(files: &[PathBuf]) -> Result<Vec<Scenario>, u8> {
    let mut scenarios = Vec::new();
    let mut bad = false;
    for file in files {
        match load(file) {
            Ok(scenario) => scenarios.push(scenario),
            Err(LoadError::Invalid(e)) => {
                bad = true;
                eprintln!("{:?}", miette::Report::new(*e));
            }
            Err(e) => {
                bad = true;
                eprintln!("error: {e}");
            }
        }
    }
    if bad {
        Err(exit::BAD_INPUT)
    } else {
        Ok(scenarios)
    }
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
    async fn next(&mut self) -> (&'static str, u8) {
        tokio::select! {
            _ = self.int.recv() => ("SIGINT", 2),
            _ = self.term.recv() => ("SIGTERM", 15),
            _ = self.hup.recv() => ("SIGHUP", 1),
        }
    }
}

/// How one scenario ended, for the invocation.
enum Ended {
    /// With an exit code; the next scenario may run.
    Code(u8),
    /// By a signal (its number), after its cleanup.
    Interrupted(u8),
    /// Something the invocation started failed; no scenario can run any more.
    TargetFailed,
}

/// How long removing a run's topics may take after a signal before the harness gives up on it.
const INTERRUPT_CLEANUP_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs every plan; returns the exit code and a result for every plan (one the invocation
/// never reached is an error saying why).
async fn run_all(
    plans: &[Plan],
    target: &Target,
    target_name: &str,
    print_outcome: bool,
) -> (u8, Vec<ScenarioResult>) {
    let (code, mut results) = run_reached(plans, target, print_outcome).await;
    for plan in &plans[results.len()..] {
        let why = "not run: the invocation ended before it (see its output)".to_owned();
        results.push(ScenarioResult::not_run(
            plan,
            target_name,
            Verdict::Error(why),
        ));
    }
    (code, results)
}

/// Runs the plans in order until one ends the invocation (a signal, a failed target).
async fn run_reached(
    plans: &[Plan],
    target: &Target,
    print_outcome: bool,
) -> (u8, Vec<ScenarioResult>) {
    let mut results = Vec::new();
    let mut interrupts = match Interrupts::listen() {
        Ok(interrupts) => interrupts,
        Err(e) => {
            eprintln!("error: cannot listen for signals: {e}");
            return (exit::INFRASTRUCTURE, results);
        }
    };
    let launched = tokio::select! {
        launched = target.launch() => launched,
        (name, number) = interrupts.next() => {
            // Dropping the launch stopped whatever it had started.
            eprintln!("interrupted by {name} while starting the cluster; stopped what had started");
            return (exit::SIGNALLED + number, results);
        }
    };
    let launched = match launched {
        Ok(launched) => launched,
        Err(e) => {
            eprintln!("ERROR: {e}");
            return (exit::INFRASTRUCTURE, results);
        }
    };
    if let Some((what, took)) = launched.started() {
        println!("     started {what} in {:.1}s", took.as_secs_f64());
    }
    let mut worst = exit::PASS;
    for plan in plans {
        let (ended, result) = run_one(plan, &launched, print_outcome, &mut interrupts).await;
        results.push(result);
        match ended {
            Ended::Code(code) => worst = more_severe(worst, code),
            Ended::Interrupted(number) => {
                worst = exit::SIGNALLED + number;
                break;
            }
            Ended::TargetFailed => {
                worst = exit::INFRASTRUCTURE;
                break;
            }
        }
    }
    if let Err(e) = launched.shutdown().await {
        eprintln!("ERROR: {e}");
        worst = more_severe(worst, exit::INFRASTRUCTURE);
    }
    (worst, results)
}

/// Runs one scenario; a signal or a failure of the target ends it early, after removing what
/// the scenario created.
async fn run_one(
    plan: &Plan,
    launched: &Launched,
    print_outcome: bool,
    interrupts: &mut Interrupts,
) -> (Ended, ScenarioResult) {
    let target = launched.name();
    let not_run = |verdict| ScenarioResult::not_run(plan, &target, verdict);
    let missing = launched.never_offers(plan);
    if !missing.is_empty() {
        let needs: Vec<String> = missing.iter().map(ToString::to_string).collect();
        let reason = format!("needs {}", needs.join(", "));
        println!("SKIP {}: not runnable on {target}: {reason}", plan.label());
        return (
            Ended::Code(exit::NOT_RUNNABLE),
            not_run(Verdict::NotRunnable(reason)),
        );
    }
    let cluster = tokio::select! {
        cluster = launched.connect(plan) => cluster,
        (name, number) = interrupts.next() => {
            eprintln!("interrupted by {name}");
            return (Ended::Interrupted(number), not_run(Verdict::Error(format!("interrupted by {name}"))));
        }
    };
    let cluster = match cluster {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("ERROR {}: {e}", plan.label());
            return (
                Ended::Code(exit::INFRASTRUCTURE),
                not_run(Verdict::Error(e.to_string())),
            );
        }
    };
    println!(
        "RUN  {} ({}) on {}",
        plan.label(),
        plan.file.display(),
        cluster.describe()
    );
    let mut printer = StepPrinter::new(std::io::stdout(), plan);
    let result = tokio::select! {
        result = kafka_scenario::run(plan, cluster.as_ref(), &mut printer) => result,
        (name, number) = interrupts.next() => {
            eprintln!("interrupted by {name}: removing what this run created (its topics, brokers or containers)");
            remove_topics(plan, cluster.as_ref()).await;
            return (Ended::Interrupted(number), not_run(Verdict::Error(format!("interrupted by {name}"))));
        }
        e = launched.failure() => {
            eprintln!("ERROR {}: {e}", plan.label());
            return (Ended::TargetFailed, not_run(Verdict::Error(e.to_string())));
        }
    };
    match result {
        Ok(finished) => {
            print!("{}", accounting(&finished.outcome));
            print!("{}", verdict(plan, &finished.failures));
            if print_outcome {
                match serde_yaml::to_string(&finished.outcome) {
                    Ok(yaml) => println!("{yaml}"),
                    Err(e) => eprintln!("cannot render the outcome: {e}"),
                }
            }
            let code = if finished.passed() {
                exit::PASS
            } else {
                exit::FAILED
            };
            (
                Ended::Code(code),
                ScenarioResult::finished(plan, &target, &finished),
            )
        }
        Err(e @ RunError::NotRunnable { .. }) => {
            println!("SKIP {}: {e}", plan.label());
            (
                Ended::Code(exit::NOT_RUNNABLE),
                not_run(Verdict::NotRunnable(e.to_string())),
            )
        }
        Err(e) => {
            eprintln!("ERROR {}: {e}", plan.label());
            (
                Ended::Code(exit::INFRASTRUCTURE),
                not_run(Verdict::Error(e.to_string())),
            )
        }
    }
}

/// Removes an interrupted run's topics, giving up after a while (the cluster may be what hangs).
async fn remove_topics(plan: &Plan, cluster: &dyn Cluster) {
    match tokio::time::timeout(INTERRUPT_CLEANUP_TIMEOUT, cluster.cleanup()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("ERROR {}: {e}", plan.name),
        Err(_) => eprintln!(
            "ERROR {}: the cluster did not delete the run's topics within {INTERRUPT_CLEANUP_TIMEOUT:?}",
            plan.name
        ),
    }
}

fn more_severe(a: u8, b: u8) -> u8 {
    let rank = |code: u8| match code {
        code if code > exit::SIGNALLED => 5,
        exit::INFRASTRUCTURE => 4,
        exit::FAILED => 3,
        exit::NOT_RUNNABLE => 2,
        exit::PASS => 0,
        _ => 1,
    };
    if rank(b) > rank(a) { b } else { a }
}
