//! The JSON Schema of the scenario file, generated from the model types and their doc comments,
//! so that editors complete keys, explain them on hover and mark mistakes while a file is
//! written (yaml-language-server reads it from a `# yaml-language-server: $schema=...` line).
//! `scenario-run schema` prints it; `schema/scenario.schema.json` is that output, kept in the
//! repository and checked to be current by `tests/schema.rs`.
//!
//! It checks shapes only, so it is looser than the loader: it cannot know that an actor, topic
//! or group a step names exists, that a word such as `await: stable` is the only word a step
//! takes, or which librdkafka properties a client knows. Validation says those, with line and
//! column.

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use super::model::ScenarioFile;

/// Where the schema is published in this repository, relative to its root.
pub const SCHEMA_PATH: &str = "schema/scenario.schema.json";

/// The schema as pretty-printed JSON (draft-07, which every editor's YAML support reads),
/// ending with a newline.
pub fn scenario_schema() -> String {
    let mut schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<ScenarioFile>();
    schema.insert("title".into(), "kafka-scenario scenario file".into());
    let mut schema = schema.to_value();
    as_loose_as_the_loader(&mut schema);
    name_the_choices(&mut schema);
    let mut text =
        serde_json::to_string_pretty(&schema).expect("a JSON value with string keys serializes");
    text.push('\n');
    text
}

/// Widens the generated schema where the loader is more lenient than the types say, so that no
/// file the loader accepts fails in an editor: YAML's plain scalars `2024` and `true` load as
/// text, so a free string (no pattern or choice of words) may be a number or a boolean; and an
/// optional key left empty (`defaults:` with every line commented out) loads as its default, so
/// it may be null.
fn as_loose_as_the_loader(schema: &mut Value) {
    widen_strings(schema);
    allow_null_when_optional(schema);
}

fn widen_strings(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let free = !["pattern", "enum", "const", "format"]
                .iter()
                .any(|key| map.contains_key(*key));
            if free && map.get("type") == Some(&json!("string")) {
                map.insert("type".into(), json!(["string", "number", "boolean"]));
            }
            map.values_mut().for_each(widen_strings);
        }
        Value::Array(items) => items.iter_mut().for_each(widen_strings),
        _ => {}
    }
}

fn allow_null_when_optional(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let required: Vec<String> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|names| {
                    names
                        .iter()
                        .filter_map(|n| n.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                for (name, property) in properties.iter_mut() {
                    if !required.contains(name) {
                        nullable(property);
                    }
                }
            }
            map.values_mut().for_each(allow_null_when_optional);
        }
        Value::Array(items) => items.iter_mut().for_each(allow_null_when_optional),
        _ => {}
    }
}

/// Gives each choice of a `oneOf` that is one key (a step such as `start:`, an actor kind such
/// as `consumer:`) a title naming that key. Editors label a choice by its title in completion
/// lists and in the error for a value that matches none; without one, yaml-language-server
/// labels all eighteen steps `object(kafka-scenario scenario file)`.
fn name_the_choices(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(choices)) = map.get_mut("oneOf") {
                choices.iter_mut().for_each(name_a_one_key_choice);
            }
            map.values_mut().for_each(name_the_choices);
        }
        Value::Array(items) => items.iter_mut().for_each(name_the_choices),
        _ => {}
    }
}

fn name_a_one_key_choice(choice: &mut Value) {
    let Value::Object(map) = choice else {
        return;
    };
    let key = match map
        .get("required")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([Value::String(key)]) => key.clone(),
        _ => return,
    };
    let one_key = map
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|properties| properties.len() == 1);
    if one_key && !map.contains_key("title") {
        map.insert("title".into(), Value::String(format!("{key}: …")));
    }
}

/// Lets `property` be null too, keeping its description and default where a reader sees them.
fn nullable(property: &mut Value) {
    let Value::Object(map) = property else {
        return;
    };
    let null = json!({ "type": "null" });
    match map.get_mut("type") {
        Some(Value::String(kind)) => {
            let kind = Value::String(std::mem::take(kind));
            map.insert("type".into(), json!([kind, "null"]));
        }
        Some(Value::Array(kinds)) => {
            if !kinds.contains(&json!("null")) {
                kinds.push(json!("null"));
            }
        }
        Some(_) => {}
        None => match map.get_mut("anyOf") {
            Some(Value::Array(choices)) => {
                if !choices.contains(&null) {
                    choices.push(null);
                }
            }
            _ => {
                let mut inner = std::mem::take(map);
                for kept in ["description", "default"] {
                    if let Some(value) = inner.remove(kept) {
                        map.insert(kept.into(), value);
                    }
                }
                map.insert(
                    "anyOf".into(),
                    Value::Array(vec![Value::Object(inner), null]),
                );
            }
        },
    }
}

#[cfg(test)]
mod tests;
