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
