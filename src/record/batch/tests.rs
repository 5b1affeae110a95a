use super::*;
use crate::record::events::{ConsumedRecord, ProducedRecord};
use crate::record::symbols::Symbols;

/// A record of `producer`'s sequence number `seq`, read at `offset` of partition `partition`.
fn read(names: &Symbols, producer: &str, seq: u64, partition: i32, offset: i64) -> ConsumedRecord {
    ConsumedRecord {
        offset,
        sent: ProducedRecord {
            seq,
            topic: names.intern("orders"),
            partition,
            key: None,
            producer: names.intern(producer),
        },
    }
}

fn runs<T>(records: &Records<T>) -> Option<usize> {
    match &records.layout {
        Layout::Runs(runs) => Some(runs.len()),
        Layout::Each(_) => None,
    }
}

#[test]
fn records_that_continue_each_other_are_one_run_and_come_back_in_order() {
    let names = Symbols::new();
    let written: Vec<ConsumedRecord> = (0..1000)
        .map(|n| read(&names, "p", 500 + n, 3, 7000 + n as i64))
        .collect();
    let records = Records::new(&names, written.iter().copied());
    assert_eq!(runs(&records), Some(1));
    assert_eq!(records.len(), 1000);
    assert_eq!(records.iter().collect::<Vec<_>>(), written);
}

#[test]
fn a_gap_another_partition_producer_or_key_starts_a_new_run() {
    let names = Symbols::new();
    let mut written: Vec<ConsumedRecord> = Vec::new();
    for n in 0..10 {
        written.push(read(&names, "p", n, 0, n as i64));
    }
    // A gap in the offsets, then another partition, then another producer.
    written.extend((0..10).map(|n| read(&names, "p", 10 + n, 0, 11 + n as i64)));
    written.extend((0..10).map(|n| read(&names, "p", 20 + n, 1, n as i64)));
    written.extend((0..10).map(|n| read(&names, "q", 30 + n, 1, 10 + n as i64)));
    // A key from here on.
    let keyed = names.intern("k");
    written.extend((0..10).map(|n| {
        let mut record = read(&names, "q", 40 + n, 1, 20 + n as i64);
        record.sent.key = Some(keyed);
        record
    }));
    let records = Records::new(&names, written.iter().copied());
    assert_eq!(runs(&records), Some(5));
    assert_eq!(records.iter().collect::<Vec<_>>(), written);
}

#[test]
fn records_that_do_not_run_are_kept_one_by_one() {
    let names = Symbols::new();
    // Every other sequence number: nothing continues anything.
    let written: Vec<ConsumedRecord> = (0..100)
        .map(|n| read(&names, "p", 2 * n, 0, n as i64))
        .collect();
    let records = Records::new(&names, written.iter().copied());
    assert_eq!(runs(&records), None);
    assert_eq!(records.len(), 100);
    assert_eq!(records.iter().collect::<Vec<_>>(), written);
}

#[test]
fn no_records_make_an_empty_batch() {
    let names = Symbols::new();
    let records = Records::<ConsumedRecord>::new(&names, []);
    assert!(records.is_empty());
    assert_eq!(records.iter().count(), 0);
}

#[test]
fn a_builder_starts_afresh_after_each_take() {
    let names = Symbols::new();
    let mut builder = RunsBuilder::default();
    let first: Vec<ConsumedRecord> = (0..100)
        .map(|n| read(&names, "p", n, 0, n as i64))
        .collect();
    first
        .iter()
        .copied()
        .for_each(|record| builder.push(record));
    let taken = builder.take(&names);
    assert!(builder.is_empty());
    // Offsets that go on from the first batch's, ids that skip: kept one by one.
    let second: Vec<ConsumedRecord> = (100..110)
        .map(|n| read(&names, "p", 3 * n, 0, n as i64))
        .collect();
    second
        .iter()
        .copied()
        .for_each(|record| builder.push(record));
    assert_eq!(builder.len(), 10);
    let again = builder.take(&names);
    assert_eq!(
        (runs(&taken), taken.iter().collect::<Vec<_>>()),
        (Some(1), first)
    );
    assert_eq!(
        (runs(&again), again.iter().collect::<Vec<_>>()),
        (None, second)
    );
}
