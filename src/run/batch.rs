//! The records of one event (a poll's, a delivery report's), kept in runs: a record that
//! continues the one before it (same partition, producer and key; offset and sequence number one
//! up) costs nothing of its own. A burst read back in order is a few runs per poll, so a
//! million-record scenario keeps kilobytes instead of tens of megabytes. Records that do not run
//! (keys that change with every record) are kept one by one, never larger than that.

use std::sync::Arc;

use super::names::Names;

/// A record that can be kept in runs.
pub trait RunRecord: Copy {
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
    names: Arc<Names>,
    layout: Layout<T>,
    len: usize,
}

impl<T: RunRecord> Records<T> {
    /// `records`, in this order, whose symbols are of `names`.
    pub fn new(names: &Arc<Names>, records: impl IntoIterator<Item = T>) -> Records<T> {
        let mut runs: Vec<Run<T>> = Vec::new();
        let mut len = 0;
        for record in records {
            len += 1;
            match runs.last_mut() {
                Some(run)
                    if run.count < u32::MAX
                        && record.follows(&run.first.advanced(run.count - 1)) =>
                {
                    run.count += 1;
                }
                _ => runs.push(Run {
                    first: record,
                    count: 1,
                }),
            }
        }
        let as_runs = runs.len() * size_of::<Run<T>>();
        let layout = if as_runs < len * size_of::<T>() {
            Layout::Runs(Arc::from(runs))
        } else {
            Layout::Each(runs.iter().flat_map(Run::records).collect())
        };
        Records {
            names: Arc::clone(names),
            layout,
            len,
        }
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
    pub fn names(&self) -> &Arc<Names> {
        &self.names
    }
}

impl<T: RunRecord> Run<T> {
    fn records(&self) -> impl Iterator<Item = T> + '_ {
        (0..self.count).map(|n| self.first.advanced(n))
    }
}

#[cfg(test)]
mod tests;
