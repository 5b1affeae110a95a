//! Architecture guard: keeps the crate's layering true by reading its source.
//!
//! The crate is built in layers, each standing only on those before it: `scenario`, `record`,
//! `cluster`, `actor`, `run`, then `outcome`, `expect` and `report`, wired together by `lib.rs`,
//! `main.rs` and the binary's `cli/`. Nothing in the compiler stops a module from importing one
//! further on (a client reaching into the executor, a judge reaching into a reporter), and each
//! such import makes the next one cheaper; this file turns the intended direction into two tests
//! that fail when it is broken:
//!
//! - `layering_holds`: every path into the crate (`crate::…`, a `super::` chain that climbs out of
//!   its folder, grouped `use` trees and inline paths alike) goes only where [`LAYERS`] allows, and
//!   every top-level module under `src/` has a row in that table;
//! - `no_file_imports_in_a_circle`: no `.rs` file reaches itself again through the items it names.
//!
//! Both list every violation, with file and line, instead of stopping at the first. The scanner
//! is small and std-only; its own tests at the end of the file make sure it finds what it must,
//! so that the architecture tests cannot pass by finding nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------
// The layering table
// ---------------------------------------------------------------------------------------------

/// What a top-level module may import besides itself.
#[derive(Debug, Clone, Copy)]
enum Uses {
    /// Anything in the crate: the top that wires the pipeline together.
    Anything,
    /// Only these.
    Only {
        /// Top-level modules it may import freely. [`ROOT`] stands for the crate root's own items
        /// (`crate::Finished`, the re-exports in `lib.rs`).
        modules: &'static [&'static str],
        /// Top-level modules it may import only some items of: (module, the items' names).
        items: &'static [(&'static str, &'static [&'static str])],
    },
}

/// One row of the layering table.
#[derive(Debug, Clone, Copy)]
struct Rule {
    /// The top-level module: a folder `src/<module>/` or a file `src/<module>.rs`.
    module: &'static str,
    /// What it may import besides itself.
    uses: Uses,
}

/// The name that stands for a crate root's own items (`crate::Finished`, `crate::Plan`) in
/// [`Uses::Only::modules`]. In the binary's crate the root is `main`.
const ROOT: &str = "lib";

/// A rule that allows whole modules only.
const fn only(modules: &'static [&'static str]) -> Uses {
    Uses::Only {
        modules,
        items: &[],
    }
}

/// `scenario`, the file format (parse, validate, plan): nothing else in the crate. A scenario is
/// loaded, checked and planned without a broker, a client or a run, and every other layer reads
/// plans; the format knowing nothing of running or brokers is what lets all of them stand on it.
const SCENARIO: Rule = Rule {
    module: "scenario",
    uses: only(&[]),
};

/// `record`, the event log and everything that writes or reads it (events, batches, names, ids,
/// live state, the run record, process output): the scenario only. Actors and the runner write it,
/// outcome, expect and the reporters read it; it must know none of them, or a judge reading a
/// record would pull in the executor and the clients.
const RECORD: Rule = Rule {
    module: "record",
    uses: only(&["scenario"]),
};

/// `cluster`, where brokers come from: the scenario (what brokers it needs) and the record (what a
/// cluster logs). It provides brokers to clients and the runner and must not depend on either.
const CLUSTER: Rule = Rule {
    module: "cluster",
    uses: only(&["scenario", "record"]),
};

/// `actor`, the clients acting on the timeline: the scenario, the record they write, and the
/// cluster they connect to. They are driven by `run`; reaching back into it would make the
/// executor and its clients one tangle. What both need belongs in `record`.
const ACTOR: Rule = Rule {
    module: "actor",
    uses: only(&["scenario", "record", "cluster"]),
};

/// `run`, the timeline executor: drives the cluster and the actors and writes the record. It
/// judges nothing and reports nothing (outcome, expect and report come after it), so a run can be
/// observed and judged in any way without the executor changing.
const RUN: Rule = Rule {
    module: "run",
    uses: only(&["scenario", "record", "cluster", "actor"]),
};

/// `outcome`, event log -> normalised `Outcome`: a function of the plan and the record only. It
/// must not know how the record was made (cluster, actors, run) nor how it is judged (`expect`).
const OUTCOME: Rule = Rule {
    module: "outcome",
    uses: only(&["scenario", "record"]),
};

/// `expect`, expectations -> failures and a verdict: judges the plan's expectations against the
/// record and the outcome. It never runs anything and never renders anything.
const EXPECT: Rule = Rule {
    module: "expect",
    uses: only(&["scenario", "record", "outcome"]),
};

/// `report` (terminal, junit, json, html): renders what was planned, recorded, normalised and
/// judged, and the crate root's results (`crate::Finished`). It must never drive a run, so from
/// `run` it sees only the observer contract, [`REPORT_MAY_USE_OF_RUN`].
const REPORT: Rule = Rule {
    module: "report",
    uses: Uses::Only {
        modules: &["scenario", "record", "outcome", "expect", ROOT],
        items: &[("run", REPORT_MAY_USE_OF_RUN)],
    },
};

