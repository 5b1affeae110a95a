//! YAML text -> `ScenarioFile`, with serde's errors turned into located errors with hints.

use super::model::ScenarioFile;
use super::source::{ScenarioError, SourceText, did_you_mean};

/// Reads the structure of a scenario; nothing is checked beyond its shape.
pub fn parse(source: &SourceText) -> Result<ScenarioFile, Box<ScenarioError>> {
    if source.text().trim().is_empty() {
        return Err(source.error_at_line(
            1,
            1,
            "the scenario file is empty",
            Some("a scenario needs at least `name`, `topics`, `actors` and `timeline`".to_owned()),
        ));
    }
    // Steps and actors are written as single-key mappings (`- start: consumer1`).
    let document = serde_yaml::Deserializer::from_str(source.text());
    serde_yaml::with::singleton_map_recursive::deserialize(document)
        .map_err(|e| located(source, &e))
}

fn located(source: &SourceText, error: &serde_yaml::Error) -> Box<ScenarioError> {
    let (line, column) = error
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    let full = error.to_string();
    let message = strip_location(&full);
    // Our own value errors end in "; write e.g. ...": that part is the hint.
    match message.split_once("; write ") {
        Some((message, advice)) => {
            source.error_at_line(line, column, message, Some(format!("write {advice}")))
        }
        None => source.error_at_line(line, column, message, hint_for(message)),
    }
}

/// serde_yaml appends " at line L column C" to its messages; the location is reported separately.
pub fn strip_location(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}

/// For "unknown field `x`, expected one of `a`, `b`" (and the same for variants), the closest
/// expected word; for missing fields, what to add.
fn hint_for(message: &str) -> Option<String> {
    if let Some(field) = between(message, "missing field `", "`") {
        return Some(format!("add `{field}:`"));
    }
    let unknown = between(message, "unknown field `", "`")
        .or_else(|| between(message, "unknown variant `", "`"))?;
    let expected: Vec<&str> = message
        .split_once("expected")?
        .1
        .split('`')
        .skip(1)
        .step_by(2)
        .collect();
    match did_you_mean(unknown, expected.iter().copied()) {
        Some(close) => Some(format!("did you mean `{close}`?")),
        None => Some(format!("expected one of: {}", expected.join(", "))),
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &text[text.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}
