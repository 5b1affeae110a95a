//! `scenario-run`: runs scenario files on a cluster and reports PASS / FAIL.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kafka_scenario::cluster::Target;
use kafka_scenario::cluster::bootstrap::BootstrapSettings;
use kafka_scenario::cluster::kubernetes::dry_run_manifests;
use kafka_scenario::cluster::local::scram::{COURSE_USER, ScramUser};
use kafka_scenario::cluster::run_names::RunId;
use kafka_scenario::expect::compare::{Comparison, RunOutcome, compare};
use kafka_scenario::report::html::index_html;
use kafka_scenario::report::json::write_results_json;
use kafka_scenario::report::junit::junit;
use kafka_scenario::report::results::{ScenarioResult, Verdict};
use kafka_scenario::report::terminal;
use kafka_scenario::scenario::schema::scenario_schema;
use kafka_scenario::scenario::{FIXED_SEED, load_seeded};
use kafka_scenario::{LoadError, Plan, Scenario};

use cli::explore::{ExploreSettings, explore};
use cli::invocation::{Settings, run_all};
use cli::profiles::ProfileError;
use cli::target_choice::{TargetError, TargetOptions, choose_target};
use kafka_scenario::scenario::explore::ground::GroundError;
use kafka_scenario::scenario::explore::{draw, ground, write};

mod cli;

