//! `scenario-run`: runs scenario files on a cluster and reports PASS / FAIL.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use kafka_scenario::cluster::{Cluster, EmbeddedCluster};
use kafka_scenario::report::terminal::{StepPrinter, verdict};
use kafka_scenario::{LoadError, Plan, RunError, load};

/// Exit codes, most severe first when several scenarios run.
mod exit {
    pub const PASS: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const INFRASTRUCTURE: u8 = 3;
    pub const NOT_RUNNABLE: u8 = 4;
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
  RUST_LOG=kafka_scenario=debug scenario-run -v scenarios/poll.yaml

Exit codes: 0 pass, 1 an expectation failed, 2 bad input or usage,
3 cluster or infrastructure failure, 4 not runnable on this target."
)]
struct Args {
    /// Scenario files to run, in order.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Target cluster. Only `embedded` (librdkafka's in-process mock) exists so far.
    #[arg(long, default_value = "embedded", value_name = "NAME")]
    cluster: String,
    /// Print each scenario's normalised outcome as YAML after its verdict.
    #[arg(long)]
    outcome: bool,
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
    let plans = match load_all(&args.files) {
        Ok(plans) => plans,
        Err(code) => return ExitCode::from(code),
    };
    if args.cluster != "embedded" {
        eprintln!(
            "error: unknown cluster `{}`; the only target so far is `embedded`",
            args.cluster
        );
        return ExitCode::from(exit::BAD_INPUT);
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
    let code = runtime.block_on(async {
        tokio::select! {
            code = run_all(&plans, args.outcome) => code,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("interrupted: stopping the run");
                exit::INFRASTRUCTURE
            }
        }
    });
    ExitCode::from(code)
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
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
fn load_all(files: &[PathBuf]) -> Result<Vec<Plan>, u8> {
    let mut plans = Vec::new();
    let mut bad = false;
    for file in files {
        match load(file) {
            Ok(plan) => plans.push(plan),
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
    if bad { Err(exit::BAD_INPUT) } else { Ok(plans) }
}

async fn run_all(plans: &[Plan], print_outcome: bool) -> u8 {
    let mut worst = exit::PASS;
    for plan in plans {
        let code = run_one(plan, print_outcome).await;
        worst = more_severe(worst, code);
    }
    worst
}

async fn run_one(plan: &Plan, print_outcome: bool) -> u8 {
    let cluster = match EmbeddedCluster::start() {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("ERROR {}: {e}", plan.name);
            return exit::INFRASTRUCTURE;
        }
    };
    println!(
        "RUN  {} ({}) on {}",
        plan.name,
        plan.file.display(),
        cluster.describe()
    );
    let mut printer = StepPrinter::new(std::io::stdout());
    match kafka_scenario::run(plan, &cluster, &mut printer).await {
        Ok(finished) => {
            print!("{}", verdict(&plan.name, &finished.failures));
            if print_outcome {
                match serde_yaml::to_string(&finished.outcome) {
                    Ok(yaml) => println!("{yaml}"),
                    Err(e) => eprintln!("cannot render the outcome: {e}"),
                }
            }
            if finished.passed() {
                exit::PASS
            } else {
                exit::FAILED
            }
        }
        Err(e @ RunError::NotRunnable { .. }) => {
            println!("SKIP {}: {e}", plan.name);
            exit::NOT_RUNNABLE
        }
        Err(e) => {
            eprintln!("ERROR {}: {e}", plan.name);
            exit::INFRASTRUCTURE
        }
    }
}

fn more_severe(a: u8, b: u8) -> u8 {
    let rank = |code: u8| match code {
        exit::INFRASTRUCTURE => 4,
        exit::FAILED => 3,
        exit::NOT_RUNNABLE => 2,
        exit::PASS => 0,
        _ => 1,
    };
    if rank(b) > rank(a) { b } else { a }
}
