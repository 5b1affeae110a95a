//! Small value types of the scenario format: durations, rates, property values and
//! steps that may be written as a single word or as a mapping.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// A duration written the human way: `500ms`, `5s`, `2m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub std::time::Duration);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer).map_err(|_| {
            de::Error::custom("a duration must be written with a unit, e.g. `5s` or `500ms`")
        })?;
        humantime::parse_duration(text.trim())
            .map(Duration)
            .map_err(|e| {
                de::Error::custom(format!(
                    "`{text}` is not a duration ({e}); write e.g. `5s`, `500ms` or `2m`"
                ))
            })
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration with its unit: `500ms`, `5s`, `1.5s`, `2m`, `1h 30m`.",
            "type": "string",
            "pattern": "^\\s*([0-9]+(\\.[0-9]+)?\\s*[a-zA-Zµ]+\\s*)+$",
            "examples": ["5s", "500ms", "2m"]
        })
    }
}

/// A pace such as `1/s`, `10/s` or `30/m`: records per unit of time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Time between two records.
    pub interval: std::time::Duration,
}

impl Rate {
    /// Parses `N/s`, `N/m` or `N/ms`.
    pub fn parse(text: &str) -> Option<Rate> {
        let (count, unit) = text.trim().split_once('/')?;
        let count: f64 = count.trim().parse().ok()?;
        let per = match unit.trim() {
            "s" | "sec" => 1.0,
            "m" | "min" => 60.0,
            "ms" => 0.001,
            _ => return None,
        };
        (count > 0.0 && count.is_finite()).then(|| Rate {
            interval: std::time::Duration::from_secs_f64(per / count),
        })
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)
            .map_err(|_| de::Error::custom("a rate is written like `1/s` or `30/m`"))?;
        Rate::parse(&text).ok_or_else(|| {
            de::Error::custom(format!(
                "`{text}` is not a rate; write records per unit of time, e.g. `1/s` or `30/m`"
            ))
        })
    }
}

impl JsonSchema for Rate {
    fn schema_name() -> Cow<'static, str> {
        "Rate".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Records per unit of time: `N/s`, `N/m` or `N/ms`.",
            "type": "string",
            "pattern": "^\\s*[+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?\\s*/\\s*(s|sec|m|min|ms)\\s*$",
            "examples": ["1/s", "30/m"]
        })
    }
}

/// How many members of a crowd a step takes: a number, or a share of the crowd's size (`25%`),
/// so that one timeline fits every size of a `sweep`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MemberCount {
    /// This many.
    Exactly(u32),
    /// This share of the crowd, in percent.
    Share(f64),
}

impl MemberCount {
    /// Parses `3` or `25%`.
    pub fn parse(text: &str) -> Option<MemberCount> {
        let text = text.trim();
        match text.strip_suffix('%') {
            Some(share) => {
                let share: f64 = share.trim().parse().ok()?;
                (share > 0.0 && share <= 100.0).then_some(MemberCount::Share(share))
            }
            None => text.parse().ok().map(MemberCount::Exactly),
        }
    }

    /// How many members of a crowd of `size` it means: a share rounded down, at least one.
    pub fn of(self, size: usize) -> usize {
        match self {
            MemberCount::Exactly(n) => usize::try_from(n).unwrap_or(usize::MAX),
            MemberCount::Share(percent) => {
                // In whole hundredths of a percent, so that 32.3 % of 1,000 is 323, not 322.
                let hundredths = (percent * 100.0).round() as usize;
                (size.saturating_mul(hundredths) / 10_000).max(1)
            }
        }
    }
}

impl<'de> Deserialize<'de> for MemberCount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)
            .map_err(|_| de::Error::custom("members are counted like `3` or `25%`"))?;
        MemberCount::parse(&text).ok_or_else(|| {
            de::Error::custom(format!(
                "`{text}` is not a number of members; write a count, e.g. `3`, or a share of the \
                 crowd above 0 and at most 100%, e.g. `25%`"
            ))
        })
    }
}

impl JsonSchema for MemberCount {
    fn schema_name() -> Cow<'static, str> {
        "MemberCount".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "How many members of a crowd: a count, or a share of its size such as `25%` (rounded down, at least one).",
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "pattern": "^\\s*([0-9]+\\s*|([0-9]+\\.?[0-9]*|\\.[0-9]+)\\s*%)\\s*$" }
            ],
            "examples": [3, "25%"]
        })
    }
}

/// A librdkafka or topic property value: any YAML scalar, kept as the text librdkafka expects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PropertyValue(pub String);

