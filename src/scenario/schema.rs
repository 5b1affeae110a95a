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
    let mut text =
        serde_json::to_string_pretty(&schema).expect("a JSON value with string keys serializes");
    text.push('\n');
    text
}
