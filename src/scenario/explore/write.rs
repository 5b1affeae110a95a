//! Episodes -> a plain scenario file: the file's own timeline, then the episodes' steps with
//! the gaps between them, then the heal (every broker back and in sync, background producers
//! stopped, the groups stable, then drained), and the invariants as the final `expect:`. The
//! text goes through the loader before it is handed out, so what explore runs, prints or keeps
//! is exactly what `scenario-run FILE` accepts.

use std::path::Path;

use serde_yaml::{Mapping, Value};

use super::episode::Episode;
use super::ground::Ground;
use crate::scenario::load::{LoadError, load_str};
use crate::scenario::plan::Scenario;

/// A timeline written out.
#[derive(Debug, Clone)]
pub struct Written {
    /// The scenario file's text.
    pub text: String,
    /// Its plans, as the loader made them.
    pub scenario: Scenario,
    /// Steps the episodes became (their starts, undoings and the waits for brokers back in
    /// sync, not the sleeps between them).
    pub steps: usize,
    /// Where the episodes' steps start in the timeline (the file's own come before).
    pub explored_from: usize,
    /// Where the heal starts in the timeline.
    pub heal_from: usize,
}

/// Which part of a written timeline a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The file's own timeline.
    Own,
    /// A drawn episode's start or undoing, or a gap between them.
    Explored,
    /// The heal.
    Heal,
}

impl Written {
    /// The part of the timeline that step `index` (0-based, as the plan numbers them) is in.
    pub fn part(&self, index: usize) -> Part {
        if index >= self.heal_from {
            Part::Heal
        } else if index >= self.explored_from {
            Part::Explored
        } else {
            Part::Own
        }
    }
}

/// Writes `episodes` as a scenario file headed by `comments` (one `#` line each), and loads it
/// back; a refusal is a bug of the draw or the shrinker, and says what the loader found.
pub fn write(
    ground: &Ground,
    episodes: &[Episode],
    comments: &[String],
) -> Result<Written, LoadError> {
    let mut document = ground.document.clone();
    let mut timeline = match document.get("timeline") {
        Some(Value::Sequence(steps)) => steps.clone(),
        _ => Vec::new(),
    };
    let generated = episode_steps(ground, episodes);
    let steps = generated.iter().filter(|s| !is_sleep(s)).count();
    let explored_from = timeline.len();
    timeline.extend(generated);
    let mut heal_from = timeline.len();
    let mut healing = heal(ground);
    // The wait after the last broker fault's undoing is the heal's first barrier: once.
    if healing
        .first()
        .is_some_and(|first| timeline.last() == Some(first))
    {
        healing.remove(0);
        heal_from -= 1;
    }
    timeline.extend(healing);
    document.insert("timeline".into(), Value::Sequence(timeline));
    if ground.invariants.is_empty() {
        document.remove("expect");
    } else {
        let mut expect = Mapping::new();
        expect.insert(
            "invariants".into(),
            Value::Sequence(
                ground
                    .invariants
                    .iter()
                    .map(|i| Value::from(i.name()))
                    .collect(),
            ),
        );
        document.insert("expect".into(), Value::Mapping(expect));
    }
    let body = serde_yaml::to_string(&Value::Mapping(document))
        .unwrap_or_else(|e| format!("# cannot write the document: {e}\n"));
    let mut text = String::new();
    for comment in comments {
        for line in comment.lines() {
            text.push_str(&format!("# {line}\n"));
        }
    }
    text.push_str(&body);
    let scenario = load_str(Path::new(&ground.file), text.clone())?;
    Ok(Written {
        text,
        scenario,
        steps,
        explored_from,
        heal_from,
    })
}

/// The episodes' starts and undoings in time order (an undoing before a start at the same
/// moment), with a sleep wherever time passes between two of them. A broker fault's undoing
/// with no other broker down is followed by a wait for every broker back and in sync: a
/// restarted broker that has not caught up is as good as down, and the next fault would take
/// more than `brokers-down` from the partitions.
fn episode_steps(ground: &Ground, episodes: &[Episode]) -> Vec<Value> {
    let mut moments: Vec<(u64, u8, usize, Value)> = Vec::new();
    for (index, episode) in episodes.iter().enumerate() {
        moments.push((episode.at_ms, 2, index, episode.op.step()));
        if let (Some(end), Some(undo)) = (episode.ends_ms(), episode.op.undo_step()) {
            moments.push((end, 0, index, undo));
            let others_down = episodes.iter().enumerate().any(|(i, e)| {
                i != index && e.at_ms < end && e.holds_at(end) && e.op.broker().is_some()
            });
            if episode.op.broker().is_some() && !others_down {
                moments.push((end, 1, index, in_sync(ground)));
            }
        }
    }
    moments.sort_by_key(|(at, order, index, _)| (*at, *order, *index));
    let mut steps = Vec::new();
    let mut now = 0;
    for (at, _, _, step) in moments {
        if at > now {
            steps.push(sleep(at - now));
            now = at;
        }
        steps.push(step);
    }
    steps
}

/// `await` every broker registered and every partition's replicas in sync, within the heal.
fn in_sync(ground: &Ground) -> Value {
    let mut isr = Mapping::new();
    for partition in &ground.partitions {
        isr.insert(partition.as_str().into(), "full".into());
    }
    let mut wanted = Mapping::new();
    wanted.insert("brokers".into(), "all".into());
    wanted.insert("isr".into(), Value::Mapping(isr));
    wanted.insert("timeout".into(), duration_text(ground.heal_ms).into());
    one("await", Value::Mapping(wanted))
}

/// Every fault undone already; now every broker back and in sync, the background producers
/// stopped, the groups stable and then drained, each barrier within the heal timeout.
fn heal(ground: &Ground) -> Vec<Value> {
    let timeout = Value::from(duration_text(ground.heal_ms));
    let mut steps = Vec::new();
    if !ground.brokers.is_empty() {
        steps.push(in_sync(ground));
    }
    for producer in &ground.producers_running {
        steps.push(one("stop", producer.as_str().into()));
    }
    if ground.any_consumer_running {
        for condition in ["stable", "drained"] {
            if condition == "drained" && !ground.any_producer {
                continue;
            }
            let mut wanted = Mapping::new();
            wanted.insert(condition.into(), "all".into());
            wanted.insert("timeout".into(), timeout.clone());
            steps.push(one("await", Value::Mapping(wanted)));
        }
    }
    steps
}

/// A `sleep` step of `ms` milliseconds.
fn sleep(ms: u64) -> Value {
    one("sleep", duration_text(ms).into())
}

fn is_sleep(step: &Value) -> bool {
    step.as_mapping().is_some_and(|m| m.contains_key("sleep"))
}

/// `2s` or `1500ms`, as the format reads durations.
pub fn duration_text(ms: u64) -> String {
    if ms.is_multiple_of(1_000) {
        format!("{}s", ms / 1_000)
    } else {
        format!("{ms}ms")
    }
}

fn one(name: &str, argument: Value) -> Value {
    let mut step = Mapping::new();
    step.insert(name.into(), argument);
    Value::Mapping(step)
}

#[cfg(test)]
mod tests;
