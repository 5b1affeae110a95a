//! Reads a process's standard output line by line for the records it reports consumed: one
//! line each (the course's kafka-python consumer), or a block of lines each (the course's
//! Spring Boot consumer prints `Topic:`, `key:`, `Headers:`, `Partion:` and `Value:` on lines
//! of their own). Pure: the process actor resolves what it finds into records.

use crate::scenario::plan::{NamedBy, RecordPrint};

/// One record a process reported consumed, as it named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printed {
    /// The topic as the process printed it (the run's name).
    pub topic: String,
    /// Its partition.
    pub partition: i32,
    /// Its offset, or its value.
    pub at: PrintedAt,
}

/// Where a report puts its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintedAt {
    /// At this offset of the partition.
    Offset(i64),
    /// The record of the partition with this value.
    Value(String),
}

/// Follows one output stream through the lines of a [`RecordPrint`].
#[derive(Debug)]
pub struct PrintReader {
    print: RecordPrint,
    /// Which of the print's lines comes next; 0 while outside a report.
    next: usize,
    /// The named groups found so far in the report under way.
    found: Vec<(String, String)>,
}

impl PrintReader {
    /// A reader outside any report.
    pub fn new(print: RecordPrint) -> PrintReader {
        PrintReader {
            print,
            next: 0,
            found: Vec::new(),
        }
    }

    /// Reads one line: the record whose report it completes, if any, or why the completed
    /// report names no record (a partition or offset that is not a number). A line matching the
    /// report's first line begins a new report (a report cut short is dropped); a line that
    /// matches neither that nor the next expected one is passed over, so that log lines of
    /// other threads may come between a report's lines.
    pub fn line(&mut self, line: &str) -> Option<Result<Printed, String>> {
        let first = &self.print.lines[0];
        if let Some(captures) = first.captures(line) {
            self.found.clear();
            keep(&mut self.found, first, &captures);
            self.next = 1;
        } else if self.next > 0 {
            let expected = &self.print.lines[self.next];
            let captures = expected.captures(line)?;
            keep(&mut self.found, expected, &captures);
            self.next += 1;
        } else {
            return None;
        }
        if self.next < self.print.lines.len() {
            return None;
        }
        self.next = 0;
        let found = std::mem::take(&mut self.found);
        Some(self.record(found))
    }

    /// The record a complete report names.
    fn record(&self, found: Vec<(String, String)>) -> Result<Printed, String> {
        let group = |name: &str| {
            found
                .iter()
                .rev()
                .find(|(group, _)| group == name)
                .map(|(_, text)| text.as_str())
                .ok_or_else(|| format!("its report has no `{name}`"))
        };
        let number = |name: &str| {
            let text = group(name)?;
            text.trim()
                .parse::<i64>()
                .map_err(|_| format!("its report's {name} `{text}` is not a number"))
        };
        let topic = group("topic")?.to_owned();
        let partition = i32::try_from(number("partition")?)
            .map_err(|_| "its report's partition is out of range".to_owned())?;
        let at = match self.print.names_by {
            NamedBy::Offset => PrintedAt::Offset(number("offset")?),
            NamedBy::Value => PrintedAt::Value(group("value")?.to_owned()),
        };
        Ok(Printed {
            topic,
            partition,
            at,
        })
    }
}

/// Adds the named groups `pattern` found in a line to those of the report under way.
fn keep(found: &mut Vec<(String, String)>, pattern: &regex::Regex, captures: &regex::Captures<'_>) {
    for name in pattern.capture_names().flatten() {
        if let Some(text) = captures.name(name) {
            found.push((name.to_owned(), text.as_str().to_owned()));
        }
    }
}

#[cfg(test)]
mod tests;