/// The only items of `run` that `report` may name: the observer contract through which a running
/// timeline tells a live reporter how it goes. A reporter implements `Observer` and reads the
/// `StepNote`s and `StepProgress`es it is handed; anything else in `run` (the executor `run`,
/// `Silent`, its errors, its internals) would let a reporter start, steer or depend on a run.
const REPORT_MAY_USE_OF_RUN: &[&str] = &["Observer", "StepNote", "StepProgress"];

/// `lib.rs`, the library's root: anything. It wires the pipeline (`kafka_scenario::run` runs,
/// builds the outcome and judges) and re-exports its front door.
const LIB: Rule = Rule {
    module: "lib",
    uses: Uses::Anything,
};

/// `main.rs`, the `scenario-run` binary: anything. It is the CLI on top of everything.
const MAIN: Rule = Rule {
    module: "main",
    uses: Uses::Anything,
};

/// `cli/`, the binary's own modules (choosing the target, the profile file, running an
/// invocation): anything, like `main.rs`; the library never imports them.
const CLI: Rule = Rule {
    module: "cli",
    uses: Uses::Anything,
};

/// The layering table: every top-level module under `src/` and what it may import besides
/// itself. A folder or file added under `src/` fails `layering_holds` until it has a row here.
const LAYERS: &[Rule] = &[
    SCENARIO, RECORD, CLUSTER, ACTOR, RUN, OUTCOME, EXPECT, REPORT, LIB, MAIN, CLI,
];

/// The fewest `crate::` references a scan of `src/` must find; fewer means the scanner broke.
const MIN_CRATE_REFERENCES: usize = 100;

/// The most file cycles listed; past it, the message says that more were left out.
const MAX_CYCLES_SHOWN: usize = 100;

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

/// Every import goes where [`LAYERS`] allows, and every top-level module has a row in it.
#[test]
fn layering_holds() {
    let tree = Tree::read();
    let mut failures = Vec::new();

    let unknown: Vec<&String> = tree.tops.iter().filter(|top| rule(top).is_none()).collect();
    for top in &unknown {
        failures.push(format!(
            "src/{top}: the top-level module `{top}` is not in the layering table; add it to the \
             layering table (LAYERS in tests/architecture.rs) with the modules it may import"
        ));
    }

    let mut crate_references = 0;
    let mut imports = 0;
    let mut by_line: BTreeMap<((String, usize), String), Vec<String>> = BTreeMap::new();
    for file in &tree.files {
        for reference in references(&file.text) {
            if reference.segments.first().is_some_and(|s| s == "crate") {
                crate_references += 1;
            }
            if let Some(Violation { at, why, import }) = tree.layering_violation(file, &reference) {
                imports += 1;
                by_line.entry((at, why)).or_default().push(import);
            }
        }
    }
    assert!(
        crate_references >= MIN_CRATE_REFERENCES,
        "the scan of src/ found only {crate_references} `crate::` references (at least \
         {MIN_CRATE_REFERENCES} expected): the scanner is broken, not the layering"
    );
    for (((file, line), why), imports) in &by_line {
        failures.push(format!("{file}:{line}: {why}: {}", imports.join(", ")));
    }

    assert!(
        failures.is_empty(),
        "{} layering violation(s): {} top-level module(s) missing from the table, {imports} \
         import(s) against it on {} line(s) (rules: LAYERS in tests/architecture.rs):\n{}",
        failures.len(),
        unknown.len(),
        by_line.len(),
        failures.join("\n")
    );
}

/// No `.rs` file under `src/` reaches itself again through the items it names.
#[test]
fn no_file_imports_in_a_circle() {
    let tree = Tree::read();
    let graph = tree.file_graph();
    let edges: usize = graph.values().map(BTreeMap::len).sum();
    assert!(
        edges >= MIN_CRATE_REFERENCES / 2,
        "the file graph of src/ has only {edges} edges: the scanner is broken, not the layering"
    );

    let (cycles, more) = cycles(&graph, MAX_CYCLES_SHOWN);
    if cycles.is_empty() {
        return;
    }
    let mut message = format!(
        "{} import cycle(s) between files under src/ (a module file's references through the \
         children it declares do not count, a child's up to its parent do; tests.rs files and \
         `#[cfg(test)] mod tests` are left out):\n",
        cycles.len()
    );
    for (number, cycle) in cycles.iter().enumerate() {
        message.push_str(&format!("cycle {}:\n", number + 1));
        for (at, &from) in cycle.iter().enumerate() {
            let to = cycle[(at + 1) % cycle.len()];
            let edge = &graph[&from][&to];
            message.push_str(&format!(
                "  {}:{} -> {} (`{}`)\n",
                tree.files[from].shown, edge.line, tree.files[to].shown, edge.path
            ));
        }
    }
    if more {
        message.push_str(&format!(
            "... and more: only the first {MAX_CYCLES_SHOWN} cycles are listed\n"
        ));
    }
    panic!("{message}");
}

