//! `scenario-run explore` end to end: drawn timelines run on a real Kafka-protocol server,
//! judged, shrunk and kept as plain scenario files that `scenario-run` runs again.
//!
//! - on the embedded cluster: a heal too short is found, shrunk to one stop and its start, and
//!   the kept file fails on its own; with `--jobs 2` both runs under way are judged and no
//!   third starts after the violation; `--print` writes what the loader accepts (broker faults
//!   and cut links drawn too), the same for the same seed; a group under joins, leaves, crashes
//!   and freezes keeps its invariants (eager, KIP-848); an explore interrupted while shrinking keeps the smallest file so far; the
//!   timeline explore found hanging in librdkafka's synchronous commit now runs to its end;
//! - on kafka-local (three brokers of the run's own): acks=1 with `lost-acknowledged` loses
//!   acknowledged records, found and shrunk below ten steps; acks=all with min.insync.replicas
//!   2 and one broker down at a time keeps every invariant.
//!
//! CI runs few runs of each (a run on kafka-local takes about 70 s); docs/src/measured/explore.md
//! gives what longer explorations by hand found.
//!
//! Every wait on the child is bounded: a hung `scenario-run` fails the test.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Output, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use common::requirements::{Component, needing};
use libtest_mimic::{Arguments, Failed, Trial};

fn main() -> ExitCode {
    let arguments = Arguments::from_args();
    let trials = vec![
        Trial::test(
            "embedded::a_heal_too_short_is_found_shrunk_to_one_stop_and_kept",
            short_heal_found_and_shrunk,
        ),
        Trial::test(
            "embedded::jobs_2_judges_both_runs_under_way_and_starts_no_third",
            two_jobs_judge_both_and_stop,
        ),
        Trial::test(
            "embedded::print_writes_what_the_loader_accepts_the_same_for_the_same_seed",
            print_is_loadable_and_repeatable,
        ),
        Trial::test(
            "embedded::a_group_keeps_its_invariants_under_eager_and_kip_848",
            group_keeps_its_invariants,
        ),
        Trial::test(
            "embedded::sigint_while_shrinking_keeps_the_smallest_file_so_far",
            interrupted_while_shrinking,
        ),
        Trial::test(
            "embedded::the_found_cooperative_commit_wait_ends_at_the_commits_bound",
            found_commit_wait_ends,
        ),
        needing(
            Component::KafkaLocal,
            "kafka_local::acks_one_loss_is_found_and_shrunk_below_ten_steps".to_owned(),
            acks_one_loss_found,
        ),
        needing(
            Component::KafkaLocal,
            "kafka_local::acks_all_within_its_bound_keeps_every_invariant".to_owned(),
            acks_all_keeps_its_promise,
        ),
    ];
    let conclusion = libtest_mimic::run(&arguments, trials);
    conclusion.exit_code()
}

/// A fresh directory for one test's kept files.
fn out_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "kafka-scenario-explore-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn scenario_run(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scenario-run"));
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs to the end within `patience`, or fails saying what it printed.
fn finish(mut command: Command, patience: Duration) -> Result<Output, Failed> {
    let child = command
        .spawn()
        .map_err(|e| format!("scenario-run starts: {e}"))?;
    wait(child, patience)
}

