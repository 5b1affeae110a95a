use super::*;
use crate::record::symbols::Symbols;

#[test]
fn insert_says_whether_a_seq_is_new() {
    let mut set = SeqSet::default();
    assert!(set.insert(5));
    assert!(!set.insert(5));
    assert!(set.insert(200));
    assert_eq!(set.len(), 2);
    assert!(set.contains(5) && set.contains(200));
    assert!(!set.contains(6) && !set.contains(0) && !set.contains(10_000));
}

#[test]
fn a_lower_seq_extends_the_bitmap_downwards() {
    let mut set = SeqSet::default();
    set.insert(1_000_000);
    set.insert(999_000);
    set.insert(3);
    assert_eq!(set.iter().collect::<Vec<_>>(), vec![3, 999_000, 1_000_000]);
}

#[test]
fn large_offsets_need_no_bitmap_from_zero() {
    let mut set = SeqSet::default();
    set.insert(u64::MAX / 2);
    set.insert(u64::MAX / 2 + 1);
    assert_eq!(set.len(), 2);
}

#[test]
fn missing_counts_what_the_other_set_lacks() {
    let mut produced = SeqSet::default();
    let mut consumed = SeqSet::default();
    for seq in 0..100 {
        produced.insert(seq);
    }
    for seq in (0..100).filter(|s| s % 10 != 0) {
        consumed.insert(seq);
    }
    assert_eq!(produced.missing_from(&consumed), 10);
    assert_eq!(consumed.missing_from(&produced), 0);
}

#[test]
fn ids_are_kept_per_producer() {
    let names = Symbols::new();
    let (a, b) = (names.intern("a"), names.intern("b"));
    let id = |producer, seq| RecordId { producer, seq };
    let mut produced = IdSet::default();
    let mut consumed = IdSet::default();
    produced.insert(id(a, 0));
    produced.insert(id(a, 1));
    produced.insert(id(b, 0));
    consumed.insert(id(a, 1));
    assert!(consumed.contains(id(a, 1)) && !consumed.contains(id(b, 1)));
    assert_eq!(produced.len(), 3);
    assert_eq!(produced.missing_from(Some(&consumed)), 2);
    assert_eq!(produced.missing_from(None), 3);
}

#[test]
fn an_index_keeps_a_number_per_seq() {
    let mut index = SeqIndex::default();
    index.set(10, 1);
    index.set(12, 2);
    index.set(7, 3);
    assert_eq!(index.get(10), Some(1));
    assert_eq!(index.get(12), Some(2));
    assert_eq!(index.get(7), Some(3));
    assert_eq!(index.get(11), None);
    assert_eq!(index.get(0), None);
    assert_eq!(index.get(1_000), None);
}