// ---------------------------------------------------------------------------------------------
// The source tree
// ---------------------------------------------------------------------------------------------

/// The crate a file is compiled into: the library or the `scenario-run` binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Crate {
    /// Rooted at `src/lib.rs`.
    Lib,
    /// Rooted at `src/main.rs`: the files `main.rs` declares with `mod`.
    Bin,
}

/// One `.rs` file under `src/`.
#[derive(Debug)]
struct SourceFile {
    /// Its path from the package root with `/`, for messages: `src/run/mod.rs`.
    shown: String,
    /// The crate it is compiled into.
    krate: Crate,
    /// Its module path from its crate's root: `[]` for `lib.rs`, `["run", "faults"]` for
    /// `src/run/faults.rs`.
    module: Vec<String>,
    /// The top-level module it belongs to: `run` for `src/run/...`, `lib` for `src/lib.rs`.
    top: String,
    /// A test-only file: `tests.rs`, or a file under a `tests/` folder.
    test_only: bool,
    /// Its text.
    text: String,
}

/// An import against the layering table.
#[derive(Debug, Clone)]
struct Violation {
    /// The file (as shown) and line it stands on.
    at: (String, usize),
    /// The rule it breaks, for the message.
    why: String,
    /// The import as written (and resolved, for `super::` and `self::`).
    import: String,
}

/// An edge of the file graph: one reference that forms it.
#[derive(Debug, Clone)]
struct Edge {
    /// The line of the reference.
    line: usize,
    /// The reference as written, groups expanded.
    path: String,
}

/// The file graph: from file index to file index, with the first reference forming each edge.
type Graph = BTreeMap<usize, BTreeMap<usize, Edge>>;

/// Every `.rs` file under `src/`, and where each module's file is.
#[derive(Debug)]
struct Tree {
    /// The files, sorted by path.
    files: Vec<SourceFile>,
    /// Each module's file: (crate, module path) -> index in `files`.
    modules: BTreeMap<(Crate, Vec<String>), usize>,
    /// The top-level names found under `src/`: folders holding `.rs` files, and `.rs` files.
    tops: BTreeSet<String>,
}

impl Tree {
    /// Reads `src/` of this package.
    fn read() -> Tree {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let src = root.join("src");
        let mut paths = Vec::new();
        rust_files(&src, &mut paths);
        paths.sort();

        let main = src.join("main.rs");
        let bin_modules: BTreeSet<String> = match fs::read_to_string(&main) {
            Ok(text) => declared_modules(&text)
                .into_iter()
                .filter(|(scope, _)| scope.is_empty())
                .map(|(_, name)| name)
                .collect(),
            Err(_) => BTreeSet::new(),
        };

        let mut files = Vec::new();
        let mut modules = BTreeMap::new();
        let mut tops = BTreeSet::new();
        for path in paths {
            let relative = path
                .strip_prefix(&src)
                .expect("a file found under src/ is under src/");
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let parts: Vec<String> = relative
                .iter()
                .map(|part| part.to_string_lossy().into_owned())
                .collect();
            let top = parts[0].trim_end_matches(".rs").to_owned();
            let krate = if top == "main" || bin_modules.contains(&top) {
                Crate::Bin
            } else {
                Crate::Lib
            };
            let module = module_path(&parts);
            let test_only = parts.last().is_some_and(|name| name == "tests.rs")
                || parts[..parts.len() - 1].iter().any(|dir| dir == "tests");
            modules.insert((krate, module.clone()), files.len());
            tops.insert(top.clone());
            files.push(SourceFile {
                shown: format!("src/{}", parts.join("/")),
                krate,
                module,
                top,
                test_only,
                text,
            });
        }
        Tree {
            files,
            modules,
            tops,
        }
    }

    /// The file of the longest module path that `path` starts with, and that prefix's length.
    fn module_file(&self, krate: Crate, path: &[String]) -> Option<(usize, usize)> {
        (0..=path.len()).rev().find_map(|len| {
            self.modules
                .get(&(krate, path[..len].to_vec()))
                .map(|&file| (file, len))
        })
    }

    /// The top-level module an absolute path goes into: its first segment when that is a
    /// top-level module, else the crate root (`lib`, or `main` in the binary).
    fn target_top(&self, krate: Crate, path: &[String]) -> String {
        match path.first() {
            Some(first) if self.tops.contains(first) || rule(first).is_some() => first.clone(),
            _ if krate == Crate::Bin => "main".to_owned(),
            _ => ROOT.to_owned(),
        }
    }