impl<'de> Deserialize<'de> for PropertyValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = PropertyValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a property value (a string, number or boolean)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PropertyValue, E> {
                Ok(PropertyValue(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<PropertyValue, E> {
                Ok(PropertyValue(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PropertyValue, E> {
                Ok(PropertyValue(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PropertyValue, E> {
                Ok(PropertyValue(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<PropertyValue, E> {
                Ok(PropertyValue(v.to_string()))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

impl JsonSchema for PropertyValue {
    fn schema_name() -> Cow<'static, str> {
        "PropertyValue".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A property value: a string, number or boolean, passed on as text.",
            "type": ["string", "number", "boolean"]
        })
    }
}

/// A step argument that is either one word (an actor name, `stable`) or a full mapping.
#[derive(Debug, Clone)]
pub struct StringOrStruct<T>(pub T);

impl<'de, T> Deserialize<'de> for StringOrStruct<T>
where
    T: Deserialize<'de> + From<String>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WordOrMap<T>(PhantomData<T>);
        impl<'de, T> Visitor<'de> for WordOrMap<T>
        where
            T: Deserialize<'de> + From<String>,
        {
            type Value = StringOrStruct<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a single word or a mapping")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StringOrStruct(T::from(v.to_owned())))
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(StringOrStruct)
            }
        }
        deserializer.deserialize_any(WordOrMap(PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for StringOrStruct<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("WordOr{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [{ "type": "string" }, generator.subschema_for::<T>()]
        })
    }
}

/// The broker a fault step acts on, as written: a node id, a word (`controller`, or a name an
/// earlier fault step gave with `as`), or a role resolved when the step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerRefSpec {
    /// `2`: the broker with node id 2.
    Node(i64),
    /// `controller`, or a name bound by an earlier step's `as`.
    Word(String),
    /// `{ leader: topic/0, as: name }` and the like.
    Role(BrokerRole),
}

/// A broker (or brokers) named by what it does, optionally remembered under a name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrokerRole {
    /// A node id.
    #[serde(default)]
    pub node: Option<i64>,
    /// `topic/partition`: the broker leading it when the step runs.
    #[serde(default)]
    pub leader: Option<String>,
    /// `topic/partition`: every replica of it except its leader.
    #[serde(default)]
    pub followers: Option<String>,
    /// A name later steps use for the same broker(s), e.g. `restart-broker: old-leader`.
    #[serde(default, rename = "as")]
    pub name: Option<String>,
}

impl<'de> Deserialize<'de> for BrokerRefSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RefVisitor;
        impl<'de> Visitor<'de> for RefVisitor {
            type Value = BrokerRefSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a node id, `controller`, a name given with `as`, or a mapping such as \
                     `{ leader: topic/0, as: old-leader }`",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<BrokerRefSpec, E> {
                Ok(BrokerRefSpec::Node(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<BrokerRefSpec, E> {
                Ok(BrokerRefSpec::Node(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<BrokerRefSpec, E> {
                Ok(BrokerRefSpec::Word(v.to_owned()))
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<BrokerRefSpec, M::Error> {
                BrokerRole::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(BrokerRefSpec::Role)
            }
        }
        deserializer.deserialize_any(RefVisitor)
    }
}

impl JsonSchema for BrokerRefSpec {
    fn schema_name() -> Cow<'static, str> {
        "BrokerRef".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A broker: its node id, `controller`, a name an earlier step gave with `as`, or a role such as `{ leader: topic/0, as: old-leader }`.",
            "anyOf": [
                { "type": "integer" },
                { "type": "string" },
                generator.subschema_for::<BrokerRole>()
            ]
        })
    }
}

/// Splits `topic/partition`; `None` when the text is not of that form.
pub fn topic_partition(text: &str) -> Option<(&str, i32)> {
    let (topic, partition) = text.rsplit_once('/')?;
    let partition = partition.trim().parse().ok()?;
    (!topic.is_empty()).then_some((topic, partition))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_of_a_crowd_is_rounded_down_in_hundredths_and_is_at_least_one() {
        let share = |text: &str, size: usize| MemberCount::parse(text).map(|c| c.of(size));
        assert_eq!(share("32.3%", 1000), Some(323));
        assert_eq!(share("25%", 10), Some(2));
        assert_eq!(share("1%", 10), Some(1));
        assert_eq!(share("100%", 7), Some(7));
        assert_eq!(share("7", 1000), Some(7));
        assert_eq!(share("0%", 10), None);
        assert_eq!(share("101%", 10), None);
        assert_eq!(share("a quarter", 10), None);
    }

    #[test]
    fn rates_are_records_per_unit() {
        assert_eq!(
            Rate::parse("1/s").map(|r| r.interval),
            Some(std::time::Duration::from_secs(1))
        );
        assert_eq!(
            Rate::parse("30/m").map(|r| r.interval),
            Some(std::time::Duration::from_secs(2))
        );
        assert_eq!(Rate::parse("fast"), None);
        assert_eq!(Rate::parse("0/s"), None);
    }

    #[test]
    fn partitions_are_written_topic_slash_number() {
        assert_eq!(
            topic_partition("edu-topic13-b/0"),
            Some(("edu-topic13-b", 0))
        );
        assert_eq!(topic_partition("a/b/2"), Some(("a/b", 2)));
        assert_eq!(topic_partition("orders"), None);
        assert_eq!(topic_partition("/1"), None);
        assert_eq!(topic_partition("orders/x"), None);
    }
}
