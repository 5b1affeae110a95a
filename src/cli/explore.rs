//! `scenario-run explore FILE` (binary only): runs timelines drawn from the file's `explore:`
//! section, one seed after another, until one breaks an invariant or the runs or time are
//! spent; then shrinks that timeline, keeping each smaller one that breaks the same invariant
//! as a plain scenario file at once (so an interruption loses nothing), and re-runs the
//! smallest to say how often it reproduces.
//!
//! - [`judge`](mod@judge): what a run broke, from its failures;
//! - [`keep`](mod@keep): kept files written whole or not at all.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use kafka_scenario::Plan;
use kafka_scenario::cluster::Target;
use kafka_scenario::report::results::ScenarioResult;
use kafka_scenario::scenario::LoadError;
use kafka_scenario::scenario::explore::{Episode, Ground, Op, Shrinker, Written, draw, write};

use super::invocation::{Ended, RunEnd, Session};

mod judge;
mod keep;

use crate::{exit, more_severe};
use judge::{Judged, judge, judged_text};
use keep::keep;

/// What an explore invocation was asked to do, besides the file and the target.
pub struct ExploreSettings {
    /// Timelines to draw, at most.
    pub runs: u32,
    /// The first run's seed; run `i` draws with `seed + i`.
    pub seed: u64,
    /// Time the drawn runs may take, at most (shrinking comes after).
    pub budget: Option<Duration>,
    /// Where the shrunk scenario file is written.
    pub out: PathBuf,
    /// Runs shrinking may take, at most.
    pub shrink_runs: u32,
    /// Times the smallest file is run again at the end.
    pub reruns: u32,
    /// Drawn runs at once.
    pub jobs: usize,
    /// `--var` values for process actors.
    pub vars: BTreeMap<String, String>,
    /// The command line that reaches the target, for the kept file's header.
    pub target_words: String,
}

/// A drawn timeline and one plan of it (one per variant), ready to run.
struct Drawn {
    run: u32,
    seed: u64,
    episodes: Rc<Vec<Episode>>,
    written: Rc<Written>,
    plan: Plan,
}

/// A timeline that broke an invariant, and where.
struct Found {
    ground: Ground,
    seed: u64,
    variant: Option<String>,
    episodes: Vec<Episode>,
    name: String,
    witness: String,
}