    /// Why `reference`, found in `file`, breaks the layering; `None` when it does not.
    fn layering_violation(&self, file: &SourceFile, reference: &Reference) -> Option<Violation> {
        let Some(Uses::Only { modules, items }) = rule(&file.top).map(|rule| rule.uses) else {
            return None; // Anything, or a module missing from the table (reported on its own).
        };
        let path = absolute(&file.module, reference)?;
        let target = self.target_top(file.krate, &path);
        if target == file.top || modules.contains(&target.as_str()) {
            return None;
        }
        let top = &file.top;
        let written = reference.segments.join("::");
        let import = if reference.segments.first().is_some_and(|s| s == "crate") {
            format!("`{written}`")
        } else {
            format!("`{written}` (= crate::{})", path.join("::"))
        };
        let at = (file.shown.clone(), reference.line);
        if let Some((_, allowed)) = items.iter().find(|(module, _)| *module == target) {
            let item = self
                .module_file(file.krate, &path)
                .and_then(|(_, len)| path.get(len));
            if item.is_some_and(|item| allowed.contains(&item.as_str())) {
                return None;
            }
            let why = format!(
                "`{top}` may import from `{target}` only {} (its allow-list next to the table)",
                allowed.join(", ")
            );
            return Some(Violation { at, why, import });
        }
        let may: Vec<String> = modules
            .iter()
            .map(|module| (*module).to_owned())
            .chain(
                items
                    .iter()
                    .map(|(module, names)| format!("{module} (only {})", names.join(", "))),
            )
            .collect();
        let may = if may.is_empty() {
            "nothing else in the crate".to_owned()
        } else {
            may.join(", ")
        };
        let why = format!("`{top}` may not import `{target}` (`{top}` may import: {may})");
        Some(Violation { at, why, import })
    }

    /// The file graph of the non-test files: an edge from A to B when A names an item of B's
    /// module. A module file's references through the children it declares (`mod local;` then
    /// `pub use local::own::OwnKafka`) are its table of contents, not edges: so nothing leaves
    /// `lib.rs` or `main.rs`. A child's references up to its parent are edges.
    fn file_graph(&self) -> Graph {
        let mut graph = Graph::new();
        for (from, file) in self.files.iter().enumerate() {
            if file.test_only {
                continue;
            }
            let edges = graph.entry(from).or_default();
            for reference in references(before_test_module(&file.text)) {
                let Some(path) = absolute(&file.module, &reference) else {
                    continue;
                };
                let Some((to, len)) = self.module_file(file.krate, &path) else {
                    continue;
                };
                let target = &self.files[to];
                let own_subtree =
                    len > file.module.len() && path[..file.module.len()] == file.module[..];
                if to == from || target.test_only || own_subtree {
                    continue;
                }
                edges.entry(to).or_insert_with(|| Edge {
                    line: reference.line,
                    path: reference.segments.join("::"),
                });
            }
        }
        graph
    }
}

/// The row of the layering table for a top-level module.
fn rule(module: &str) -> Option<Rule> {
    LAYERS.iter().copied().find(|rule| rule.module == module)
}

/// Appends every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file from the parts of its path under `src/`: `run/faults.rs` and
/// `run/faults/mod.rs` are `run::faults`; `lib.rs` and `main.rs` are their crate's root.
fn module_path(parts: &[String]) -> Vec<String> {
    let mut module: Vec<String> = parts.to_vec();
    if let Some(last) = module.pop() {
        let stem = last.trim_end_matches(".rs");
        let root = module.is_empty() && (stem == "lib" || stem == "main");
        if stem != "mod" && !root {
            module.push(stem.to_owned());
        }
    }
    module
}

/// The source up to a `#[cfg(test)]` line followed by `mod tests` (the test module's
/// declaration, which by convention ends a file): what the non-test code names.
fn before_test_module(source: &str) -> &str {
    let lines: Vec<&str> = source.split_inclusive('\n').collect();
    let mut offset = 0;
    for (at, line) in lines.iter().enumerate() {
        if line.trim() == "#[cfg(test)]" {
            let next = lines[at + 1..]
                .iter()
                .map(|line| line.trim())
                .find(|line| !line.is_empty() && !line.starts_with("#["));
            if next.is_some_and(|next| next.starts_with("mod tests")) {
                return &source[..offset];
            }
        }
        offset += line.len();
    }
    source
}

/// The absolute module path (from its crate's root) a reference names, made in the module
/// `module` of a file; `None` when `super` climbs above the root.
fn absolute(module: &[String], reference: &Reference) -> Option<Vec<String>> {
    let mut here: Vec<String> = module.iter().chain(&reference.scope).cloned().collect();
    let mut rest = &reference.segments[..];
    if rest.first().is_some_and(|first| first == "crate") {
        here.clear();
        rest = &rest[1..];
    }
    while let Some(first) = rest.first() {
        match first.as_str() {
            "self" => {}
            "super" => {
                here.pop()?;
            }
            _ => break,
        }
        rest = &rest[1..];
    }
    here.extend(rest.iter().cloned());
    Some(here)
}

// ---------------------------------------------------------------------------------------------
// The scanner
// ---------------------------------------------------------------------------------------------

/// A path into the crate found in code.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    /// The line it stands on (of its own segment, inside a `use` group).
    line: usize,
    /// The inline modules (`mod name { ... }`) it stands in, outermost first.
    scope: Vec<String>,
    /// Its segments as written, groups expanded: `crate`, `super` or `self` first (a path into
    /// a child module the file declares gets `self` in front); `self` in a group and a glob name
    /// the module before them.
    segments: Vec<String>,
}

