//! Sets of record ids as bitmaps: one bit per sequence number of each producer (or offset of
//! each foreign partition), instead of a hash entry per record. What a million-record run's
//! duplicates, losses and barriers are computed with.

use std::collections::HashMap;

use super::events::RecordId;
use super::symbols::Sym;

/// Sequence numbers as a bitmap covering the range seen so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeqSet {
    /// The sequence number of the first bit of `words`.
    base: u64,
    words: Vec<u64>,
    len: u64,
}

impl SeqSet {
    /// Adds `seq`; whether it was new.
    pub fn insert(&mut self, seq: u64) -> bool {
        if self.words.is_empty() {
            self.base = seq - seq % 64;
        } else if seq < self.base {
            let shift = (self.base - seq).div_ceil(64) as usize;
            self.words.splice(0..0, std::iter::repeat_n(0, shift));
            self.base -= shift as u64 * 64;
        }
        let bit = seq - self.base;
        let word = (bit / 64) as usize;
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        let mask = 1 << (bit % 64);
        let new = self.words[word] & mask == 0;
        self.words[word] |= mask;
        self.len += u64::from(new);
        new
    }

    /// Whether `seq` is in the set.
    pub fn contains(&self, seq: u64) -> bool {
        let Some(bit) = seq.checked_sub(self.base) else {
            return false;
        };
        self.words
            .get((bit / 64) as usize)
            .is_some_and(|word| word & (1 << (bit % 64)) != 0)
    }

    /// Number of sequence numbers in the set.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of sequence numbers in the set that `other` lacks (a word at a time: every
    /// base is a multiple of 64).
    pub fn missing_from(&self, other: &SeqSet) -> u64 {
        let theirs = |first: u64| {
            first
                .checked_sub(other.base)
                .and_then(|bit| other.words.get((bit / 64) as usize))
                .copied()
                .unwrap_or(0)
        };
        self.words
            .iter()
            .enumerate()
            .map(|(i, word)| u64::from((word & !theirs(self.base + i as u64 * 64)).count_ones()))
            .sum()
    }

    /// The sequence numbers in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.words.iter().enumerate().flat_map(move |(i, word)| {
            let first = self.base + i as u64 * 64;
            (0..64)
                .filter(move |bit| word & (1 << bit) != 0)
                .map(move |bit| first + bit)
        })
    }
}

/// Record ids as one `SeqSet` per producer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdSet {
    producers: HashMap<Sym, SeqSet>,
}

impl IdSet {
    /// Adds `id`; whether it was new.
    pub fn insert(&mut self, id: RecordId) -> bool {
        self.producers
            .entry(id.producer)
            .or_default()
            .insert(id.seq)
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: RecordId) -> bool {
        self.producers
            .get(&id.producer)
            .is_some_and(|seqs| seqs.contains(id.seq))
    }

    /// Number of ids in the set.
    pub fn len(&self) -> u64 {
        self.producers.values().map(SeqSet::len).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of ids in the set that `other` lacks.
    pub fn missing_from(&self, other: Option<&IdSet>) -> u64 {
        self.producers
            .iter()
            .map(
                |(producer, seqs)| match other.and_then(|other| other.producers.get(producer)) {
                    Some(theirs) => seqs.missing_from(theirs),
                    None => seqs.len(),
                },
            )
            .sum()
    }

    /// One producer's sequence numbers.
    pub fn of(&self, producer: Sym) -> Option<&SeqSet> {
        self.producers.get(&producer)
    }
}

/// A number per sequence number (4 bytes each), stored densely over the range seen: for ids
/// that are dense, a producer's sequence numbers or a partition's offsets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeqIndex {
    base: u64,
    slots: Vec<u32>,
}

impl SeqIndex {
    const EMPTY: u32 = u32::MAX;

    /// Sets the number of `seq` (below `u32::MAX`).
    pub fn set(&mut self, seq: u64, value: u32) {
        if self.slots.is_empty() {
            self.base = seq;
        } else if seq < self.base {
            let shift = (self.base - seq) as usize;
            self.slots
                .splice(0..0, std::iter::repeat_n(Self::EMPTY, shift));
            self.base = seq;
        }
        let slot = (seq - self.base) as usize;
        if slot >= self.slots.len() {
            self.slots.resize(slot + 1, Self::EMPTY);
        }
        self.slots[slot] = value;
    }

    /// The number of `seq`, if set.
    pub fn get(&self, seq: u64) -> Option<u32> {
        let slot = usize::try_from(seq.checked_sub(self.base)?).ok()?;
        self.slots.get(slot).copied().filter(|v| *v != Self::EMPTY)
    }
}

impl Extend<RecordId> for IdSet {
    fn extend<I: IntoIterator<Item = RecordId>>(&mut self, ids: I) {
        for id in ids {
            self.insert(id);
        }
    }
}

#[cfg(test)]
mod tests;