/// Explores `ground` on `target`: the exit code and a result per run (drawn, shrinking, rerun).
pub async fn explore(
    ground: &Ground,
    target: &Target,
    settings: &ExploreSettings,
) -> (u8, Vec<ScenarioResult>) {
    let mut results = Vec::new();
    let session = match Session::open(target).await {
        Ok(session) => session,
        Err(code) => return (code, results),
    };
    let started = Instant::now();
    let mut code = exit::PASS;
    let mut found: Option<Found> = None;
    let mut ran = 0;
    let mut ended = false;
    // Set once no more runs may start: a violation, a signal, a failed target, the budget.
    let enough = Cell::new(false);
    let budget_spent = Cell::new(false);
    let refused = Cell::new(None);
    let drawn = (0..settings.runs).flat_map(|run| {
        if enough.get() {
            return Vec::new();
        }
        if settings.budget.is_some_and(|b| started.elapsed() >= b) {
            budget_spent.set(true);
            enough.set(true);
            return Vec::new();
        }
        let seed = settings.seed.wrapping_add(u64::from(run));
        let episodes = Rc::new(draw(ground, seed));
        let written = match write_checked(ground, &episodes, &[]) {
            Ok(written) => Rc::new(written),
            Err(c) => {
                refused.set(Some(c));
                enough.set(true);
                return Vec::new();
            }
        };
        plans(&written, &settings.vars)
            .into_iter()
            .map(|plan| Drawn {
                run,
                seed,
                episodes: Rc::clone(&episodes),
                written: Rc::clone(&written),
                plan,
            })
            .collect()
    });
    {
        let shared = &session;
        // Pulled as a run may start: a plan drawn before `enough` was set starts no more.
        let runs = futures::stream::iter(drawn.take_while(|_| !enough.get()))
            .map(|drawn| async move {
                let deadline = deadline(ground, &drawn.episodes);
                let end = shared.run(&drawn.plan, false, false, Some(deadline)).await;
                (drawn, end)
            })
            .buffer_unordered(settings.jobs);
        tokio::pin!(runs);
        // Runs under way when no more may start are carried to their end, each judged.
        while let Some((drawn, end)) = runs.next().await {
            let Drawn {
                run,
                seed,
                episodes,
                written,
                plan,
            } = drawn;
            ran += 1;
            let judged = judge(&written, &plan, &end);
            println!(
                "run {}/{} seed={seed}{} steps={} {} {:.0}s",
                run + 1,
                settings.runs,
                variant_of(&plan).map_or_else(String::new, |v| format!(" variant={v}")),
                written.steps,
                judged_text(&judged),
                end.result.seconds,
            );
            results.push(with_seed(end.result.clone(), seed));
            if let Some(stop) = stopping(&end) {
                code = more_severe(code, stop);
                ended = true;
                enough.set(true);
                continue;
            }
            match judged {
                Judged::Broke { name, witness } => {
                    code = more_severe(code, exit::FAILED);
                    enough.set(true);
                    if found.is_none() {
                        print!("{}", String::from_utf8_lossy(&end.held));
                        let variant = variant_of(&plan);
                        let ground = match &variant {
                            Some(v) => ground.with_variant(v),
                            None => ground.clone(),
                        };
                        found = Some(Found {
                            ground,
                            seed,
                            variant,
                            episodes: episodes.to_vec(),
                            name,
                            witness,
                        });
                    }
                }
                Judged::Unjudged(why) => {
                    eprintln!("     run {} seed={seed} said nothing: {why}", run + 1);
                    code = more_severe(code, exit::INFRASTRUCTURE);
                }
                Judged::Held => {}
            }
        }
    }
    if let Some(c) = refused.get() {
        code = more_severe(code, c);
    }
    if budget_spent.get() {
        println!("     the time budget is spent after {ran} runs");
    }
    // A signal or a failed target ends the invocation: nothing is shrunk, but a violation
    // found by a run that ended first (`--jobs`) is kept as it was drawn.
    if ended {
        if let Some(found) = &found {
            code = more_severe(code, keep_unshrunk(found, settings));
        }
        code = more_severe(code, session.close().await);
        return (code, results);
    }
    let explored = started.elapsed();
    match found {
        None => {
            if code == exit::PASS {
                println!(
                    "     {ran} runs in {:.0}s broke no invariant",
                    explored.as_secs_f64()
                );
            }
        }
        Some(found) => {
            println!(
                "     broke {} after {ran} runs in {:.0}s: {}",
                found.name,
                explored.as_secs_f64(),
                found.witness
            );
            let (shrunk_code, shrunk_results) = shrink(&session, found, settings).await;
            code = more_severe(code, shrunk_code);
            results.extend(shrunk_results);
        }
    }
    code = more_severe(code, session.close().await);
    (code, results)
}

