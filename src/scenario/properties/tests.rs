use super::*;

fn props(pairs: &[(&str, &str)]) -> Properties {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn the_last_value_set_wins() {
    let properties = props(&[("acks", "1"), ("linger.ms", "5"), ("acks", "all")]);
    assert_eq!(properties.get("acks"), Some("all"));
    assert_eq!(properties.get("linger.ms"), Some("5"));
}

#[test]
fn a_key_nothing_sets_has_no_value() {
    assert_eq!(props(&[("acks", "1")]).get("linger.ms"), None);
    assert_eq!(Properties::new().get("acks"), None);
}

#[test]
fn layers_merge_to_one_entry_per_key_from_the_last_layer_that_sets_it() {
    let defaults = props(&[("acks", "1"), ("linger.ms", "5")]);
    let variant = props(&[("acks", "all")]);
    let own = props(&[("linger.ms", "0"), ("batch.size", "100")]);
    let merged = Properties::layered([&defaults, &variant, &own]);
    assert_eq!(
        merged,
        props(&[("acks", "all"), ("batch.size", "100"), ("linger.ms", "0")])
    );
}

#[test]
fn a_default_fills_only_what_nothing_set() {
    let mut properties = props(&[("client.id", "mine")]);
    properties.set_default("client.id", "actor");
    properties.set_default("group.instance.id", "one");
    assert_eq!(properties.get("client.id"), Some("mine"));
    assert_eq!(properties.get("group.instance.id"), Some("one"));
}

#[test]
fn set_overrides_an_earlier_value() {
    let mut properties = props(&[("bootstrap.servers", "a:1")]);
    properties.set("bootstrap.servers", "b:2");
    assert_eq!(properties.get("bootstrap.servers"), Some("b:2"));
}