/// One token of code: an identifier, `::`, a number or a single punctuation character.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    /// Its text.
    text: String,
    /// Its line, from 1.
    line: usize,
}

/// Every path into the crate in `source`: those starting `crate::`, `$crate::`, `super::` or
/// `self::`, and those starting with a child module the file declares (`mod events;` then
/// `events::Event`), outside comments and literals. `use` groups are expanded, nested ones too.
fn references(source: &str) -> Vec<Reference> {
    let tokens = tokens(&code_only(source));
    let declared = declared_in(&tokens);
    let mut found = Vec::new();
    let mut scopes = ScopeStack::default();
    let mut at = 0;
    while at < tokens.len() {
        let text = tokens[at].text.as_str();
        scopes.see(&tokens, at);
        let previous = if at > 0 {
            tokens[at - 1].text.as_str()
        } else {
            ""
        };
        let visibility = previous == "in" && at >= 2 && tokens[at - 2].text == "(";
        let starts = tokens.get(at + 1).is_some_and(|next| next.text == "::")
            && previous != "::"
            && previous != "."
            && !visibility
            && (matches!(text, "crate" | "super" | "self")
                || declared.contains(&(scopes.path(), text.to_owned())));
        if !starts {
            at += 1;
            continue;
        }
        let prefix = if matches!(text, "crate" | "super" | "self") {
            Vec::new()
        } else {
            vec!["self".to_owned()]
        };
        let mut leaves = Vec::new();
        at = use_tree(&tokens, at, &prefix, &mut leaves);
        let scope = scopes.path();
        found.extend(leaves.into_iter().map(|(line, segments)| Reference {
            line,
            scope: scope.clone(),
            segments,
        }));
    }
    found
}

/// The modules a file declares (`mod name;` or `mod name { ... }`), each with the inline
/// modules it is declared in.
fn declared_modules(source: &str) -> BTreeSet<(Vec<String>, String)> {
    declared_in(&tokens(&code_only(source)))
}

/// [`declared_modules`] over tokens.
fn declared_in(tokens: &[Token]) -> BTreeSet<(Vec<String>, String)> {
    let mut declared = BTreeSet::new();
    let mut scopes = ScopeStack::default();
    for at in 0..tokens.len() {
        scopes.see(tokens, at);
        if tokens[at].text == "mod"
            && tokens
                .get(at + 1)
                .is_some_and(|name| is_identifier(&name.text))
            && tokens
                .get(at + 2)
                .is_some_and(|end| end.text == ";" || end.text == "{")
        {
            declared.insert((scopes.path(), tokens[at + 1].text.clone()));
        }
    }
    declared
}

/// The braces open at a token, each with the inline module it opens, if any.
#[derive(Debug, Default)]
struct ScopeStack {
    /// One entry per open brace.
    open: Vec<Option<String>>,
}

impl ScopeStack {
    /// Takes note of `tokens[at]` when it opens or closes a brace.
    fn see(&mut self, tokens: &[Token], at: usize) {
        match tokens[at].text.as_str() {
            "{" => {
                let module =
                    (at >= 2 && tokens[at - 2].text == "mod").then(|| tokens[at - 1].text.clone());
                self.open.push(module);
            }
            "}" => {
                self.open.pop();
            }
            _ => {}
        }
    }

    /// The inline modules open now, outermost first.
    fn path(&self) -> Vec<String> {
        self.open.iter().flatten().cloned().collect()
    }
}

/// Reads one use tree or inline path starting at `tokens[at]`, appending each of its leaves (line,
/// `prefix` + segments) to `leaves`; returns the index of the first token after it. Groups are
/// expanded recursively; `self` in a group and a glob name the module before them; a rename
/// (`as x`) and turbofish or call that follows end the path.
fn use_tree(
    tokens: &[Token],
    mut at: usize,
    prefix: &[String],
    leaves: &mut Vec<(usize, Vec<String>)>,
) -> usize {
    let line = tokens.get(at).map_or(0, |token| token.line);
    let mut segments = prefix.to_vec();
    loop {
        match tokens.get(at).map(|token| token.text.as_str()) {
            Some("{") => {
                at += 1;
                loop {
                    match tokens.get(at).map(|token| token.text.as_str()) {
                        None => return at,
                        Some("}") => return at + 1,
                        Some(",") => at += 1,
                        Some(_) => at = use_tree(tokens, at, &segments, leaves).max(at + 1),
                    }
                }
            }
            Some("*") => {
                leaves.push((line, segments));
                return at + 1;
            }
            Some(word) if is_identifier(word) => {
                // `self` in a group names the module before it; elsewhere it starts the path.
                if word != "self" || segments.is_empty() {
                    segments.push(word.to_owned());
                }
                at += 1;
                let more = tokens.get(at).is_some_and(|token| token.text == "::")
                    && tokens.get(at + 1).is_some_and(|token| token.text != "<");
                if more {
                    at += 1;
                    continue;
                }
                let renamed = tokens.get(at).is_some_and(|token| token.text == "as")
                    && tokens
                        .get(at + 1)
                        .is_some_and(|token| is_identifier(&token.text));
                if renamed {
                    at += 2;
                }
                leaves.push((line, segments));
                return at;
            }
            _ => {
                if !segments.is_empty() {
                    leaves.push((line, segments));
                }
                return at;
            }
        }
    }
}