fn wait(mut child: Child, patience: Duration) -> Result<Output, Failed> {
    let deadline = Instant::now() + patience;
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().map_err(|e| e.to_string())?;
            return Err(format!("scenario-run hung for {patience:?}:\n{}", said(&output)).into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().map_err(|e| e.to_string().into())
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The one file kept in `dir`.
fn kept(dir: &Path) -> Result<PathBuf, Failed> {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    match files.as_slice() {
        [one] if one.extension().is_some_and(|e| e == "yaml") => Ok(one.clone()),
        other => Err(format!("expected one kept .yaml file, found {other:?}").into()),
    }
}

/// The steps the smallest timeline has, from the summary line `... to N (M steps) ...`.
fn shrunk_steps(stdout: &str) -> Option<usize> {
    let line = stdout.lines().find(|l| l.contains("shrunk from"))?;
    let after = line.split(" to ").nth(1)?;
    let inside = after.split('(').nth(1)?;
    inside.split_whitespace().next()?.parse().ok()
}

fn short_heal_found_and_shrunk() -> Result<(), Failed> {
    let out = out_dir("short-heal");
    let output = finish(
        scenario_run(&[
            "explore",
            "tests/explore/short-heal.yaml",
            "--seed",
            "1",
            "--runs",
            "3",
            "--shrink-runs",
            "12",
            "--reruns",
            "2",
            "--out",
            &out.to_string_lossy(),
        ]),
        Duration::from_secs(240),
    )?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.code() != Some(1) || !stdout.contains("broke stable-after-heal") {
        return Err(format!(
            "expected exit 1 breaking stable-after-heal:\n{}",
            said(&output)
        )
        .into());
    }
    if shrunk_steps(&stdout) != Some(2) {
        return Err(format!("expected one stop and its start (2 steps):\n{stdout}").into());
    }
    let file = kept(&out)?;
    let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
    for wanted in [
        "# Found by `scenario-run explore",
        "--seed 1",
        "Re-run 2 times",
    ] {
        if !text.contains(wanted) {
            return Err(format!("the kept file lacks `{wanted}`:\n{text}").into());
        }
    }
    let plain = finish(
        scenario_run(&[&file.to_string_lossy()]),
        Duration::from_secs(60),
    )?;
    if plain.status.code() != Some(1) || !said(&plain).contains("await stable") {
        return Err(format!(
            "the kept file must fail on its own at the heal:\n{}",
            said(&plain)
        )
        .into());
    }
    let _ = std::fs::remove_dir_all(&out);
    Ok(())
}

fn two_jobs_judge_both_and_stop() -> Result<(), Failed> {
    let out = out_dir("two-jobs");
    let args = [
        "--seed",
        "1",
        "--runs",
        "4",
        "--jobs",
        "2",
        "--shrink-runs",
        "1",
        "--reruns",
        "0",
    ];
    let output = explore(
        "tests/explore/short-heal.yaml",
        &args,
        &out,
        Duration::from_secs(240),
    )?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let runs: Vec<&str> = stdout.lines().filter(|l| l.starts_with("run ")).collect();
    let _ = std::fs::remove_dir_all(&out);
    if output.status.code() != Some(1) || !stdout.contains("broke stable-after-heal") {
        return Err(format!(
            "expected exit 1 breaking stable-after-heal:\n{}",
            said(&output)
        )
        .into());
    }
    // Seeds 1 and 2 start together and both break; the first to break stops the third.
    if runs.len() != 2 || !runs.iter().all(|l| l.contains("BROKE")) {
        return Err(format!("expected the two runs under way judged, no third:\n{stdout}").into());
    }
    Ok(())
}

fn print_is_loadable_and_repeatable() -> Result<(), Failed> {
    // Each file with a step its draw must write: a broker fault, a cut link.
    for (file, drawn) in [
        ("scenarios/explore/acks-all.yaml", "-broker:"),
        ("scenarios/explore/zombies.yaml", "cut: true"),
    ] {
        print_is_loadable_and_repeatable_for(file, drawn)?;
    }
    Ok(())
}

fn print_is_loadable_and_repeatable_for(file: &str, drawn: &str) -> Result<(), Failed> {
    let print = |seed: &str| -> Result<String, Failed> {
        let output = finish(
            scenario_run(&["explore", file, "--seed", seed, "--print"]),
            Duration::from_secs(30),
        )?;
        if !output.status.success() {
            return Err(format!("--print failed:\n{}", said(&output)).into());
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let once = print("77")?;
    if once != print("77")? {
        return Err(format!("{file}: the same seed printed two different timelines").into());
    }
    if once == print("78")? {
        return Err(format!("{file}: seeds 77 and 78 printed the same timeline").into());
    }
    if !once.contains(drawn) {
        return Err(format!("{file}: seed 77 drew no `{drawn}`:\n{once}").into());
    }
    let dir = out_dir("print");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let printed = dir.join("printed.yaml");
    std::fs::write(&printed, &once).map_err(|e| e.to_string())?;
    let check = finish(
        scenario_run(&["check", &printed.to_string_lossy()]),
        Duration::from_secs(30),
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    if !check.status.success() {
        return Err(format!(
            "{file}: check refused what --print wrote:\n{}",
            said(&check)
        )
        .into());
    }
    Ok(())
}

/// `scenario-run explore FILE ARGS... --out OUT`, run to its end within `patience`.
fn explore(file: &str, args: &[&str], out: &Path, patience: Duration) -> Result<Output, Failed> {
    let out = out.to_string_lossy();
    let mut all = vec!["explore", file];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", &out]);
    finish(scenario_run(&all), patience)
}

/// Fails unless an explore broke no invariant, showing the file it kept if it did.
fn broke_nothing(what: &str, output: &Output, out: &Path) -> Result<(), Failed> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    if output.status.success() && stdout.contains("broke no invariant") {
        let _ = std::fs::remove_dir_all(out);
        return Ok(());
    }
    let found = kept(out)
        .ok()
        .and_then(|f| std::fs::read_to_string(f).ok())
        .unwrap_or_default();
    Err(format!(
        "{what}: expected every run to keep the invariants:\n{}\n{found}",
        said(output)
    )
    .into())
}

/// No shrinking and no reruns: what a test that expects no violation asks of explore.
const NO_SHRINKING: [&str; 4] = ["--shrink-runs", "0", "--reruns", "0"];

fn group_keeps_its_invariants() -> Result<(), Failed> {
    for variant in ["eager", "consumer-protocol"] {
        let out = out_dir(variant);
        let mut args = vec!["--variant", variant, "--seed", "20261206", "--runs", "1"];
        args.extend_from_slice(&NO_SHRINKING);
        let output = explore(
            "scenarios/explore/group.yaml",
            &args,
            &out,
            Duration::from_secs(900),
        )?;
        broke_nothing(variant, &output, &out)?;
    }
    Ok(())
}

fn interrupted_while_shrinking() -> Result<(), Failed> {
    let out = out_dir("interrupted");
    let mut child = scenario_run(&[
        "explore",
        "tests/explore/short-heal.yaml",
        "--seed",
        "1",
        "--runs",
        "3",
        "--shrink-runs",
        "40",
        "--out",
        &out.to_string_lossy(),
    ])
    .spawn()
    .map_err(|e| e.to_string())?;
    // Wait for the first kept file, then for a shrinking run to be under way.
    let deadline = Instant::now() + Duration::from_secs(120);
    while kept(&out).is_err() {
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err("no file was kept within 120 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(2));
    // SAFETY: kill(2) on our own child, which has not been reaped.
    let sent = unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    if sent != 0 {
        return Err("cannot signal scenario-run".into());
    }
    let output = wait(child, Duration::from_secs(60))?;
    if output.status.code() != Some(130) {
        return Err(format!("expected exit 130 after SIGINT:\n{}", said(&output)).into());
    }
    let file = kept(&out)?;
    let check = finish(
        scenario_run(&["check", &file.to_string_lossy()]),
        Duration::from_secs(30),
    )?;
    let leftovers: Vec<PathBuf> = std::fs::read_dir(&out)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect();
    let _ = std::fs::remove_dir_all(&out);
    if !check.status.success() {
        return Err(format!(
            "the file kept at the signal does not load:\n{}",
            said(&check)
        )
        .into());
    }
    if !leftovers.is_empty() {
        return Err(format!("half-written files left: {leftovers:?}").into());
    }
    Ok(())
}

/// `scenarios/found/cooperative-commit-hang.yaml` hung for good in 3 of 3 runs while the
/// harness committed with librdkafka's synchronous commit, which has no timeout; with the
/// harness's 60 s bound every step must complete, within the bound and the timeline's own
/// time. An invariant it breaks is a finding, not a hang: since per-poll commits are logged,
/// the zombie's late commit at times takes the group's offset back (`committed-went-back`).
fn found_commit_wait_ends() -> Result<(), Failed> {
    let output = finish(
        scenario_run(&["scenarios/found/cooperative-commit-hang.yaml"]),
        Duration::from_secs(300),
    )?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!(
        "the commit got no answer within its bound: {}; invariants broken: {:?}",
        stderr.contains("no answer within"),
        stdout
            .lines()
            .filter(|l| l.contains("— invariant "))
            .collect::<Vec<_>>()
    );
    let every_step_completed = !stdout.contains("step did not complete");
    let ended_judged = matches!(output.status.code(), Some(0 | 1));
    if !ended_judged || !every_step_completed {
        return Err(format!(
            "the found timeline did not run to its end:\n{}",
            said(&output)
        )
        .into());
    }
    Ok(())
}

/// Held by each kafka-local trial: each starts three brokers per run, and two at once would
/// share two cores among eight JVMs.
static ONE_CLUSTER_AT_A_TIME: Mutex<()> = Mutex::new(());

fn acks_one_loss_found() -> Result<(), Failed> {
    let _alone = ONE_CLUSTER_AT_A_TIME
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let out = out_dir("acks-one");
    let args = [
        "--cluster",
        "kafka-local",
        "--seed",
        "100",
        "--runs",
        "5",
        "--shrink-runs",
        "5",
        "--reruns",
        "1",
    ];
    let output = explore(
        "scenarios/explore/acks-one.yaml",
        &args,
        &out,
        Duration::from_secs(2_400),
    )?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("{stdout}");
    if output.status.code() != Some(1) || !stdout.contains("broke lost-acknowledged") {
        return Err(format!(
            "expected a loss of acknowledged records:\n{}",
            said(&output)
        )
        .into());
    }
    match shrunk_steps(&stdout) {
        Some(steps) if steps < 10 => {}
        other => return Err(format!("shrunk to {other:?} steps, wanted fewer than 10").into()),
    }
    let file = kept(&out)?;
    let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&out);
    if !text.contains("- lost-acknowledged") {
        return Err(format!("the kept file does not expect the invariant:\n{text}").into());
    }
    Ok(())
}

fn acks_all_keeps_its_promise() -> Result<(), Failed> {
    let _alone = ONE_CLUSTER_AT_A_TIME
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let out = out_dir("acks-all");
    let mut args = vec![
        "--cluster",
        "kafka-local",
        "--seed",
        "20261206",
        "--runs",
        "1",
    ];
    args.extend_from_slice(&NO_SHRINKING);
    let output = explore(
        "scenarios/explore/acks-all.yaml",
        &args,
        &out,
        Duration::from_secs(1_200),
    )?;
    println!("{}", String::from_utf8_lossy(&output.stdout));
    broke_nothing("acks-all", &output, &out)
}
