//! A librdkafka client configuration from property layers, for every client the harness makes:
//! the actors' and the targets' own (admin clients, logins, readers).

use rdkafka::config::ClientConfig;

/// A client configuration from properties applied in order (the last one set wins, as
/// `scenario::properties::setting` answers).
pub fn client_config<'a>(layers: impl IntoIterator<Item = &'a (String, String)>) -> ClientConfig {
    let mut config = ClientConfig::new();
    for (key, value) in layers {
        config.set(key.as_str(), value.as_str());
    }
    config
}
