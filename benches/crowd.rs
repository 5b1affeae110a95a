//! What a crowd costs the harness: `scenario-run` on a generated scenario in which a producer
//! writes 100 records a second, a crowd of N consumers (on a topic of N partitions) starts at
//! once, is awaited stable, reads for five seconds and stops. For each size it prints how fast
//! the members were started (members per second, from the start step's end as the terminal
//! prints it), when the group was stable (from the start of the timeline), and
//! `scenario-run`'s own peaks (read until it ends; the brokers of kafka-local are processes of
//! their own): resident memory (`VmHWM`), threads and open files, each also per member beyond
//! a crowd of one, (peak(N) - peak(1)) / (N - 1), which leaves out what the process needs
//! whatever the crowd. Sizes below 2 are left out.
//!
//! Each run is a process of its own, measured from a child of the bench, since the peaks are
//! per process. `cargo bench --bench crowd` measures 10, 100 and 1,000 members on embedded
//! and, when an Apache Kafka distribution is found, on kafka-local with one broker. Arguments
//! choose: `cargo bench --bench crowd -- --target kafka-local --brokers 3 --partitions 100 -X
//! queued.max.messages.kbytes=1024 100 1000` (`--partitions`: the topic's, as many as members
//! when not given; `-X` sets a librdkafka property of the crowd, repeatable, to measure what a
//! setting saves).

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kafka_scenario::cluster::local::distribution;

/// What a child process measures: `kafka-local:3:100:50` (target, brokers, members,
/// partitions; 0 partitions: as many as members).
const RUN: &str = "KAFKA_SCENARIO_CROWD_RUN";
/// The crowd's extra properties, for a child: `key=value` lines.
const PROPERTIES: &str = "KAFKA_SCENARIO_CROWD_PROPERTIES";

/// The sizes measured when none is named.
const SIZES: [u32; 3] = [10, 100, 1000];