/// Shrinks what was found, keeping each improvement on disk, then re-runs the smallest.
async fn shrink(
    session: &Session,
    found: Found,
    settings: &ExploreSettings,
) -> (u8, Vec<ScenarioResult>) {
    let mut results = Vec::new();
    let mut code = exit::FAILED;
    let file = kept_path(&found, settings);
    let first = match write_checked(&found.ground, &found.episodes, &[]) {
        Ok(written) => written,
        Err(c) => return (c, results),
    };
    let header = |best: &[Episode], steps: usize, runs: u32, reproduced: Option<(u32, u32)>| {
        let mut lines = vec![
            found_by(&found, settings),
            format!("Witness: {}", found.witness),
            format!(
                "Shrunk from {} episodes ({} steps) to {} ({} steps) in {runs} runs.",
                found.episodes.len(),
                first.steps,
                best.len(),
                steps
            ),
        ];
        if let Some((times, of)) = reproduced {
            lines.push(format!(
                "Re-run {of} times, it broke `{}` {times} times.",
                found.name
            ));
        }
        lines
    };
    let headed = write_checked(
        &found.ground,
        &found.episodes,
        &header(&found.episodes, first.steps, 0, None),
    )
    .map_or_else(|_| first.text.clone(), |w| w.text);
    if let Err(e) = keep(&file, &headed) {
        eprintln!("error: cannot write {}: {e}", file.display());
        return (exit::INFRASTRUCTURE, results);
    }
    println!("     kept {} ({} steps)", file.display(), first.steps);
    let mut shrinker = Shrinker::new(&found.ground, found.episodes.clone());
    let mut best_steps = first.steps;
    let mut spent = 0;
    while spent < settings.shrink_runs {
        let Some(candidate) = shrinker.candidate() else {
            break;
        };
        let written = match write_checked(&found.ground, &candidate, &[]) {
            Ok(written) => written,
            Err(_) => {
                shrinker.tell(false);
                continue;
            }
        };
        let mut broke_again = false;
        // A run that passes is tried once more: runs are not deterministic.
        for attempt in 0..2 {
            if spent >= settings.shrink_runs {
                break;
            }
            spent += 1;
            let Some(plan) = plans(&written, &settings.vars).into_iter().next() else {
                break;
            };
            let end = session
                .run(
                    &plan,
                    false,
                    false,
                    Some(deadline(&found.ground, &candidate)),
                )
                .await;
            let judged = judge(&written, &plan, &end);
            println!(
                "shrink {spent}/{} episodes={} steps={}{} {}",
                settings.shrink_runs,
                candidate.len(),
                written.steps,
                if attempt > 0 { " (again)" } else { "" },
                judged_text(&judged)
            );
            results.push(with_seed(end.result.clone(), found.seed));
            if let Some(stop) = stopping(&end) {
                println!("     the smallest so far is kept in {}", file.display());
                return (more_severe(code, stop), results);
            }
            match judged {
                Judged::Broke { name, .. } if name == found.name => {
                    broke_again = true;
                    break;
                }
                // Another invariant, or nothing: not this failure.
                Judged::Broke { .. } | Judged::Unjudged(_) => break,
                Judged::Held => {}
            }
        }
        shrinker.tell(broke_again);
        if broke_again {
            best_steps = written.steps;
            let text = match write_checked(
                &found.ground,
                shrinker.best(),
                &header(shrinker.best(), best_steps, spent, None),
            ) {
                Ok(w) => w.text,
                Err(_) => written.text,
            };
            if let Err(e) = keep(&file, &text) {
                eprintln!("error: cannot write {}: {e}", file.display());
                code = more_severe(code, exit::INFRASTRUCTURE);
            }
        }
    }
    let best = shrinker.best().to_vec();
    let Ok(smallest) = write_checked(&found.ground, &best, &[]) else {
        return (more_severe(code, exit::INFRASTRUCTURE), results);
    };
    let mut reproduced = 0;
    for rerun in 0..settings.reruns {
        let Some(plan) = plans(&smallest, &settings.vars).into_iter().next() else {
            break;
        };
        let end = session
            .run(&plan, false, false, Some(deadline(&found.ground, &best)))
            .await;
        let judged = judge(&smallest, &plan, &end);
        println!(
            "rerun {}/{} {}",
            rerun + 1,
            settings.reruns,
            judged_text(&judged)
        );
        results.push(with_seed(end.result.clone(), found.seed));
        if let Some(stop) = stopping(&end) {
            return (more_severe(code, stop), results);
        }
        if matches!(&judged, Judged::Broke { name, .. } if *name == found.name) {
            reproduced += 1;
        }
    }
    let lines = header(
        &best,
        best_steps,
        spent,
        Some((reproduced, settings.reruns)),
    );
    match write_checked(&found.ground, &best, &lines) {
        Ok(w) => {
            if let Err(e) = keep(&file, &w.text) {
                eprintln!("error: cannot write {}: {e}", file.display());
                code = more_severe(code, exit::INFRASTRUCTURE);
            }
        }
        Err(c) => code = more_severe(code, c),
    }
    println!(
        "     shrunk from {} episodes ({} steps) to {} ({} steps) in {spent} runs; reproduced {reproduced}/{}; kept {}",
        found.episodes.len(),
        first.steps,
        best.len(),
        best_steps,
        settings.reruns,
        file.display()
    );
    (code, results)
}

