//! The scenario format in an editor, asked of the language server editors use for YAML
//! (yaml-language-server, from npm; VS Code's YAML extension, Neovim, Helix and Zed run it), as
//! an editor asks it when a scenario file is opened:
//! - every scenario of the repository, and every file of `tests/schema/accepted/`, opens with
//!   no diagnostic at all;
//! - every file of `tests/schema/bad/` opens with an error from the schema;
//! - a misspelt top-level key and a misspelt step are marked where they are, naming the key;
//! - completion in an empty step offers every kind of step with its doc comment, and at the top
//!   level the sections not yet written;
//! - hovering a key shows its doc comment.
//!
//! What is expected is read from the published schema, so that a step added to the format is
//! expected too. Without the server the tests are ignored with the reason
//! (`KAFKA_SCENARIO_REQUIRE=language-server` fails them).

mod common;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use common::language_server::LanguageServer;
use common::requirements::{Component, needing};
use common::{repo_scenarios, schema_line, yaml_files};
use kafka_scenario::scenario::schema::SCHEMA_PATH;
use libtest_mimic::{Arguments, Failed};
use serde_json::Value;

fn main() -> ExitCode {
    let arguments = Arguments::from_args();
    let trials = [
        (
            "accepts_every_repo_scenario",
            accepts_the_repo as fn() -> Result<(), Failed>,
        ),
        ("accepts_the_accepted_set", accepts_the_accepted_set),
        ("marks_every_bad_file", marks_every_bad_file),
        ("marks_a_misspelt_key_where_it_is", marks_a_misspelt_key),
        ("marks_a_misspelt_step_where_it_is", marks_a_misspelt_step),
        ("completes_every_step_with_its_doc", completes_every_step),
        ("completes_the_sections_not_written", completes_sections),
        ("explains_a_key_on_hover", explains_on_hover),
    ]
    .into_iter()
    .map(|(name, test)| needing(Component::LanguageServer, format!("editor::{name}"), test))
    .collect();
    libtest_mimic::run(&arguments, trials).exit_code()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The published schema, from which the expected completions and hover texts are read.
fn schema() -> Result<Value, Failed> {
    let text = std::fs::read_to_string(root().join(SCHEMA_PATH))?;
    Ok(serde_json::from_str(&text)?)
}

/// A file's text as an editor would show it, with the schema line put first where the file
/// has none (the sets of `tests/schema/` leave it out, as check-jsonschema is told the schema).
fn text_with_schema_line(file: &Path) -> Result<String, Failed> {
    let text = std::fs::read_to_string(file)?;
    if text.starts_with("# yaml-language-server:") {
        Ok(text)
    } else {
        Ok(format!("{}\n{text}", schema_line(file)))
    }
}

/// Every diagnostic the server publishes for each file, opened as it is.
fn diagnostics_of(files: &[PathBuf]) -> Result<Vec<(PathBuf, Vec<Value>)>, Failed> {
    let mut server = LanguageServer::start()?;
    let mut found = Vec::new();
    for file in files {
        let uri = server.open(file, &text_with_schema_line(file)?)?;
        found.push((file.clone(), server.diagnostics(&uri)?));
    }
    Ok(found)
}

fn none_marked(files: &[PathBuf]) -> Result<(), Failed> {
    assert!(!files.is_empty(), "no files to open");
    let marked: Vec<String> = diagnostics_of(files)?
        .into_iter()
        .filter(|(_, diagnostics)| !diagnostics.is_empty())
        .map(|(file, diagnostics)| format!("{}: {diagnostics:?}", file.display()))
        .collect();
    if marked.is_empty() {
        Ok(())
    } else {
        Err(marked.join("\n").into())
    }
}

fn accepts_the_repo() -> Result<(), Failed> {
    none_marked(&repo_scenarios())
}

fn accepts_the_accepted_set() -> Result<(), Failed> {
    none_marked(&yaml_files(&root().join("tests/schema/accepted")))
}

/// A diagnostic the schema gave (not a YAML syntax error).
fn from_the_schema(diagnostic: &Value) -> bool {
    diagnostic["source"]
        .as_str()
        .is_some_and(|source| source.starts_with("yaml-schema"))
}

fn marks_every_bad_file() -> Result<(), Failed> {
    let files = yaml_files(&root().join("tests/schema/bad"));
    assert!(!files.is_empty(), "tests/schema/bad/ holds no file");
    let unmarked: Vec<String> = diagnostics_of(&files)?
        .into_iter()
        .filter(|(_, diagnostics)| !diagnostics.iter().any(from_the_schema))
        .map(|(file, diagnostics)| format!("{}: {diagnostics:?}", file.display()))
        .collect();
    if unmarked.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "opened without an error from the schema:\n{}",
            unmarked.join("\n")
        )
        .into())
    }
}

/// scenarios/rebalance.yaml as an editor holds it with `line` put before its zero-based line
/// `at`, and where it is (so that its schema line points at the schema).
fn rebalance_with(line: &str, at: usize) -> Result<(PathBuf, String), Failed> {
    let file = root().join("scenarios/rebalance.yaml");
    let mut lines: Vec<String> = std::fs::read_to_string(&file)?
        .lines()
        .map(str::to_owned)
        .collect();
    lines.insert(at, line.to_owned());
    Ok((file, lines.join("\n") + "\n"))
}