fn main() -> ExitCode {
    match std::env::var(RUN) {
        Ok(run) => measure(&run),
        Err(_) => match Choice::from_args() {
            Ok(choice) => sweep(&choice),
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
    }
}

/// What the arguments ask for.
struct Choice {
    targets: Vec<String>,
    brokers: u32,
    /// The topic's partitions; 0: as many as members.
    partitions: u32,
    properties: Vec<String>,
    sizes: Vec<u32>,
}

impl Choice {
    fn from_args() -> Result<Choice, String> {
        let mut choice = Choice {
            targets: Vec::new(),
            brokers: 1,
            partitions: 0,
            properties: Vec::new(),
            sizes: Vec::new(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
            match arg.as_str() {
                "--target" => choice.targets.push(value("--target")?),
                "--brokers" => {
                    choice.brokers = value("--brokers")?
                        .parse()
                        .map_err(|e| format!("--brokers: {e}"))?;
                }
                "--partitions" => {
                    choice.partitions = value("--partitions")?
                        .parse()
                        .map_err(|e| format!("--partitions: {e}"))?;
                }
                "-X" => {
                    let property = value("-X")?;
                    if !property.contains('=') {
                        return Err(format!("-X {property}: not key=value"));
                    }
                    choice.properties.push(property);
                }
                // cargo bench passes `--bench` to every bench.
                "--bench" => {}
                size => match size.parse::<u32>() {
                    Ok(size) if size >= 2 => choice.sizes.push(size),
                    Ok(_) => {}
                    Err(_) => return Err(format!("`{size}` is neither an option nor a size")),
                },
            }
        }
        if choice.sizes.is_empty() {
            choice.sizes = SIZES.to_vec();
        }
        if choice.targets.is_empty() {
            choice.targets.push("embedded".into());
            match distribution::locate(None) {
                Ok(_) => choice.targets.push("kafka-local".into()),
                Err(e) => println!("kafka-local not measured: {e}"),
            }
        }
        Ok(choice)
    }
}

/// Every size on every target chosen, a child each, with a crowd of one first.
fn sweep(choice: &Choice) -> ExitCode {
    if !choice.properties.is_empty() {
        println!("crowd properties: {}", choice.properties.join(" "));
    }
    for target in &choice.targets {
        let brokers = if target == "kafka-local" {
            choice.brokers
        } else {
            1
        };
        // A crowd of one is the baseline every size is measured against.
        let Some(alone) = child(target, brokers, 1, choice) else {
            return ExitCode::FAILURE;
        };
        for size in &choice.sizes {
            let Some(run) = child(target, brokers, *size, choice) else {
                return ExitCode::FAILURE;
            };
            let each = |of: fn(&Measured) -> f64| (of(&run) - of(&alone)) / f64::from(size - 1);
            let partitions = match choice.partitions {
                0 => *size,
                given => given,
            };
            // The embedded cluster has brokers of its own (three mock brokers).
            let on = if target == "kafka-local" {
                format!("{target} {brokers} broker(s)")
            } else {
                target.clone()
            };
            println!(
                "{on:<23} {size:>5} members {partitions:>5} partitions: started {:.0}/s ({:.2} s), \
                 stable at {:.2} s; peak {:.0} MB, {} threads, {} open files; a member beyond a \
                 crowd of one: {:.2} MB, {:.2} threads, {:.2} open files",
                f64::from(*size) / run.started_s.max(0.001),
                run.started_s,
                run.stable_s,
                run.peak_kib / 1024.0,
                run.threads,
                run.files,
                each(|m| m.peak_kib) / 1024.0,
                each(|m| m.threads),
                each(|m| m.files),
            );
        }
    }
    ExitCode::SUCCESS
}

/// What one child measured.
struct Measured {
    started_s: f64,
    stable_s: f64,
    peak_kib: f64,
    threads: f64,
    files: f64,
}

/// Runs the bench again as a child measuring `size` members, and reads its line.
fn child(target: &str, brokers: u32, size: u32, choice: &Choice) -> Option<Measured> {
    let output = std::env::current_exe().and_then(|exe| {
        Command::new(exe)
            .env(
                RUN,
                format!("{target}:{brokers}:{size}:{}", choice.partitions),
            )
            .env(PROPERTIES, choice.properties.join("\n"))
            .output()
    });
    let output = match output {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            eprintln!(
                "{size} members on {target} failed ({}):\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            return None;
        }
        Err(e) => {
            eprintln!("cannot run the bench as a child: {e}");
            return None;
        }
    };
    let line = String::from_utf8_lossy(&output.stdout);
    let numbers: Vec<f64> = line
        .split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect();
    match numbers.as_slice() {
        [started_s, stable_s, peak_kib, threads, files] => Some(Measured {
            started_s: *started_s,
            stable_s: *stable_s,
            peak_kib: *peak_kib,
            threads: *threads,
            files: *files,
        }),
        _ => {
            eprintln!("the child said `{line}`, not five numbers");
            None
        }
    }
}

/// In the child: runs `scenario-run` on a crowd of `size` and prints when its start step and
/// its await step ended, and its peak resident memory (KiB), threads and open files.
fn measure(run: &str) -> ExitCode {
    let parsed: Vec<&str> = run.split(':').collect();
    let numbers: Vec<u32> = parsed
        .iter()
        .skip(1)
        .filter_map(|n| n.parse().ok())
        .collect();
    let (target, brokers, size, partitions) = match (parsed.first(), numbers.as_slice()) {
        (Some(target), [brokers, size, 0]) => (*target, *brokers, *size, *size),
        (Some(target), [brokers, size, partitions]) => (*target, *brokers, *size, *partitions),
        _ => {
            eprintln!("{RUN}={run} is not target:brokers:members:partitions");
            return ExitCode::FAILURE;
        }
    };
    let properties = std::env::var(PROPERTIES).unwrap_or_default();
    let file = match scenario_file(size, partitions, brokers, &properties) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("cannot write the scenario: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_scenario-run"));
    command.arg(&file).args(["--cluster", target]);
    if target == "kafka-local" {
        command.args(["--brokers", &brokers.to_string()]);
    }
    let output = run_watching_peaks(&mut command);
    let _ = std::fs::remove_file(&file);
    let (output, peaks) = match output {
        Ok((output, peaks)) if output.status.success() => (output, peaks),
        Ok((output, peaks)) => {
            eprintln!(
                "scenario-run failed ({}), its peaks {} MB resident, {} threads, {} open files:\n{}{}",
                output.status,
                peaks.resident_kib / 1024,
                peaks.threads,
                peaks.files,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("cannot run scenario-run: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let ended = |step: &str| -> Option<f64> {
        let line = stdout.lines().find(|l| l.contains(step))?;
        let at = line.strip_prefix('[')?.split_once("s]")?.0;
        at.trim().parse().ok()
    };
    match (ended(START_LINE), ended(AWAIT_LINE)) {
        (Some(started), Some(stable)) => {
            println!(
                "{started} {stable} {} {} {}",
                peaks.resident_kib, peaks.threads, peaks.files
            );
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("no start and await lines in:\n{stdout}");
            ExitCode::FAILURE
        }
    }
}

/// How the terminal names the crowd's start step: by its line in [`scenario_file`].
const START_LINE: &str = "line 10 ";
/// How the terminal names the crowd's await, the step after the start.
const AWAIT_LINE: &str = "line 11 ";

/// A scenario of one crowd of `size` on a topic of `partitions`, replicated on every broker up
/// to three, with `properties` (`key=value` lines) for the crowd, in the temporary directory;
/// its start step is on [`START_LINE`], its await on [`AWAIT_LINE`].
fn scenario_file(
    size: u32,
    partitions: u32,
    brokers: u32,
    properties: &str,
) -> std::io::Result<PathBuf> {
    let extra: Vec<String> = properties
        .lines()
        .filter_map(|p| p.split_once('='))
        .map(|(key, value)| format!(", {key}: \"{value}\""))
        .collect();
    let text = format!(
        "name: crowd-bench\n\
         topics: {{ crowd: {{ partitions: {partitions}, replicas: {replicas} }} }}\n\
         defaults: {{ consumer: {{ auto.offset.reset: earliest }} }}\n\
         actors:\n\
         \x20 workers: {{ consumer: {{ group: crowd-cg, topics: [crowd], members: {size}{extra} }} }}\n\
         \x20 feeder: {{ producer: {{ topic: crowd, rate: 100/s }} }}\n\
         # the crowd starts on line 10, is awaited on line 11\n\
         timeline:\n\
         \x20 - start: feeder\n\
         \x20 - start: workers\n\
         \x20 - await: {{ stable: crowd-cg, timeout: 10m }}\n\
         \x20 - sleep: 5s\n\
         \x20 - stop: workers\n\
         \x20 - stop: feeder\n",
        replicas = brokers.min(3),
        extra = extra.concat(),
    );
    let file = std::env::temp_dir().join(format!(
        "kafka-scenario-crowd-bench-{}-{size}.yaml",
        std::process::id()
    ));
    std::fs::write(&file, text)?;
    Ok(file)
}

/// A process's own peaks, its children left out.
#[derive(Default)]
struct Peaks {
    resident_kib: u64,
    threads: u64,
    files: u64,
}

/// Runs `command` to its end, reading its peak resident memory (`VmHWM`, KiB), its threads and
/// its open files every 100 ms meanwhile.
fn run_watching_peaks(command: &mut Command) -> std::io::Result<(std::process::Output, Peaks)> {
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let proc = PathBuf::from(format!("/proc/{}", child.id()));
    let done = Arc::new(AtomicBool::new(false));
    let watching = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut peaks = Peaks::default();
            while !done.load(Ordering::Relaxed) {
                let status = std::fs::read_to_string(proc.join("status")).unwrap_or_default();
                let field = |name: &str| {
                    status
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                        .unwrap_or(0)
                };
                peaks.resident_kib = peaks.resident_kib.max(field("VmHWM:"));
                peaks.threads = peaks.threads.max(field("Threads:"));
                let files = std::fs::read_dir(proc.join("fd")).map_or(0, Iterator::count);
                peaks.files = peaks.files.max(files as u64);
                std::thread::sleep(Duration::from_millis(100));
            }
            peaks
        })
    };
    let output = child.wait_with_output();
    done.store(true, Ordering::Relaxed);
    let peaks = watching.join().unwrap_or_default();
    Ok((output?, peaks))
}
