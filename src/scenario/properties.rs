//! A client's librdkafka properties as the layers that set them (a target's defaults, the
//! scenario's `defaults`, the variant's, the actor's own, the harness's connection): applied in
//! order, the last one set wins. Validation, the actors and the clusters all ask their
//! questions of a [`Properties`], so that "what is this client's setting" has one answer.

use std::collections::BTreeMap;

use serde::Serialize;

/// Properties in the order librdkafka is given them; a key set twice takes its last value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Properties(Vec<(String, String)>);

impl Properties {
    /// No properties.
    pub fn new() -> Properties {
        Properties::default()
    }

    /// The layers applied in order, merged: one entry per key, with the value of the last layer
    /// that sets it, in key order.
    pub fn layered<'a>(layers: impl IntoIterator<Item = &'a Properties>) -> Properties {
        let mut merged: BTreeMap<&str, &str> = BTreeMap::new();
        for (key, value) in layers.into_iter().flat_map(|layer| &layer.0) {
            merged.insert(key, value);
        }
        merged
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// The value of `key` as librdkafka sees it once every layer is applied: the last one set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key`, replacing whatever was set before.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        self.0.retain(|(k, _)| *k != key);
        self.0.push((key, value.into()));
    }

    /// Sets `key` only where nothing set it, e.g. `client.id` to the actor's name.
    pub fn set_default(&mut self, key: &str, value: impl Into<String>) {
        if self.get(key).is_none() {
            self.set(key, value);
        }
    }

    /// Every property in the order it is applied.
    pub fn iter(&self) -> std::slice::Iter<'_, (String, String)> {
        self.0.iter()
    }
}

impl FromIterator<(String, String)> for Properties {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Properties {
        Properties(pairs.into_iter().collect())
    }
}

impl From<Vec<(String, String)>> for Properties {
    fn from(pairs: Vec<(String, String)>) -> Properties {
        Properties(pairs)
    }
}

impl<'a> IntoIterator for &'a Properties {
    type Item = &'a (String, String);
    type IntoIter = std::slice::Iter<'a, (String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests;
