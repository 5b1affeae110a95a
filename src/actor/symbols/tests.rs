use super::*;

#[test]
fn a_cluster_topic_is_named_by_its_scenario_name() {
    let names = Names::new();
    let topics = TopicNames::suffixed(["orders"], [], Some("r1"));
    let mut cache = SymbolCache::new(Arc::clone(&names));
    let sym = cache.topic("orders-r1", &topics);
    assert_eq!(&*names.text(sym), "orders");
    assert_eq!(cache.topic("orders-r1", &topics), sym);
}

#[test]
fn text_is_interned_in_the_shared_names() {
    let names = Names::new();
    let mut cache = SymbolCache::new(Arc::clone(&names));
    let key = cache.text(b"key1").expect("UTF-8");
    assert_eq!(names.find("key1"), Some(key));
    assert_eq!(cache.text(b"key1"), Some(key));
    assert_eq!(cache.text(&[0xff, 0xfe]), None);
}
