//! What a crowd costs the harness: `scenario-run` on a generated scenario in which a crowd of N
//! consumers (on a topic of N partitions) starts at once, is awaited stable and stops, on the
//! embedded cluster and, when an Apache Kafka distribution is found, on `kafka-local` with one
//! broker. For each size it prints how fast the members were started (members per second, from
//! the start step's end as the terminal prints it), when the group was stable (from the start
//! of the timeline), `scenario-run`'s peak resident memory (its own `VmHWM`, read until it
//! ends: the brokers of kafka-local are processes of their own), and the memory per member
//! beyond a crowd of one, (peak(N) - peak(1)) / (N - 1), which leaves out what the process
//! needs whatever the crowd. Sizes below 2 are left out.
//! Each run is a process of its own, measured from a child of the bench, since peak resident
//! memory is per process. Run with `cargo bench --bench crowd` (sizes 10, 100 and 1,000), or
//! name sizes: `cargo bench --bench crowd -- 10 300`.

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kafka_scenario::cluster::local::distribution;

/// Which target and size a child process measures: `embedded:100`.
const RUN: &str = "KAFKA_SCENARIO_CROWD_RUN";

/// The sizes measured when none is named.
const SIZES: [u32; 3] = [10, 100, 1000];

fn main() -> ExitCode {
    match std::env::var(RUN) {
        Ok(run) => measure(&run),
        Err(_) => sweep(),
    }
}

/// Every size on every target found here, a child each, with a crowd of one first.
fn sweep() -> ExitCode {
    // A crowd of one is the baseline every size is measured against.
    let named: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .filter(|size| *size >= 2)
        .collect();
    let sizes = if named.is_empty() {
        SIZES.to_vec()
    } else {
        named
    };
    let mut targets = vec!["embedded"];
    match distribution::locate(None) {
        Ok(_) => targets.push("kafka-local"),
        Err(e) => println!("kafka-local not measured: {e}"),
    }
    for target in targets {
        let Some(alone) = child(target, 1) else {
            return ExitCode::FAILURE;
        };
        for size in &sizes {
            let Some(run) = child(target, *size) else {
                return ExitCode::FAILURE;
            };
            let per_member = (run.peak_kib - alone.peak_kib) as f64 / 1024.0 / f64::from(size - 1);
            println!(
                "{target:<12} {size:>5} members: started {:.0}/s ({:.2} s), stable at {:.2} s, \
                 peak {:.0} MB, {per_member:.2} MB a member beyond a crowd of one",
                f64::from(*size) / run.started_s.max(0.001),
                run.started_s,
                run.stable_s,
                run.peak_kib as f64 / 1024.0,
            );
        }
    }
    ExitCode::SUCCESS
}

/// What one child measured.
struct Measured {
    started_s: f64,
    stable_s: f64,
    peak_kib: i64,
}

/// Runs the bench again as a child measuring `size` members on `target`, and reads its line.
fn child(target: &str, size: u32) -> Option<Measured> {
    let output = std::env::current_exe().and_then(|exe| {
        Command::new(exe)
            .env(RUN, format!("{target}:{size}"))
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
        [started_s, stable_s, peak_kib] => Some(Measured {
            started_s: *started_s,
            stable_s: *stable_s,
            peak_kib: *peak_kib as i64,
        }),
        _ => {
            eprintln!("the child said `{line}`, not three numbers");
            None
        }
    }
}

/// In the child: runs `scenario-run` on a crowd of `size` and prints when its start step and
/// its await step ended, and its peak resident memory in KiB.
fn measure(run: &str) -> ExitCode {
    let Some((target, size)) = run
        .split_once(':')
        .and_then(|(t, s)| Some((t, s.parse::<u32>().ok()?)))
    else {
        eprintln!("{RUN}={run} is not target:size");
        return ExitCode::FAILURE;
    };
    let file = match scenario_file(size) {
        Ok(file) => file,
        Err(e) => {
            eprintln!("cannot write the scenario: {e}");
            return ExitCode::FAILURE;
        }
    };
    let output = run_watching_peak(
        Command::new(env!("CARGO_BIN_EXE_scenario-run"))
            .arg(&file)
            .args(["--cluster", target]),
    );
    let _ = std::fs::remove_file(&file);
    let (output, peak_kib) = match output {
        Ok((output, peak)) if output.status.success() => (output, peak),
        Ok((output, _)) => {
            eprintln!(
                "scenario-run failed ({}):\n{}{}",
                output.status,
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
    match (ended("line 7 "), ended("line 8 ")) {
        (Some(started), Some(stable)) => {
            println!("{started} {stable} {peak_kib}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("no start and await lines in:\n{stdout}");
            ExitCode::FAILURE
        }
    }
}

/// A scenario of one crowd of `size` on a topic of as many partitions, in the temporary
/// directory; its start step is on line 7, its await on line 8.
fn scenario_file(size: u32) -> std::io::Result<PathBuf> {
    let text = format!(
        "name: crowd-bench\n\
         topics: {{ crowd: {{ partitions: {size} }} }}\n\
         defaults: {{ consumer: {{ auto.offset.reset: earliest }} }}\n\
         actors:\n\
         \x20 workers: {{ consumer: {{ group: crowd-cg, topics: [crowd], members: {size} }} }}\n\
         timeline:\n\
         \x20 - start: workers\n\
         \x20 - await: {{ stable: crowd-cg, timeout: 10m }}\n\
         \x20 - stop: workers\n"
    );
    let file = std::env::temp_dir().join(format!(
        "kafka-scenario-crowd-bench-{}-{size}.yaml",
        std::process::id()
    ));
    std::fs::write(&file, text)?;
    Ok(file)
}

/// Runs `command` to its end, reading its own peak resident memory (`VmHWM`, KiB) every 100 ms
/// meanwhile: the last reading before it ends is its peak, its children left out.
fn run_watching_peak(command: &mut Command) -> std::io::Result<(std::process::Output, i64)> {
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let status = format!("/proc/{}/status", child.id());
    let done = Arc::new(AtomicBool::new(false));
    let watching = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                let read = std::fs::read_to_string(&status).unwrap_or_default();
                let hwm = read
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok());
                peak = peak.max(hwm.unwrap_or(0));
                std::thread::sleep(Duration::from_millis(100));
            }
            peak
        })
    };
    let output = child.wait_with_output();
    done.store(true, Ordering::Relaxed);
    let peak = watching.join().unwrap_or(0);
    Ok((output?, peak))
}
