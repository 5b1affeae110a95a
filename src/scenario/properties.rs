//! A client's librdkafka properties as the layers that set them (a target's defaults, the
//! scenario's `defaults`, the variant's, the actor's own, the harness's connection): applied in
//! order, the last one set wins. Validation, the actors and the clusters all ask their
//! questions here, so that "what is this client's setting" has one answer.

/// The value of `key` in properties applied in order (the last one set wins), as librdkafka
/// sees them once every layer is applied.
pub fn setting<'a>(layers: &'a [(String, String)], key: &str) -> Option<&'a str> {
    layers
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests;
