use super::*;

#[test]
fn a_cluster_topic_is_named_by_its_scenario_name() {
    let names = Symbols::new();
    let topics = RunNames::suffixed(["orders"], [], Some("r1"));
    let mut cache = SymbolCache::new(Arc::clone(&names));
    let sym = cache.topic("orders-r1", &topics);
    assert_eq!(&*names.text(sym), "orders");
    assert_eq!(cache.topic("orders-r1", &topics), sym);
}

#[test]
fn text_is_interned_in_the_shared_names() {
    let names = Symbols::new();
    let mut cache = SymbolCache::new(Arc::clone(&names));
    let key = cache.text(b"key1").expect("UTF-8");
    assert_eq!(names.find("key1"), Some(key));
    assert_eq!(cache.text(b"key1"), Some(key));
    assert_eq!(cache.text(&[0xff, 0xfe]), None);
}

#[test]
fn a_producer_is_found_again_after_another() {
    let names = Symbols::new();
    let mut cache = SymbolCache::new(Arc::clone(&names));
    let first = cache.producer(b"p1").expect("UTF-8");
    let second = cache.producer(b"p2").expect("UTF-8");
    assert_ne!(first, second);
    assert_eq!(cache.producer(b"p2"), Some(second));
    assert_eq!(cache.producer(b"p1"), Some(first));
    assert_eq!(names.find("p1"), Some(first));
    assert_eq!(cache.producer(&[0xff]), None);
    assert_eq!(cache.producer(b"p1"), Some(first));
}