/// Exit codes, most severe first when several scenarios run.
pub(crate) mod exit {
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
  scenario-run scenarios/*.yaml --jobs 4            # four at a time, output grouped per scenario
  scenario-run scenarios/acks.yaml --outcome        # also print the normalised outcome
  scenario-run scenarios/*.yaml --report out/       # also write junit.xml, results.json, index.html
  scenario-run scenarios/rebalance.yaml --bootstrap 127.0.0.1:9092
  scenario-run scenarios/course-clients/*.yaml --cluster kafka-local --scram --var course=PATH
  scenario-run scenarios/*.yaml --cluster kafka-local --brokers 3   # real Kafka, local JVMs
  scenario-run scenarios/*.yaml --cluster kafka --image apache/kafka:3.8.0   # needs Docker
  scenario-run scenarios/rebalance.yaml --cluster ktdseducluster      # profile, ~/.kube/config-NAME or context
  scenario-run --dry-run scenarios/rebalance.yaml --cluster ktdseducluster   # print the KafkaTopics
  scenario-run check scenarios/*.yaml               # validate only, connect nowhere (pre-commit)
  scenario-run schema > scenario.schema.json        # the format's JSON Schema, for editors
  scenario-run explore scenarios/explore/group.yaml # drawn timelines, invariants, shrinking
  RUST_LOG=kafka_scenario=debug scenario-run -v scenarios/poll.yaml

Exit codes: 0 pass, 1 an expectation failed, 2 bad input or usage,
3 cluster or infrastructure failure, 4 not runnable on this target,
130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP (after removing what the run created).",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Args {
    /// `check`, `schema` or `explore` instead of a run.
    #[command(subcommand)]
    command: Option<Command>,
    /// Scenario files to run, in order.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    target: TargetArgs,
    /// Print the KafkaTopic manifests a run on a Kubernetes cluster would apply, and stop.
    #[arg(long)]
    dry_run: bool,
    /// Print each scenario's normalised outcome as YAML after its verdict.
    #[arg(long)]
    outcome: bool,
    /// Scenarios (and variants) that run at once, each on a cluster of its own (embedded,
    /// brokers of its own) or with names of its own (a shared target). Each one's output is
    /// printed whole when it ends, in the order of the files.
    #[arg(short, long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: u16,
    /// Write reports of the whole invocation into this directory (created if need be):
    /// `junit.xml` (one testcase per scenario), `results.json` (outcomes, measurements,
    /// failures and events) and `index.html` (a timeline per scenario).
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// The seed that draws the crowd members of steps with `which: drawn` (default: a seed drawn
    /// for this invocation; a run that draws prints its seed, and this draws the same members
    /// again).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

/// Where scenarios run, for a run and for `explore` alike.
#[derive(clap::Args)]
struct TargetArgs {
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
    /// A value for the `{var.NAME}` placeholders of process actors, e.g. `--var
    /// course=~/githubrepo/ktds-edu-kafka` (repeatable). A scenario that uses a variable not
    /// given is reported not runnable.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = property)]
    vars: Vec<(String, String)>,
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
    /// With --cluster kafka-local: a SASL_PLAINTEXT listener and a SCRAM-SHA-512 user,
    /// `edu-user` as on the course's cluster, with a password drawn for this invocation; every
    /// client of the run logs in as it (processes get `{sasl.username}` and `{sasl.password}`).
    #[arg(long, conflicts_with = "bootstrap")]
    scram: bool,
}

impl TargetArgs {
    /// The `--var` values; processes run in directories of their own, so a value naming an
    /// existing file or directory relative to here is handed to them as an absolute path.
    fn vars(&self) -> BTreeMap<String, String> {
        self.vars
            .iter()
            .map(|(name, value)| {
                let absolute = std::fs::canonicalize(value)
                    .ok()
                    .filter(|_| Path::new(value).is_relative())
                    .map_or_else(|| value.clone(), |p| p.display().to_string());
                (name.clone(), absolute)
            })
            .collect()
    }

    /// The options that choose the target, as a command line would give them again (for the
    /// header of a kept file); passwords are never among them.
    fn words(&self) -> String {
        let mut words = match &self.bootstrap {
            Some(bootstrap) => format!(" --bootstrap {bootstrap}"),
            None => format!(" --cluster {}", self.cluster),
        };
        if let Some(brokers) = self.brokers {
            words.push_str(&format!(" --brokers {brokers}"));
        }
        if let Some(image) = &self.image {
            words.push_str(&format!(" --image {image}"));
        }
        words
    }

    /// The target the options name, and its name for results of runs that never connected;
    /// `Err` is the exit code, after saying why.
    fn choose(&self) -> Result<(Target, String), u8> {
        let name = self
            .bootstrap
            .as_ref()
            .map_or_else(|| self.cluster.clone(), |b| format!("--bootstrap {b}"));
        if let Some(bootstrap) = &self.bootstrap {
            let target = Target::Bootstrap(BootstrapSettings {
                bootstrap: bootstrap.clone(),
                properties: self.property.iter().cloned().collect(),
                keep_names: self.keep_names,
            });
            return Ok((target, name));
        }
        let scram = if self.scram {
            match ScramUser::generated(COURSE_USER) {
                Ok(user) => Some(user),
                Err(e) => {
                    eprintln!("error: cannot draw a password for the SCRAM user: {e}");
                    return Err(exit::INFRASTRUCTURE);
                }
            }
        } else {
            None
        };
        let options = TargetOptions {
            image: self.image.clone(),
            brokers: self.brokers.map(usize::from),
            kafka_home: self.kafka_home.clone(),
            clusters: self.clusters.clone(),
            scram,
        };
        match choose_target(&self.cluster, &options) {
            Ok(target) => Ok((target, name)),
            Err(TargetError::Profile(ProfileError::Invalid(e))) => {
                eprintln!("{:?}", miette::Report::new(*e));
                Err(exit::BAD_INPUT)
            }
            Err(e) => {
                eprintln!("error: {e}");
                Err(exit::BAD_INPUT)
            }
        }
    }
}

/// `scenario-run explore`: draws, runs, judges and shrinks; or with `--print`, prints one
/// drawn timeline.
fn run_explore(args: &ExploreArgs) -> u8 {
    let text = match std::fs::read_to_string(&args.file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.file.display());
            return exit::BAD_INPUT;
        }
    };
    let ground = match ground(&args.file, &text) {
        Ok(ground) => ground,
        Err(GroundError::Load(LoadError::Invalid(e))) => {
            eprintln!("{:?}", miette::Report::new(*e));
            return exit::BAD_INPUT;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return exit::BAD_INPUT;
        }
    };
    let ground = match &args.variant {
        None => ground,
        Some(name) if ground.variants().contains(name) => ground.with_variant(name),
        Some(name) => {
            eprintln!(
                "error: {} has no variant `{name}` (it has: {})",
                args.file.display(),
                ground.variants().join(", ")
            );
            return exit::BAD_INPUT;
        }
    };
    let seed = args.seed.unwrap_or_else(|| rand::random::<u64>() >> 11);
    if args.print {
        let comment = format!(
            "Drawn by `scenario-run explore {} --seed {seed} --print`.",
            args.file.display()
        );
        return match write(&ground, &draw(&ground, seed), &[comment]) {
            Ok(written) => {
                print!("{}", written.text);
                exit::PASS
            }
            Err(e) => {
                eprintln!(
                    "error: explore drew a timeline the loader refuses (a bug of explore): {e:?}"
                );
                exit::INFRASTRUCTURE
            }
        };
    }
    let (target, _) = match args.target.choose() {
        Ok(chosen) => chosen,
        Err(code) => return code,
    };
    if let Err(code) = one_at_a_time_with_kept_names(&target, args.jobs) {
        return code;
    }
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    println!(
        "EXPLORE {} from --seed {seed}: {} runs at most, {} events each",
        args.file.display(),
        args.runs,
        ground.steps
    );
    let settings = ExploreSettings {
        runs: args.runs,
        seed,
        budget: args.time,
        out: args.out.clone(),
        shrink_runs: args.shrink_runs,
        reruns: args.reruns,
        jobs: usize::from(args.jobs),
        vars: args.target.vars(),
        target_words: args.target.words(),
    };
    let (mut code, results) = runtime.block_on(explore(&ground, &target, &settings));
    if let Some(dir) = &args.report {
        match write_reports(dir, &results, &[]) {
            Ok(()) => println!("     reports written to {}", dir.display()),
            Err(e) => {
                eprintln!("error: cannot write the reports to {}: {e}", dir.display());
                code = more_severe(code, exit::INFRASTRUCTURE);
            }
        }
    }
    code
}

/// The async runtime the runs share; `Err` is the exit code, after saying why.
fn runtime() -> Result<tokio::runtime::Runtime, u8> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            exit::INFRASTRUCTURE
        })
}

/// What `scenario-run` does instead of running scenarios.
#[derive(Subcommand)]
enum Command {
    /// Load and validate scenario files without connecting anywhere: exit 0, or 2 with the
    /// same file:line:column errors a run would print (for editors and pre-commit hooks).
    Check {
        /// Scenario files to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the scenario format, for editors (yaml-language-server reads
    /// it from a `# yaml-language-server: $schema=PATH` line at the top of a file).
    Schema,
    /// Run timelines drawn from a file's `explore:` section, one seed after another, until
    /// one breaks an invariant; shrink it to a plain scenario file that still breaks it.
    Explore(Box<ExploreArgs>),
}

/// `scenario-run explore`'s options.
#[derive(clap::Args)]
#[command(after_help = "Examples:
  scenario-run explore scenarios/explore/group.yaml --runs 20
  scenario-run explore scenarios/explore/acks-one.yaml --cluster kafka-local --out found/
  scenario-run explore scenarios/explore/group.yaml --seed 1234 --print   # the timeline, not run

Exit codes: 0 no invariant broken, 1 one broken (the shrunk file is kept), 2 bad input,
3 cluster or infrastructure failure, 128+n interrupted by a signal (the smallest file so far is
kept).")]
struct ExploreArgs {
    /// A scenario file with an `explore:` section.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    target: TargetArgs,
    /// Timelines to draw and run, at most.
    #[arg(long, default_value_t = 10, value_name = "N")]
    runs: u32,
    /// The first run's seed (run i draws with seed + i); default: drawn, and printed.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// How long the drawn runs may take, e.g. `30m` (shrinking comes after).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    time: Option<std::time::Duration>,
    /// Where the shrunk scenario file is kept.
    #[arg(long, default_value = "explored", value_name = "DIR")]
    out: PathBuf,
    /// Runs shrinking may take, at most.
    #[arg(long, default_value_t = 40, value_name = "N")]
    shrink_runs: u32,
    /// Times the smallest file is run again at the end, to say how often it breaks.
    #[arg(long, default_value_t = 5, value_name = "N")]
    reruns: u32,
    /// Drawn runs that run at once, each on a cluster of its own (embedded, brokers of its
    /// own) or with names of its own (a shared target); on a violation the runs under way end
    /// before shrinking, which goes one run at a time.
    #[arg(short, long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: u16,
    /// Print the timeline the seed draws, as a scenario file, and run nothing.
    #[arg(long)]
    print: bool,
    /// Explore only this variant of the file's variants.
    #[arg(long, value_name = "NAME")]
    variant: Option<String>,
    /// Write junit.xml, results.json and index.html of every run into this directory.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
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
    raise_open_files_limit();
    // Long lines stay whole, so errors can be searched for and copied.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().width(400).build())
    }));
    match &args.command {
        Some(Command::Check { files }) => return ExitCode::from(check(files)),
        Some(Command::Explore(explore)) => return ExitCode::from(run_explore(explore)),
        Some(Command::Schema) => {
            let mut out = std::io::stdout().lock();
            return match out.write_all(scenario_schema().as_bytes()) {
                Ok(()) => ExitCode::from(exit::PASS),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(exit::PASS),
                Err(e) => {
                    eprintln!("error: cannot write the schema: {e}");
                    ExitCode::from(exit::INFRASTRUCTURE)
                }
            };
        }
        None => {}
    }
    // Below 2^53, so that a seed read back from results.json as a double is the same.
    let seed = args.seed.unwrap_or_else(|| rand::random::<u64>() >> 11);
    let scenarios = match load_all(&args.files, seed) {
        Ok(scenarios) => scenarios,
        Err(code) => return ExitCode::from(code),
    };
    let vars = args.target.vars();
    let plans: Vec<Plan> = scenarios
        .iter()
        .flat_map(|s| s.plans.iter().cloned())
        .map(|plan| Plan {
            vars: vars.clone(),
            ..plan
        })
        .collect();
    let (target, target_name) = match args.target.choose() {
        Ok(chosen) => chosen,
        Err(code) => return ExitCode::from(code),
    };
    if args.dry_run {
        return ExitCode::from(dry_run(&plans, &target));
    }
    if let Err(code) = one_at_a_time_with_kept_names(&target, args.jobs) {
        return ExitCode::from(code);
    }
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return ExitCode::from(code),
    };
    let settings = Settings {
        target: &target,
        target_name: &target_name,
        print_outcome: args.outcome,
        jobs: usize::from(args.jobs),
    };
    let (mut code, results) = runtime.block_on(run_all(&plans, &settings));
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
        if scenario
            .plans
            .iter()
            .any(|p| p.variant.is_some() || p.sweep.is_some())
        {
            let runs: Vec<Option<RunOutcome>> = own
                .iter()
                .map(|r| {
                    Some(RunOutcome {
                        outcome: r.outcome.as_ref()?,
                        passed: r.verdict == Verdict::Passed,
                    })
                })
                .collect();
            comparisons.extend(compare(scenario, &runs));
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
    let html = index_html(results, comparisons);
    for (name, text) in [("junit.xml", junit), ("index.html", html)] {
        std::fs::write(dir.join(name), text).map_err(|e| format!("{name}: {e}"))?;
    }
    let json = dir.join("results.json");
    let file = std::fs::File::create(&json).map_err(|e| format!("results.json: {e}"))?;
    let mut out = std::io::BufWriter::new(file);
    write_results_json(&mut out, results, comparisons).map_err(|e| format!("results.json: {e}"))?;
    out.flush().map_err(|e| format!("results.json: {e}"))
}

/// Prints the KafkaTopics each scenario would apply, with run-unique names; touches nothing.
/// Refuses `--jobs` above 1 on a target that keeps the scenario's names: runs at once would
/// share topics and groups and spoil each other's results.
fn one_at_a_time_with_kept_names(target: &Target, jobs: u16) -> Result<(), u8> {
    if jobs > 1 && target.keeps_names() {
        eprintln!(
            "error: --jobs {jobs} with kept names (--keep-names or the profile's keep_names): runs at once would share their topics and groups; hint: drop --jobs, or let each run add its suffix"
        );
        return Err(exit::BAD_INPUT);
    }
    Ok(())
}

fn dry_run(plans: &[Plan], target: &Target) -> u8 {
    let Target::Kube(settings) = target else {
        eprintln!(
            "error: --dry-run prints KafkaTopic manifests: give a Kubernetes cluster with --cluster"
        );
        return exit::BAD_INPUT;
    };
    for plan in plans {
        let run = RunId::draw(settings.keep_names);
        for manifest in dry_run_manifests(
            &plan.topics,
            &settings.namespace,
            &settings.kafka,
            run.suffix(),
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

/// `scenario-run check`: every file loaded and validated, each named with what it holds.
fn check(files: &[PathBuf]) -> u8 {
    match load_all(files, FIXED_SEED) {
        Ok(scenarios) => {
            for (file, scenario) in files.iter().zip(&scenarios) {
                let mut sizes: Vec<u32> = scenario.plans.iter().filter_map(|p| p.sweep).collect();
                sizes.sort_unstable();
                sizes.dedup();
                let with_variant = scenario.plans.iter().filter(|p| p.variant.is_some());
                let variants = with_variant.count() / sizes.len().max(1);
                let mut runs = String::new();
                match variants {
                    0 => {}
                    1 => runs.push_str(", 1 variant"),
                    n => runs.push_str(&format!(", {n} variants")),
                }
                match sizes.as_slice() {
                    [] => {}
                    [one] => runs.push_str(&format!(", a crowd of {one}")),
                    [low, .., high] => runs.push_str(&format!(
                        ", {} sizes from {low} to {high} members",
                        sizes.len()
                    )),
                }
                let name = scenario.plans.first().map_or("", |p| p.name.as_str());
                println!("ok   {} ({name}{runs})", file.display());
            }
            exit::PASS
        }
        Err(code) => code,
    }
}

/// The most open files `scenario-run` asks for: room for 30,000 crowd members on one broker,
/// and no more, since its children (brokers, process actors) inherit the limit and some
/// programs size tables by it or loop up to it.
const MOST_OPEN_FILES: libc::rlim_t = 1 << 18;

/// Lets this process open as many files as the system allows it: a crowd's consumers hold some
/// 8 to 18 each, and many systems start a process with a soft limit of 1,024 under a hard one
/// hundreds of times higher. The soft limit is raised to the hard one, and where the process
/// may (with `CAP_SYS_RESOURCE`), both to the kernel's most (`fs.nr_open`) up to
/// [`MOST_OPEN_FILES`]: 3,000 members on one broker need some 24,000. Where it cannot be
/// raised, a consumer that would not fit is refused when it starts, naming the limit.
fn raise_open_files_limit() {
    let most = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|n| n.trim().parse::<libc::rlim_t>().ok())
        .map(|most| most.min(MOST_OPEN_FILES));
    let mut limit = std::mem::MaybeUninit::<libc::rlimit>::zeroed();
    // SAFETY: getrlimit writes a whole rlimit into the memory it is given, and setrlimit reads
    // one; both only concern this process.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, limit.as_mut_ptr()) != 0 {
            return;
        }
        let limit = limit.assume_init();
        if let Some(most) = most.filter(|most| *most > limit.rlim_max) {
            let raised = libc::rlimit {
                rlim_cur: most,
                rlim_max: most,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return;
            }
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                ..limit
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
                tracing::debug!("cannot raise the open files limit to {}", limit.rlim_max);
            }
        }
    }
}

/// Loads every file before anything runs, so one bad file stops the whole invocation early.
fn load_all(files: &[PathBuf], seed: u64) -> Result<Vec<Scenario>, u8> {
    let mut scenarios = Vec::new();
    let mut bad = false;
    for file in files {
        match load_seeded(file, seed) {
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

/// The code of the two that says the worse thing.
pub(crate) fn more_severe(a: u8, b: u8) -> u8 {
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