/// Whether a token is an identifier (keywords included).
fn is_identifier(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|first| first == '_' || first.is_alphabetic())
}

/// Whether a character may continue an identifier.
fn continues_identifier(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Splits code (comments and literals already blanked) into tokens with their lines.
fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut line = 1;
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if c == '\n' {
            line += 1;
            at += 1;
        } else if c.is_whitespace() {
            at += 1;
        } else if continues_identifier(c) {
            // `r#name` is the identifier `name`.
            let raw = c == 'r'
                && chars.get(at + 1) == Some(&'#')
                && chars.get(at + 2).is_some_and(|&c| continues_identifier(c));
            let start = if raw { at + 2 } else { at };
            let end = (start..chars.len())
                .find(|&end| !continues_identifier(chars[end]))
                .unwrap_or(chars.len());
            found.push(Token {
                text: chars[start..end].iter().collect(),
                line,
            });
            at = end;
        } else if c == ':' && chars.get(at + 1) == Some(&':') {
            found.push(Token {
                text: "::".to_owned(),
                line,
            });
            at += 2;
        } else {
            found.push(Token {
                text: c.to_string(),
                line,
            });
            at += 1;
        }
    }
    found
}

/// The code of `source` with comments (`//`, `///`, `//!`, nested `/* */`) and the contents of
/// string, raw string and character literals blanked to spaces, newlines kept so that lines still
/// count the same.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut code = String::with_capacity(source.len());
    let blank = |code: &mut String, c: char| code.push(if c == '\n' { '\n' } else { ' ' });
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        let next = chars.get(at + 1).copied();
        if c == '/' && next == Some('/') {
            while at < chars.len() && chars[at] != '\n' {
                code.push(' ');
                at += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while at < chars.len() {
                let pair = (chars[at], chars.get(at + 1).copied());
                if pair == ('/', Some('*')) {
                    depth += 1;
                    code.push_str("  ");
                    at += 2;
                } else if pair == ('*', Some('/')) {
                    depth -= 1;
                    code.push_str("  ");
                    at += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut code, chars[at]);
                    at += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&chars, at) {
            // `r`, the hashes and the quote, then up to a quote followed by as many hashes.
            let open = 1 + hashes + 1;
            code.push_str(&" ".repeat(open));
            at += open;
            while at < chars.len() {
                let closes =
                    chars[at] == '"' && (1..=hashes).all(|k| chars.get(at + k) == Some(&'#'));
                if closes {
                    code.push_str(&" ".repeat(1 + hashes));
                    at += 1 + hashes;
                    break;
                }
                blank(&mut code, chars[at]);
                at += 1;
            }
        } else if c == '"' {
            code.push(' ');
            at += 1;
            while at < chars.len() && chars[at] != '"' {
                if chars[at] == '\\' && at + 1 < chars.len() {
                    code.push(' ');
                    at += 1;
                }
                blank(&mut code, chars[at]);
                at += 1;
            }
            if at < chars.len() {
                code.push(' ');
                at += 1;
            }
        } else if c == '\'' {
            // A character literal ('x', '\n', '\'', '\u{..}'), or else a lifetime or label.
            let end = if next == Some('\\') {
                (at + 3..chars.len().min(at + 13)).find(|&end| chars[end] == '\'')
            } else {
                (chars.get(at + 2) == Some(&'\'')).then_some(at + 2)
            };
            match end {
                Some(end) => {
                    for &c in &chars[at..=end] {
                        blank(&mut code, c);
                    }
                    at = end + 1;
                }
                None => {
                    code.push(c);
                    at += 1;
                }
            }
        } else {
            code.push(c);
            at += 1;
        }
    }
    code
}

/// When a raw string literal (`r"`, `r#"`, `br"`, `cr#"`...) starts at `chars[at]` (its `r`), the
/// number of its hashes.
fn raw_string_start(chars: &[char], at: usize) -> Option<usize> {
    if chars[at] != 'r' {
        return None;
    }
    let before = |k: usize| at.checked_sub(k).map(|i| chars[i]);
    let free = |c: Option<char>| c.is_none_or(|c| !continues_identifier(c));
    let prefixed = matches!(before(1), Some('b' | 'c')) && free(before(2));
    if !(free(before(1)) || prefixed) {
        return None;
    }
    let hashes = chars[at + 1..].iter().take_while(|&&c| c == '#').count();
    (chars.get(at + 1 + hashes) == Some(&'"')).then_some(hashes)
}

// ---------------------------------------------------------------------------------------------
// Cycles
// ---------------------------------------------------------------------------------------------

