//! The format's JSON Schema and `scenario-run check`, held against the loader and against a
//! validator that is not ours (check-jsonschema, from PyPI):
//! - the published `schema/scenario.schema.json` is what `scenario-run schema` prints;
//! - every scenario file in the repository starts with the line that points editors at it, and
//!   the independent validator accepts every one of them;
//! - every file of `tests/schema/bad/` (unknown keys, wrong types, misspelt steps) is refused
//!   by both the schema and the loader;
//! - every file of `tests/schema/loose/` passes the schema and is refused by the loader: what
//!   only the loader can know (the actors, topics and groups a step names, the one word a step
//!   takes), written down so that the docs' claim of where the schema is looser stays true;
//! - every file of `tests/schema/accepted/` loads and passes the schema: what the loader takes
//!   beyond the types (numbers where text goes, fractions, optional sections left empty), so
//!   that the schema is never stricter than the loader;
//! - `scenario-run check` exits 0 on the repository's scenarios and 2 with `file:line:column`
//!   on a bad one, connecting nowhere.
//!
//! Without check-jsonschema the tests that need it are ignored with the reason
//! (`KAFKA_SCENARIO_REQUIRE=jsonschema` fails them).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};

use common::requirements::{Component, needing};
use common::{repo_scenarios, schema_line, yaml_files};
use kafka_scenario::LoadError;
use kafka_scenario::scenario::schema::{SCHEMA_PATH, scenario_schema};
use libtest_mimic::{Arguments, Failed, Trial};

