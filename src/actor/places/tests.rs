use super::*;

fn orders(partition: i32) -> TopicPartition {
    TopicPartition {
        topic: Arc::from("orders"),
        partition,
    }
}

/// A record of `feeder` with sequence number `seq`, acknowledged on `orders`/`partition`.
fn delivered(names: &Symbols, partition: i32, seq: u64) -> ProducedRecord {
    ProducedRecord {
        seq,
        topic: names.intern("orders"),
        partition,
        key: None,
        producer: names.intern("feeder"),
    }
}

#[tokio::test]
async fn a_place_names_the_harness_record_delivered_there() {
    let names = Symbols::new();
    let places = RecordPlaces::new([Arc::from("orders")]);
    let record = delivered(&names, 1, 7);
    places.delivered(&names, &record, 41);
    assert_eq!(places.id_at(&names, &orders(1), 41).await, record.id());
}

#[tokio::test]
async fn a_report_that_comes_a_moment_later_is_waited_for() {
    let names = Symbols::new();
    let places = RecordPlaces::new([Arc::from("orders")]);
    let record = delivered(&names, 0, 1);
    let (later, later_names) = (Arc::clone(&places), Arc::clone(&names));
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        later.delivered(&later_names, &record, 3);
    });
    assert_eq!(places.id_at(&names, &orders(0), 3).await, record.id());
}

#[tokio::test]
async fn a_record_no_harness_producer_could_have_sent_is_named_by_its_place() {
    let names = Symbols::new();
    let places = RecordPlaces::new([]);
    places.delivered(&names, &delivered(&names, 0, 1), 3);
    assert_eq!(
        places.id_at(&names, &orders(0), 3).await,
        RecordId::located(&names, &orders(0), 3)
    );
}

#[tokio::test]
async fn a_value_names_the_next_record_holding_it_after_what_the_consumer_took() {
    let names = Symbols::new();
    let places = RecordPlaces::keeping([], [Arc::from("orders")]);
    for (offset, value) in [(0, "a"), (1, "b"), (2, "a")] {
        places.read(&names, &orders(1), offset, value.as_bytes());
    }
    assert_eq!(
        places.offset_of(&names, &orders(1), b"b", None).await,
        Some(1)
    );
    assert_eq!(
        places.offset_of(&names, &orders(1), b"a", None).await,
        Some(0)
    );
    assert_eq!(
        places.offset_of(&names, &orders(1), b"a", Some(1)).await,
        Some(2)
    );
    // Read again from the start (a rewind): the first holding it.
    assert_eq!(
        places.offset_of(&names, &orders(1), b"a", Some(2)).await,
        Some(0)
    );
}

#[tokio::test]
async fn a_value_no_record_of_the_partition_holds_is_none() {
    let names = Symbols::new();
    let places = RecordPlaces::keeping([], [Arc::from("orders")]);
    places.read(&names, &orders(0), 0, b"a");
    assert_eq!(places.offset_of(&names, &orders(1), b"a", None).await, None);
    assert_eq!(places.offset_of(&names, &orders(0), b"z", None).await, None);
}

#[tokio::test]
async fn values_of_a_topic_nobody_names_by_value_are_not_kept() {
    let names = Symbols::new();
    let places = RecordPlaces::keeping([], [Arc::from("payments")]);
    places.read(&names, &orders(0), 0, b"a");
    assert_eq!(places.offset_of(&names, &orders(0), b"a", None).await, None);
}

#[tokio::test]
async fn a_value_the_reader_reaches_a_moment_later_is_waited_for() {
    let names = Symbols::new();
    let places = RecordPlaces::keeping([], [Arc::from("orders")]);
    let (later, later_names) = (Arc::clone(&places), Arc::clone(&names));
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        later.read(&later_names, &orders(0), 5, b"late");
    });
    assert_eq!(
        places.offset_of(&names, &orders(0), b"late", None).await,
        Some(5)
    );
}