/// The elementary cycles of a graph, each as its nodes from its smallest one, at most `limit` of
/// them; the flag tells whether more were left out.
fn cycles(graph: &Graph, limit: usize) -> (Vec<Vec<usize>>, bool) {
    let mut found = Vec::new();
    let mut budget = 1_000_000usize;
    for component in strongly_connected(graph) {
        if component.len() < 2 {
            continue;
        }
        for &start in &component {
            let mut path = vec![start];
            cycles_from(
                graph,
                &component,
                start,
                &mut path,
                &mut found,
                limit + 1,
                &mut budget,
            );
        }
    }
    let more = found.len() > limit || budget == 0;
    found.truncate(limit);
    (found, more)
}

/// Depth-first search for the cycles through `start` over nodes of `component` greater than it
/// (so that each cycle is found once, from its smallest node).
fn cycles_from(
    graph: &Graph,
    component: &BTreeSet<usize>,
    start: usize,
    path: &mut Vec<usize>,
    found: &mut Vec<Vec<usize>>,
    limit: usize,
    budget: &mut usize,
) {
    let Some(&here) = path.last() else { return };
    for &next in graph.get(&here).into_iter().flat_map(BTreeMap::keys) {
        if found.len() >= limit || *budget == 0 {
            return;
        }
        *budget -= 1;
        if next == start {
            found.push(path.clone());
        } else if next > start && component.contains(&next) && !path.contains(&next) {
            path.push(next);
            cycles_from(graph, component, start, path, found, limit, budget);
            path.pop();
        }
    }
}

/// The strongly connected components of a graph (Tarjan), each as a set of nodes.
fn strongly_connected(graph: &Graph) -> Vec<BTreeSet<usize>> {
    /// Tarjan's bookkeeping.
    #[derive(Default)]
    struct State {
        /// The next visit number.
        next: usize,
        /// Each visited node's number and lowest reachable number.
        marks: BTreeMap<usize, (usize, usize)>,
        /// The nodes of the components being built.
        stack: Vec<usize>,
        /// Whether a node is on `stack`.
        on_stack: BTreeSet<usize>,
        /// The finished components.
        components: Vec<BTreeSet<usize>>,
    }

    /// Visits `node` and everything reachable from it.
    fn visit(graph: &Graph, node: usize, state: &mut State) {
        let number = state.next;
        state.next += 1;
        state.marks.insert(node, (number, number));
        state.stack.push(node);
        state.on_stack.insert(node);
        for &next in graph.get(&node).into_iter().flat_map(BTreeMap::keys) {
            if !state.marks.contains_key(&next) {
                visit(graph, next, state);
                let low = state.marks[&next].1;
                let mark = state.marks.get_mut(&node).expect("visited");
                mark.1 = mark.1.min(low);
            } else if state.on_stack.contains(&next) {
                let low = state.marks[&next].0;
                let mark = state.marks.get_mut(&node).expect("visited");
                mark.1 = mark.1.min(low);
            }
        }
        let (number, low) = state.marks[&node];
        if number == low {
            let mut component = BTreeSet::new();
            while let Some(top) = state.stack.pop() {
                state.on_stack.remove(&top);
                component.insert(top);
                if top == node {
                    break;
                }
            }
            state.components.push(component);
        }
    }

    let mut state = State::default();
    for &node in graph.keys() {
        if !state.marks.contains_key(&node) {
            visit(graph, node, &mut state);
        }
    }
    state.components.sort();
    state.components
}

// ---------------------------------------------------------------------------------------------
// The scanner's own tests
// ---------------------------------------------------------------------------------------------

/// The segments of every reference in `source`, joined with `::`, with their lines.
fn found(source: &str) -> Vec<(usize, String)> {
    references(source)
        .into_iter()
        .map(|reference| (reference.line, reference.segments.join("::")))
        .collect()
}

/// Strings from string slices, for short expectations.
fn strings(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|&part| part.to_owned()).collect()
}

/// A grouped `use` yields one reference per member.
#[test]
fn scanner_expands_a_grouped_use() {
    assert_eq!(
        found("use crate::{actor::Setting, record::events::Event};\n"),
        [
            (1, "crate::actor::Setting".to_owned()),
            (1, "crate::record::events::Event".to_owned()),
        ]
    );
}

/// Nested groups, `self` in a group, renames and globs, each member on its own line.
#[test]
fn scanner_expands_nested_groups_self_renames_and_globs() {
    let source = "use crate::{\n    a::X as Y,\n    b::{Z, c::{self, W}},\n    d::*,\n};\n";
    assert_eq!(
        found(source),
        [
            (2, "crate::a::X".to_owned()),
            (3, "crate::b::Z".to_owned()),
            (3, "crate::b::c".to_owned()),
            (3, "crate::b::c::W".to_owned()),
            (4, "crate::d".to_owned()),
        ]
    );
}

/// Paths in function bodies, up to a call or a turbofish.
#[test]
fn scanner_finds_inline_paths_in_bodies() {
    let source = "fn f() {\n    let x = crate::actor::setting(1);\n    \
                  let y = super::client_config(x).map(crate::run::Silent::new);\n    \
                  let z = Vec::<u8>::new(); let w = crate::a::B::<u8>::c();\n}\n";
    assert_eq!(
        found(source),
        [
            (2, "crate::actor::setting".to_owned()),
            (3, "super::client_config".to_owned()),
            (3, "crate::run::Silent::new".to_owned()),
            (4, "crate::a::B".to_owned()),
        ]
    );
}

