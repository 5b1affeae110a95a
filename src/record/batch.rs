//! The records of one event (a poll's, a delivery report's), kept in runs: a record that
//! continues the one before it (same partition, producer and key; offset and sequence number one
//! up) costs nothing of its own. A burst read back in order is a few runs per poll, so a
//! million-record scenario keeps kilobytes instead of tens of megabytes. Records that do not run
//! (keys that change with every record) are kept one by one, never larger than that.

use std::sync::Arc;

use super::symbols::Symbols;

/// A record that can be kept in runs: it knows whether it comes right after another (and so
/// costs nothing of its own in a run) and what the record `n` places on would be.
pub trait Successive: Copy {
    /// Whether `self` comes right after `previous` in a run.
    fn follows(&self, previous: &Self) -> bool;
    /// The record `n` places after `self` in its run.
    fn advanced(&self, n: u32) -> Self;
}

/// `count` records from `first` on.
#[derive(Debug, Clone, Copy)]
struct Run<T> {
    first: T,
    count: u32,
}

/// How the records are stored: whichever of the two takes less room.
#[derive(Debug, Clone)]
enum Layout<T> {
    /// One entry per record.
    Each(Arc<[T]>),
    /// One entry per run.
    Runs(Arc<[Run<T>]>),
}

/// The records of one event, in order, with the names their symbols refer to.
#[derive(Debug, Clone)]
pub struct Records<T> {
    names: Arc<Symbols>,
    layout: Layout<T>,
    len: usize,
}

/// Records gathered one by one as they come, for a poll loop: each is written once to a list
/// that is reused from one batch to the next, and the runs are counted on the way, so that the
/// batch is kept in whichever layout is smaller; the runs themselves are made only when they
/// are the smaller one.
#[derive(Debug)]
pub struct RunsBuilder<T> {
    each: Vec<T>,
    runs: usize,
}

impl<T> Default for RunsBuilder<T> {
    fn default() -> Self {
        RunsBuilder {
            each: Vec::new(),
            runs: 0,
        }
    }
}

impl<T: Successive> RunsBuilder<T> {
    /// Adds `record` after those pushed so far.
    #[inline]
    pub fn push(&mut self, record: T) {
        if !self.each.last().is_some_and(|last| record.follows(last)) {
            self.runs += 1;
        }
        self.each.push(record);
    }

    /// How many records were pushed since the last `take`.
    pub fn len(&self) -> usize {
        self.each.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.each.is_empty()
    }

    /// The records pushed so far, whose symbols are of `names`; the builder is empty again.
    pub fn take(&mut self, names: &Arc<Symbols>) -> Records<T> {
        let len = self.each.len();
        let layout = if self.runs * size_of::<Run<T>>() < len * size_of::<T>() {
            Layout::Runs(runs(&self.each).into())
        } else {
            Layout::Each(Arc::from(self.each.as_slice()))
        };
        self.each.clear();
        self.runs = 0;
        Records {
            names: Arc::clone(names),
            layout,
            len,
        }
    }
}

/// `records` as runs.
fn runs<T: Successive>(records: &[T]) -> Vec<Run<T>> {
    let mut runs: Vec<Run<T>> = Vec::new();
    let mut last: Option<&T> = None;
    for record in records {
        match runs.last_mut() {
            Some(run) if run.count < u32::MAX && last.is_some_and(|last| record.follows(last)) => {
                run.count += 1;
            }
            _ => runs.push(Run {
                first: *record,
                count: 1,
            }),
        }
        last = Some(record);
    }
    runs
}

impl<T: Successive> Records<T> {
    /// `records`, in this order, whose symbols are of `names`.
    pub fn new(names: &Arc<Symbols>, records: impl IntoIterator<Item = T>) -> Records<T> {
        let mut builder = RunsBuilder::default();
        for record in records {
            builder.push(record);
        }
        builder.take(names)
    }

    /// The records, in order.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        let (each, runs): (&[T], &[Run<T>]) = match &self.layout {
            Layout::Each(records) => (records, &[]),
            Layout::Runs(runs) => (&[], runs),
        };
        each.iter()
            .copied()
            .chain(runs.iter().flat_map(Run::records))
    }
}

impl<T> Records<T> {
    /// How many records there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The names the records' symbols refer to.
    pub fn names(&self) -> &Arc<Symbols> {
        &self.names
    }
}

impl<T: Successive> Run<T> {
    fn records(&self) -> impl Iterator<Item = T> + '_ {
        (0..self.count).map(|n| self.first.advanced(n))
    }
}

#[cfg(test)]
mod tests;