fn main() -> ExitCode {
    let arguments = Arguments::from_args();
    let trials = vec![
        Trial::test(
            "the_published_schema_is_current",
            published_schema_is_current,
        ),
        Trial::test(
            "every_repo_scenario_points_editors_at_the_schema",
            every_scenario_points_at_the_schema,
        ),
        Trial::test("the_loader_refuses_the_bad_and_loose_sets", loader_refuses),
        Trial::test("the_loader_accepts_the_accepted_set", loader_accepts),
        Trial::test("check_accepts_the_repo_scenarios", check_accepts_the_repo),
        Trial::test("check_refuses_a_bad_file_with_its_place", check_refuses_bad),
        needing(
            Component::JsonSchema,
            "jsonschema::accepts_every_repo_scenario".into(),
            validator_accepts_the_repo,
        ),
        needing(
            Component::JsonSchema,
            "jsonschema::refuses_every_bad_file".into(),
            validator_refuses_the_bad_set,
        ),
        needing(
            Component::JsonSchema,
            "jsonschema::accepts_the_loose_set_the_loader_refuses".into(),
            validator_accepts_the_loose_set,
        ),
        needing(
            Component::JsonSchema,
            "jsonschema::accepts_what_the_loader_accepts_beyond_the_types".into(),
            validator_accepts_the_accepted_set,
        ),
    ];
    libtest_mimic::run(&arguments, trials).exit_code()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The files of one of `tests/schema/`'s sets; a set that is missing or empty fails the test
/// that reads it, which would otherwise pass having checked nothing.
fn set(name: &str) -> Vec<PathBuf> {
    let files = yaml_files(&root().join("tests/schema").join(name));
    assert!(!files.is_empty(), "tests/schema/{name}/ holds no file");
    files
}

fn published_schema_is_current() -> Result<(), Failed> {
    let path = root().join(SCHEMA_PATH);
    let published = std::fs::read_to_string(&path)
        .map_err(|e| format!("{} is not readable: {e}", path.display()))?;
    if published != scenario_schema() {
        return Err(format!(
            "{SCHEMA_PATH} differs from what `scenario-run schema` prints: run \
             `cargo run --bin scenario-run -- schema > {SCHEMA_PATH}`"
        )
        .into());
    }
    Ok(())
}

fn every_scenario_points_at_the_schema() -> Result<(), Failed> {
    let mut wrong = Vec::new();
    for file in repo_scenarios() {
        let text = std::fs::read_to_string(&file)?;
        let wanted = schema_line(&file);
        if text.lines().next() != Some(wanted.as_str()) {
            wrong.push(format!(
                "{}: its first line is not `{wanted}`",
                file.display()
            ));
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n").into())
    }
}

fn loader_refuses() -> Result<(), Failed> {
    let mut accepted = Vec::new();
    for file in set("bad").into_iter().chain(set("loose")) {
        match kafka_scenario::load(&file) {
            Err(LoadError::Invalid(_)) => {}
            Err(e) => accepted.push(format!("{}: not refused as invalid: {e}", file.display())),
            Ok(_) => accepted.push(format!("{}: loaded", file.display())),
        }
    }
    if accepted.is_empty() {
        Ok(())
    } else {
        Err(accepted.join("\n").into())
    }
}

fn loader_accepts() -> Result<(), Failed> {
    let refused: Vec<String> = set("accepted")
        .into_iter()
        .filter_map(|file| {
            kafka_scenario::load(&file)
                .err()
                .map(|e| format!("{}: {e}", file.display()))
        })
        .collect();
    as_result(refused)
}

fn scenario_run(args: &[&str], files: &[PathBuf]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_scenario-run"))
        .args(args)
        .args(files)
        .output()
}

fn check_accepts_the_repo() -> Result<(), Failed> {
    let files = repo_scenarios();
    let output = scenario_run(&["check"], &files)?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "scenario-run check failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let ok = stdout
        .lines()
        .filter(|line| line.starts_with("ok "))
        .count();
    if ok != files.len() {
        return Err(format!("{ok} lines say ok for {} files:\n{stdout}", files.len()).into());
    }
    Ok(())
}

fn check_refuses_bad() -> Result<(), Failed> {
    let bad = root().join("tests/schema/bad/misspelt-step.yaml");
    let good = root().join("scenarios/rebalance.yaml");
    let output = scenario_run(&["check"], &[good, bad.clone()])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() != Some(2) {
        return Err(format!("expected exit 2, got {}:\n{stderr}", output.status).into());
    }
    let place = format!("{}:9:5", bad.display());
    if !stderr.contains(&place) || !stderr.contains("strat") {
        return Err(format!("stderr does not point at `{place}` and `strat`:\n{stderr}").into());
    }
    Ok(())
}

/// check-jsonschema on `file` against the published schema.
fn validate(file: &Path) -> std::io::Result<Output> {
    Command::new("check-jsonschema")
        .arg("--schemafile")
        .arg(root().join(SCHEMA_PATH))
        .arg(file)
        .output()
}

/// What check-jsonschema says prints before the errors of a file that fails the schema; any
/// other failure (the schema unreadable, the file not YAML) is no verdict.
const REFUSED: &str = "Schema validation errors";

/// The files whose verdict from check-jsonschema is not `valid`, with what it said.
fn verdicts_other_than(files: &[PathBuf], valid: bool) -> Result<Vec<String>, Failed> {
    let mut other = Vec::new();
    for file in files {
        let output = validate(file)?;
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let verdict = if output.status.success() {
            Some(true)
        } else if said.contains(REFUSED) {
            Some(false)
        } else {
            None
        };
        match verdict {
            Some(verdict) if verdict == valid => {}
            Some(_) => other.push(format!(
                "{}: check-jsonschema {} it\n{said}",
                file.display(),
                if valid { "refused" } else { "accepted" },
            )),
            None => other.push(format!(
                "{}: check-jsonschema gave no verdict ({})\n{said}",
                file.display(),
                output.status
            )),
        }
    }
    Ok(other)
}

fn as_result(problems: Vec<String>) -> Result<(), Failed> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

fn validator_accepts_the_repo() -> Result<(), Failed> {
    as_result(verdicts_other_than(&repo_scenarios(), true)?)
}

fn validator_refuses_the_bad_set() -> Result<(), Failed> {
    as_result(verdicts_other_than(&set("bad"), false)?)
}

fn validator_accepts_the_loose_set() -> Result<(), Failed> {
    as_result(verdicts_other_than(&set("loose"), true)?)
}

fn validator_accepts_the_accepted_set() -> Result<(), Failed> {
    as_result(verdicts_other_than(&set("accepted"), true)?)
}
