//! Episodes drawn from a seed. The draw never looks at a run (it is open-loop), so the same
//! file and seed give the same timeline on every machine; it keeps the little state it needs
//! to draw only what is valid where it starts: a consumer is taken out by one fault at a time,
//! a commit needs its consumer running, and no more brokers are down at once than allowed.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::episode::{Broker, Episode, Op};
use super::ground::{Allowed, Ground, Kind};

/// Draws one timeline: `ground.steps` episodes, each a gap after the one before (or, when
/// nothing may happen then, as soon as a fault is undone).
pub fn draw(ground: &Ground, seed: u64) -> Vec<Episode> {
    let mut draws = Draws(ChaCha8Rng::seed_from_u64(seed));
    let mut episodes: Vec<Episode> = Vec::new();
    let mut now = 0;
    for _ in 0..ground.steps {
        now += draws.between(ground.gap_ms, 100);
        let choices = loop {
            let choices: Vec<(&Allowed, Vec<Op>)> = ground
                .allowed
                .iter()
                .filter(|a| a.weight > 0)
                .map(|a| (a, enabled(ground, a, &episodes, now)))
                .filter(|(_, ops)| !ops.is_empty())
                .collect();
            // Nothing can happen now (every broker that may go down is down, every consumer
            // out): wait for the next fault to be undone.
            let next_undo = episodes
                .iter()
                .filter(|e| e.holds_at(now))
                .filter_map(Episode::ends_ms)
                .min();
            match next_undo {
                Some(end) if choices.is_empty() => now = end,
                _ => break choices,
            }
        };
        let total: u64 = choices.iter().map(|(a, _)| u64::from(a.weight)).sum();
        if total == 0 {
            continue;
        }
        let mut pick = draws.below(total);
        let Some((_, ops)) = choices.into_iter().find(|(a, _)| {
            let weight = u64::from(a.weight);
            if pick < weight {
                true
            } else {
                pick -= weight;
                false
            }
        }) else {
            continue;
        };
        let mut op = ops[usize::try_from(draws.below(ops.len() as u64)).unwrap_or(0)].clone();
        if let Op::Produce { count, .. } = &mut op {
            *count = draws.between(ground.burst, 1);
        }
        let lasts_ms = op.lasts().then(|| draws.between(ground.lasting_ms, 100));
        episodes.push(Episode {
            at_ms: now,
            op,
            lasts_ms,
        });
    }
    episodes
}

/// Whether every episode is valid where it starts, given those before it, and starts no
/// earlier than the one before: what a shrunk timeline must still be.
pub fn valid(ground: &Ground, episodes: &[Episode]) -> bool {
    episodes.iter().enumerate().all(|(index, episode)| {
        let before = &episodes[..index];
        let in_order = before.last().is_none_or(|last| last.at_ms <= episode.at_ms);
        let kind = episode.op.kind();
        in_order
            && episode.op.lasts() == episode.lasts_ms.is_some()
            && ground.allowed.iter().filter(|a| a.kind == kind).any(|a| {
                enabled(ground, a, before, episode.at_ms)
                    .iter()
                    .any(|op| same_target(op, &episode.op))
            })
    })
}

/// Whether two events act on the same thing (a burst's size aside).
fn same_target(a: &Op, b: &Op) -> bool {
    match (a, b) {
        (Op::Produce { actor: x, .. }, Op::Produce { actor: y, .. }) => x == y,
        _ => a == b,
    }
}

/// The events of one allowed kind that are valid at `now`, given the episodes before it.
fn enabled(ground: &Ground, allowed: &Allowed, episodes: &[Episode], now: u64) -> Vec<Op> {
    let out_of_group = |consumer: &str| {
        episodes
            .iter()
            .any(|e| e.holds_at(now) && e.op.consumer() == Some(consumer))
    };
    let running = || {
        allowed
            .actors
            .iter()
            .filter(|c| ground.consumers_running.contains(*c) && !out_of_group(c))
    };
    match allowed.kind {
        Kind::Kill => running().map(|c| Op::Kill(c.clone())).collect(),
        Kind::Stop => running().map(|c| Op::Stop(c.clone())).collect(),
        Kind::Freeze => running().map(|c| Op::Freeze(c.clone())).collect(),
        Kind::Cut => running().map(|c| Op::Cut(c.clone())).collect(),
        Kind::Commit => running().map(|c| Op::Commit(c.clone())).collect(),
        Kind::Produce => allowed
            .actors
            .iter()
            .map(|p| Op::Produce {
                actor: p.clone(),
                count: 0,
            })
            .collect(),
        Kind::KillBroker | Kind::StopBroker | Kind::PauseBroker => {
            let down: Vec<&Broker> = episodes
                .iter()
                .filter(|e| e.holds_at(now))
                .filter_map(|e| e.op.broker())
                .collect();
            // A leader taken down may be any node: nothing else goes down meanwhile.
            let a_leader_is_down = down.iter().any(|b| matches!(b, Broker::LeaderOf(_)));
            if a_leader_is_down
                || down.len() >= usize::try_from(ground.brokers_down).unwrap_or(usize::MAX)
            {
                return Vec::new();
            }
            let nodes = allowed.nodes.iter().map(|n| Broker::Node(*n));
            // A partition's leader is some broker that is up only while none is down.
            let leaders = allowed
                .leaders
                .iter()
                .filter(|_| down.is_empty())
                .map(|p| Broker::LeaderOf(p.clone()));
            nodes
                .chain(leaders)
                .filter(|b| !down.contains(&b))
                .map(|b| match allowed.kind {
                    Kind::KillBroker => Op::KillBroker(b),
                    Kind::StopBroker => Op::StopBroker(b),
                    _ => Op::PauseBroker(b),
                })
                .collect()
        }
    }
}

/// Numbers from the seed's stream, reduced here rather than by `rand`'s ranges, so that a
/// newer `rand` cannot change a timeline (ChaCha8's stream itself is fixed).
struct Draws(ChaCha8Rng);

impl Draws {
    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        u64::try_from((u128::from(self.0.next_u64()) * u128::from(n)) >> 64).unwrap_or(0)
    }

    /// A number from `low` to `high`, both included, in steps of `step` above `low`.
    fn between(&mut self, (low, high): (u64, u64), step: u64) -> u64 {
        let steps = high.saturating_sub(low) / step.max(1);
        low + self.below(steps + 1) * step.max(1)
    }
}

#[cfg(test)]
pub(crate) mod tests;
