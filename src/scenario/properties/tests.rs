use super::*;

fn layer(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn the_last_layer_that_sets_a_key_wins() {
    let layers = layer(&[("acks", "1"), ("linger.ms", "5"), ("acks", "all")]);
    assert_eq!(setting(&layers, "acks"), Some("all"));
    assert_eq!(setting(&layers, "linger.ms"), Some("5"));
}

#[test]
fn a_key_no_layer_sets_has_no_value() {
    assert_eq!(setting(&layer(&[("acks", "1")]), "linger.ms"), None);
    assert_eq!(setting(&[], "acks"), None);
}
