//! The text of a scenario file and a map from places in its structure to line and column,
//! so that every error can point at what the user wrote.

use std::fmt;
use std::path::{Path, PathBuf};

use marked_yaml::Node;
use miette::{NamedSource, SourceSpan};

/// One step of a path into the YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

impl From<&str> for PathSeg {
    fn from(key: &str) -> Self {
        PathSeg::Key(key.to_owned())
    }
}

impl From<&String> for PathSeg {
    fn from(key: &String) -> Self {
        PathSeg::Key(key.clone())
    }
}

impl From<usize> for PathSeg {
    fn from(index: usize) -> Self {
        PathSeg::Index(index)
    }
}

/// A scenario file's text, with its structure when the text is well-formed YAML.
#[derive(Debug, Clone)]
pub struct SourceText {
    file: PathBuf,
    text: String,
    tree: Option<Node>,
}

/// A bad scenario: where, what, and how to fix it.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ScenarioError {
    /// The file, as given by the user.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// The offending text.
    pub found: String,
    /// How to fix it.
    #[help]
    pub hint: Option<String>,
    #[source_code]
    source_code: NamedSource<String>,
    #[label("{found}")]
    span: SourceSpan,
}

impl ScenarioError {
    /// The error with its source line and hint, for terminals without miette's graphics.
    pub fn plain(&self) -> PlainError<'_> {
        PlainError(self)
    }
}

/// Display adapter: `file:line:col: message`, the source line with a caret, then the hint.
pub struct PlainError<'a>(&'a ScenarioError);

impl fmt::Display for PlainError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        writeln!(f, "{e}")?;
        if let Some(text) = e.source_code.inner().lines().nth(e.line.saturating_sub(1)) {
            writeln!(f, "{:>5} | {text}", e.line)?;
            writeln!(f, "      | {}^", " ".repeat(e.column.saturating_sub(1)))?;
        }
        if let Some(hint) = &e.hint {
            writeln!(f, "  hint: {hint}")?;
        }
        Ok(())
    }
}

impl SourceText {
    /// Keeps the text and, if it parses, its structure with positions.
    pub fn new(file: &Path, text: String) -> SourceText {
        let tree = marked_yaml::parse_yaml(0, &text).ok();
        SourceText {
            file: file.to_owned(),
            text,
            tree,
        }
    }

    /// The file name as given.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The line of the node found by `path` (1 when the structure is unknown).
    pub fn line_of(&self, path: &[PathSeg]) -> usize {
        self.locate(path, false).map_or(1, |(line, _)| line)
    }

    /// An error pointing at the node (or, with `at_key`, the mapping key) found by `path`.
    /// When the path cannot be followed to its end, the error points at the deepest node found.
    pub fn error_at(
        &self,
        path: &[PathSeg],
        at_key: bool,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Box<ScenarioError> {
        let (line, column) = self.locate(path, at_key).unwrap_or((1, 1));
        self.error_at_line(line, column, message, hint)
    }

    /// An error pointing at the first `needle` in the value at `path` (a placeholder inside a
    /// command, a line of a file's contents), or at the value itself if it is not found there.
    pub fn error_at_text(
        &self,
        path: &[PathSeg],
        needle: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Box<ScenarioError> {
        let (line, column) = self.locate(path, false).unwrap_or((1, 1));
        let start = self.offset_of(line, column);
        let Some(found) = self.text[start..].find(needle).map(|at| start + at) else {
            return self.error_at_line(line, column, message, hint);
        };
        let before = &self.text[..found];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = self.text[line_start..found].chars().count() + 1;
        self.error_at_line(line, column, message, hint)
    }

    /// An error pointing at a 1-based line and column.
    pub fn error_at_line(
        &self,
        line: usize,
        column: usize,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Box<ScenarioError> {
        let offset = self.offset_of(line, column);
        let found = token_at(&self.text[offset..]);
        Box::new(ScenarioError {
            file: self.file.display().to_string(),
            line,
            column,
            message: message.into(),
            span: SourceSpan::new(offset.into(), found.len().max(1)),
            found: found.to_owned(),
            hint,
            source_code: NamedSource::new(self.file.display().to_string(), self.text.clone()),
        })
    }

    fn offset_of(&self, line: usize, column: usize) -> usize {
        let line_start: usize = self
            .text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        let line_text = self.text[line_start..].lines().next().unwrap_or("");
        let within: usize = line_text
            .chars()
            .take(column.saturating_sub(1))
            .map(char::len_utf8)
            .sum();
        (line_start + within).min(self.text.len())
    }

    fn locate(&self, path: &[PathSeg], at_key: bool) -> Option<(usize, usize)> {
        let mut node = self.tree.as_ref()?;
        let mut best = marker_of(node.span().start());
        for (i, seg) in path.iter().enumerate() {
            let last = i + 1 == path.len();
            match (seg, node) {
                (PathSeg::Key(key), Node::Mapping(map)) => {
                    let Some((k, v)) = map.iter().find(|(k, _)| k.as_str() == key) else {
                        return best;
                    };
                    if last && at_key {
                        return marker_of(k.span().start()).or(best);
                    }
                    best = marker_of(v.span().start())
                        .or(marker_of(k.span().start()))
                        .or(best);
                    node = v;
                }
                (PathSeg::Index(index), Node::Sequence(seq)) => {
                    let Some(v) = seq.get(*index) else {
                        return best;
                    };
                    best = marker_of(v.span().start()).or(best);
                    node = v;
                }
                _ => return best,
            }
        }
        best
    }
}

fn marker_of(marker: Option<&marked_yaml::Marker>) -> Option<(usize, usize)> {
    marker.map(|m| (m.line(), m.column()))
}

/// The word at the start of `rest`: up to a space, comma, bracket, brace or colon.
fn token_at(rest: &str) -> &str {
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}' | '#'))
        .unwrap_or(rest.len());
    let token = &rest[..end];
    token.strip_suffix(':').unwrap_or(token)
}

/// The closest of `candidates` to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