/// `super` chains resolve against the file's module path (`tests.rs` is a module of its own).
#[test]
fn scanner_resolves_a_super_super_climb() {
    let file = strings(&["run", "foo", "tests.rs"]);
    let module = module_path(&file);
    assert_eq!(module, strings(&["run", "foo", "tests"]));
    let climbs = references("use super::super::x::Y;\nuse super::*;\n");
    assert_eq!(climbs[0].segments, strings(&["super", "super", "x", "Y"]));
    assert_eq!(
        absolute(&module, &climbs[0]),
        Some(strings(&["run", "x", "Y"]))
    );
    assert_eq!(
        absolute(&module, &climbs[1]),
        Some(strings(&["run", "foo"]))
    );

    let parent = module_path(&strings(&["run", "foo.rs"]));
    let up = &references("use super::Observer;")[0];
    assert_eq!(absolute(&parent, up), Some(strings(&["run", "Observer"])));
    let too_far = &references("use super::super::super::x;")[0];
    assert_eq!(absolute(&parent, too_far), None);
    assert_eq!(module_path(&strings(&["run", "mod.rs"])), strings(&["run"]));
    assert_eq!(module_path(&strings(&["lib.rs"])), Vec::<String>::new());
}

/// Nothing inside comments, strings, raw strings or character literals, nor a visibility.
#[test]
fn scanner_ignores_comments_strings_and_characters() {
    let source = r##"//! crate::doc::A
/// crate::doc::B
// use crate::line::C;
/* crate::block::D /* nested crate::block::E */ still crate::block::F */
fn f() -> &'static str {
    let quote = '"'; let escaped = '\''; let text = "crate::string::G \" crate::string::H";
    let raw = r#"crate::raw::I "quoted" "#;
    crate::real::J(quote, "
        crate::multiline::K
    ");
    crate::real::L
}
pub(crate) fn g() {}
pub(in crate::visibility) fn h() {}
"##;
    assert_eq!(
        found(source),
        [
            (8, "crate::real::J".to_owned()),
            (11, "crate::real::L".to_owned()),
        ]
    );
}

/// Paths into declared child modules count; inline modules scope `super`; the test module is cut.
#[test]
fn scanner_follows_declared_children_and_inline_modules() {
    let source = "pub mod events;\nuse events::Event;\nuse std::fmt;\n\
                  #[cfg(test)]\nmod tests {\n    use super::*;\n}\n";
    let found = references(source);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].segments, strings(&["self", "events", "Event"]));
    assert_eq!(found[0].scope, Vec::<String>::new());
    assert_eq!(found[1].segments, strings(&["super"]));
    assert_eq!(found[1].scope, strings(&["tests"]));
    let module = strings(&["run", "faults"]);
    assert_eq!(absolute(&module, &found[1]), Some(module.clone()));
    assert_eq!(
        before_test_module(source),
        "pub mod events;\nuse events::Event;\nuse std::fmt;\n"
    );
}

/// Each elementary cycle once, from its smallest node, and the limit is told.
#[test]
fn cycles_are_found_once_each() {
    let edge = || Edge {
        line: 1,
        path: String::new(),
    };
    let mut graph = Graph::new();
    for (from, to) in [(0, 1), (1, 0), (1, 2), (2, 0), (3, 3), (4, 0)] {
        graph.entry(from).or_default().insert(to, edge());
    }
    let (found, more) = cycles(&graph, 10);
    assert_eq!(found, [vec![0, 1], vec![0, 1, 2]]);
    assert!(!more);
    let (found, more) = cycles(&graph, 1);
    assert_eq!(found.len(), 1);
    assert!(more);
}

/// Every module a rule names has a row, none lists itself, and the table has no circle.
#[test]
fn layering_table_is_consistent() {
    let names: BTreeSet<&str> = LAYERS.iter().map(|rule| rule.module).collect();
    assert_eq!(names.len(), LAYERS.len(), "a module has two rows");
    let mut graph = Graph::new();
    let index = |name: &str| LAYERS.iter().position(|rule| rule.module == name);
    for (from, rule) in LAYERS.iter().enumerate() {
        let Uses::Only { modules, items } = rule.uses else {
            continue;
        };
        for used in modules.iter().chain(items.iter().map(|(module, _)| module)) {
            let to = index(used)
                .unwrap_or_else(|| panic!("`{}` may use `{used}`, which has no row", rule.module));
            assert_ne!(to, from, "`{}` lists itself", rule.module);
            graph.entry(from).or_default().insert(
                to,
                Edge {
                    line: 0,
                    path: String::new(),
                },
            );
        }
    }
    let (circles, _) = cycles(&graph, 10);
    assert!(
        circles.is_empty(),
        "the table itself has a circle: {circles:?}"
    );
}