/// Where the file of what was found is kept: `OUT/NAME[-VARIANT]-INVARIANT-sSEED.yaml`.
fn kept_path(found: &Found, settings: &ExploreSettings) -> PathBuf {
    settings.out.join(format!(
        "{}{}-{}-s{}.yaml",
        found.ground.name,
        found
            .variant
            .as_ref()
            .map_or_else(String::new, |v| format!("-{v}")),
        found.name.replace([':', ' '], ""),
        found.seed
    ))
}

/// The kept file's first header line: the command that found it.
fn found_by(found: &Found, settings: &ExploreSettings) -> String {
    format!(
        "Found by `scenario-run explore {} --seed {}{}{}`: it broke `{}`.",
        found.ground.file.display(),
        found.seed,
        found
            .variant
            .as_ref()
            .map_or_else(String::new, |v| format!(" --variant {v}")),
        settings.target_words,
        found.name
    )
}

/// Keeps what was found, unshrunk, when the invocation ends before shrinking could start.
fn keep_unshrunk(found: &Found, settings: &ExploreSettings) -> u8 {
    let file = kept_path(found, settings);
    let header = [
        found_by(found, settings),
        format!("Witness: {}", found.witness),
        "Not shrunk: the invocation was interrupted first.".to_owned(),
    ];
    match write_checked(&found.ground, &found.episodes, &header) {
        Ok(written) => match keep(&file, &written.text) {
            Ok(()) => {
                println!(
                    "     broke {}; kept {} unshrunk ({} steps)",
                    found.name,
                    file.display(),
                    written.steps
                );
                exit::FAILED
            }
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", file.display());
                exit::INFRASTRUCTURE
            }
        },
        Err(c) => c,
    }
}

/// How long a run may take before it is abandoned as hung: its episodes; a heal timeout for
/// each burst and each broker fault (a burst waits for its acknowledgements, an undoing for
/// the brokers back in sync) and for each of the heal's three barriers; and five minutes for
/// the file's own timeline, the brokers of its own and the read-back.
fn deadline(ground: &Ground, episodes: &[Episode]) -> Duration {
    let last = episodes
        .iter()
        .map(|e| e.ends_ms().unwrap_or(e.at_ms))
        .max()
        .unwrap_or(0);
    let waits = episodes
        .iter()
        .filter(|e| e.op.broker().is_some() || matches!(e.op, Op::Produce { .. }))
        .count() as u64
        + 3;
    Duration::from_millis(last + waits * ground.heal_ms) + Duration::from_secs(300)
}

/// Writes a timeline; a refusal is a bug of explore, said as one.
fn write_checked(
    ground: &Ground,
    episodes: &[Episode],
    comments: &[String],
) -> Result<Written, u8> {
    write(ground, episodes, comments).map_err(|e| {
        match e {
            LoadError::Invalid(e) => eprintln!(
                "error: explore wrote a timeline the loader refuses (a bug of explore):\n{:?}",
                miette::Report::new(*e)
            ),
            e => eprintln!("error: explore wrote a timeline the loader refuses: {e}"),
        }
        exit::INFRASTRUCTURE
    })
}

/// The plans of a written file, with the invocation's `--var` values.
fn plans(written: &Written, vars: &BTreeMap<String, String>) -> Vec<Plan> {
    written
        .scenario
        .plans
        .iter()
        .cloned()
        .map(|plan| Plan {
            vars: vars.clone(),
            ..plan
        })
        .collect()
}

fn variant_of(plan: &Plan) -> Option<String> {
    plan.variant.as_ref().map(|v| v.name.clone())
}

fn with_seed(mut result: ScenarioResult, seed: u64) -> ScenarioResult {
    result.seed = Some(seed);
    result
}

/// The exit code that ends the invocation after this run, if one does.
fn stopping(end: &RunEnd) -> Option<u8> {
    match end.ended {
        Ended::Interrupted(number) => Some(exit::SIGNALLED + number),
        Ended::TargetFailed => Some(exit::INFRASTRUCTURE),
        Ended::Code(_) | Ended::Hung => None,
    }
}
