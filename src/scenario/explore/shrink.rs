//! Smaller timelines to try once a run broke an invariant, in the order that removes the most
//! first: delta debugging over whole episodes (halves, then quarters, down to single ones, from
//! the back), then each episode made milder (a stop for a kill, a controlled shutdown for a
//! SIGKILL, half the burst, half as long) and the gaps between them halved.
//!
//! The shrinker is told only whether each candidate broke the same invariant again; whether a
//! run that passed is tried once more (runs are not deterministic) is the caller's choice.
//! Every candidate is valid where each episode starts, and none is offered twice.

use std::collections::HashSet;

use super::draw::valid;
use super::episode::Episode;
use super::ground::Ground;

/// Where the shrinker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Removing one of `chunks` equal parts, the `next`-th from the back.
    Remove { chunks: usize, next: usize },
    /// Making episode `index` milder, the `how`-th way.
    Simplify { index: usize, how: usize },
    /// Halving every gap.
    Closer,
    /// Nothing more to try.
    Done,
}

/// Ways of making one episode milder, tried in turn.
const SIMPLER_WAYS: usize = 2;

/// Smaller timelines to try, one at a time.
#[derive(Debug, Clone)]
pub struct Shrinker {
    ground: Ground,
    best: Vec<Episode>,
    stage: Stage,
    /// The last candidate offered, and the stage that made it.
    offered: Option<(Stage, Vec<Episode>)>,
    tried: HashSet<Vec<Episode>>,
}

impl Shrinker {
    /// A shrinker of `episodes`, a timeline that broke an invariant.
    pub fn new(ground: &Ground, episodes: Vec<Episode>) -> Shrinker {
        let mut tried = HashSet::new();
        tried.insert(episodes.clone());
        Shrinker {
            ground: ground.clone(),
            stage: Stage::Remove {
                chunks: 2.min(episodes.len().max(1)),
                next: 0,
            },
            best: episodes,
            offered: None,
            tried,
        }
    }

    /// The smallest timeline known to break the invariant.
    pub fn best(&self) -> &[Episode] {
        &self.best
    }

    /// The next timeline to try, or `None` when nothing smaller is left to try.
    pub fn candidate(&mut self) -> Option<Vec<Episode>> {
        loop {
            let stage = self.stage;
            let candidate = match stage {
                Stage::Done => return None,
                Stage::Remove { chunks, next } => self.removal(chunks, next),
                Stage::Simplify { index, how } => self.simpler(index, how),
                Stage::Closer => self.closer(),
            };
            self.advance();
            if let Some(candidate) = candidate
                && valid(&self.ground, &candidate)
                && self.tried.insert(candidate.clone())
            {
                self.offered = Some((stage, candidate.clone()));
                return Some(candidate);
            }
        }
    }

    /// What the last candidate did: whether it broke the same invariant again. One that did
    /// becomes the best, and the stage that made it goes on from there.
    pub fn tell(&mut self, broke_again: bool) {
        let Some((stage, candidate)) = self.offered.take() else {
            return;
        };
        if !broke_again {
            return;
        }
        self.best = candidate;
        let len = self.best.len();
        self.stage = match stage {
            _ if len == 0 => Stage::Done,
            // Delta debugging: with one part fewer, at least two.
            Stage::Remove { chunks, .. } => Stage::Remove {
                chunks: chunks.saturating_sub(1).max(2).min(len),
                next: 0,
            },
            // The same episode again, which may get milder still.
            Stage::Simplify { index, .. } => Stage::Simplify { index, how: 0 },
            Stage::Closer | Stage::Done => Stage::Closer,
        };
    }

    /// The best without the `next`-th of `chunks` parts, counted from the back.
    fn removal(&self, chunks: usize, next: usize) -> Option<Vec<Episode>> {
        let len = self.best.len();
        if len == 0 || chunks == 0 {
            return None;
        }
        let size = len.div_ceil(chunks);
        let part = chunks.checked_sub(next + 1)?;
        let (from, to) = ((part * size).min(len), ((part + 1) * size).min(len));
        if from == to {
            return None;
        }
        let mut candidate = self.best.clone();
        candidate.drain(from..to);
        Some(candidate)
    }

    /// The best with episode `index` made milder the `how`-th way.
    fn simpler(&self, index: usize, how: usize) -> Option<Vec<Episode>> {
        let mut candidate = self.best.clone();
        let episode = candidate.get_mut(index)?;
        match how {
            0 => episode.op = episode.op.milder()?,
            _ => {
                let lasts = episode.lasts_ms?;
                let half = (lasts / 2 / 100) * 100;
                if half < 100 {
                    return None;
                }
                episode.lasts_ms = Some(half);
            }
        }
        Some(candidate)
    }

    /// The best with every gap halved.
    fn closer(&self) -> Option<Vec<Episode>> {
        let mut candidate = self.best.clone();
        let mut changed = false;
        for episode in &mut candidate {
            let earlier = (episode.at_ms / 2 / 100) * 100;
            changed |= earlier != episode.at_ms;
            episode.at_ms = earlier;
        }
        changed.then_some(candidate)
    }

    /// The stage after the current one's candidate, whatever it was.
    fn advance(&mut self) {
        let len = self.best.len();
        self.stage = match self.stage {
            Stage::Remove { chunks, next } if next + 1 < chunks => Stage::Remove {
                chunks,
                next: next + 1,
            },
            Stage::Remove { chunks, .. } if chunks < len => Stage::Remove {
                chunks: (chunks * 2).min(len),
                next: 0,
            },
            Stage::Remove { .. } => Stage::Simplify { index: 0, how: 0 },
            Stage::Simplify { index, how } if how + 1 < SIMPLER_WAYS => Stage::Simplify {
                index,
                how: how + 1,
            },
            Stage::Simplify { index, .. } if index + 1 < len => Stage::Simplify {
                index: index + 1,
                how: 0,
            },
            Stage::Simplify { .. } => Stage::Closer,
            Stage::Closer | Stage::Done => Stage::Done,
        };
    }
}

#[cfg(test)]
mod tests;