/// The zero-based line of rebalance.yaml's first step.
fn first_step_line() -> Result<usize, Failed> {
    let text = std::fs::read_to_string(root().join("scenarios/rebalance.yaml"))?;
    let timeline = text
        .lines()
        .position(|line| line == "timeline:")
        .ok_or("rebalance.yaml has no `timeline:` line")?;
    Ok(timeline + 1)
}

/// Asserts that the server marks `word`, put in by `rebalance_with(line, at)`, on line `at`
/// from column `column`, naming it.
fn marked_at(line: &str, at: usize, word: &str, column: usize) -> Result<(), Failed> {
    let (file, text) = rebalance_with(line, at)?;
    let mut server = LanguageServer::start()?;
    let uri = server.open(&file, &text)?;
    let diagnostics = server.diagnostics(&uri)?;
    let here = diagnostics.iter().any(|d| {
        from_the_schema(d)
            && d["range"]["start"]["line"] == at
            && d["range"]["start"]["character"] == column
            && d["message"].as_str().is_some_and(|m| m.contains(word))
    });
    if here {
        Ok(())
    } else {
        Err(format!("no error naming `{word}` at {at}:{column}: {diagnostics:?}").into())
    }
}

fn marks_a_misspelt_key() -> Result<(), Failed> {
    // After the schema line and `name:`.
    marked_at("topcs: 3", 2, "topcs", 0)
}

fn marks_a_misspelt_step() -> Result<(), Failed> {
    let at = first_step_line()?;
    marked_at("  - strat: consumer1", at, "strat", 4)
}

/// The documentation text of a completion item or hover, markdown or plain.
fn documentation(item: &Value) -> &str {
    let documentation = &item["documentation"];
    documentation["value"]
        .as_str()
        .or_else(|| documentation.as_str())
        .unwrap_or_default()
}

/// The first line of a schema description, which the server shows as its first line.
fn first_line(description: &Value) -> &str {
    description
        .as_str()
        .and_then(|d| d.lines().next())
        .unwrap_or_default()
}

fn completes_every_step() -> Result<(), Failed> {
    let schema = schema()?;
    let steps = schema["definitions"]["Step"]["oneOf"]
        .as_array()
        .ok_or("the schema has no Step choices")?;
    let at = first_step_line()?;
    let (file, text) = rebalance_with("  - ", at)?;
    let mut server = LanguageServer::start()?;
    let uri = server.open(&file, &text)?;
    let items = server.completions(&uri, at, 4)?;
    let mut missing = Vec::new();
    for step in steps {
        let title = step["title"].as_str().ok_or("a step without a title")?;
        let doc = first_line(&step["description"]);
        let offered = items
            .iter()
            .any(|item| item["label"] == title && documentation(item).starts_with(doc));
        if !offered {
            missing.push(format!("{title} ({doc})"));
        }
    }
    if steps.is_empty() || !missing.is_empty() {
        return Err(format!(
            "completion in an empty step lacks {missing:?} among {} steps; it offered {:?}",
            steps.len(),
            items.iter().map(|i| &i["label"]).collect::<Vec<_>>()
        )
        .into());
    }
    Ok(())
}

fn completes_sections() -> Result<(), Failed> {
    let schema = schema()?;
    let file = root().join("scenarios/rebalance.yaml");
    let text = std::fs::read_to_string(&file)?;
    let written: Vec<&str> = text
        .lines()
        .filter_map(|line| line.split_once(':').map(|(key, _)| key))
        .filter(|key| !key.starts_with([' ', '#', '-']))
        .collect();
    let sections = schema["properties"]
        .as_object()
        .ok_or("the schema has no properties")?;
    let unwritten: Vec<&String> = sections
        .keys()
        .filter(|key| !written.contains(&key.as_str()))
        .collect();
    let (file, text) = rebalance_with("", 2)?;
    let mut server = LanguageServer::start()?;
    let uri = server.open(&file, &text)?;
    let items = server.completions(&uri, 2, 0)?;
    let labels: Vec<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    let lacking: Vec<&&String> = unwritten
        .iter()
        .filter(|key| !labels.contains(&key.as_str()))
        .collect();
    let repeated: Vec<&&str> = written.iter().filter(|key| labels.contains(key)).collect();
    if unwritten.is_empty() || !lacking.is_empty() || !repeated.is_empty() {
        return Err(format!(
            "at the top level, of {unwritten:?} not written the server lacks {lacking:?} and offers \
             {repeated:?} already written; it offered {labels:?}"
        )
        .into());
    }
    Ok(())
}

fn explains_on_hover() -> Result<(), Failed> {
    let schema = schema()?;
    let doc = first_line(&schema["properties"]["timeline"]["description"]);
    let at = first_step_line()? - 1;
    let file = root().join("scenarios/rebalance.yaml");
    let text = std::fs::read_to_string(&file)?;
    let mut server = LanguageServer::start()?;
    let uri = server.open(&file, &text)?;
    let shown = server.hover(&uri, at, 2)?;
    if doc.is_empty() || !shown.contains(doc) {
        return Err(format!("hovering `timeline` shows {shown:?}, not {doc:?}").into());
    }
    Ok(())
}
