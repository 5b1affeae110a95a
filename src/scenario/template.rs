//! Strings with placeholders that only a run can fill in: a process actor's command, its
//! environment and its files name the run's bootstrap address, its topic and group names on
//! the cluster, the SASL credentials and variables given on the command line.

use std::fmt;

/// A value a run supplies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Slot {
    /// `{bootstrap}`: the cluster's `bootstrap.servers`.
    Bootstrap,
    /// `{topic.NAME}`: the cluster name of a scenario topic.
    Topic(String),
    /// `{group.NAME}`: the cluster name of a scenario group.
    Group(String),
    /// `{sasl.username}`, `{sasl.password}`, `{sasl.mechanism}`: the run's SASL credentials.
    Sasl(SaslField),
    /// `{var.NAME}`: a value given with `--var NAME=VALUE`.
    Var(String),
    /// `{workdir}`: the actor's own fresh directory, where its `files` are written.
    Workdir,
    /// `{actor}`: the actor's name.
    Actor,
}

/// One part of the SASL credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SaslField {
    /// `sasl.username`.
    Username,
    /// `sasl.password`.
    Password,
    /// `sasl.mechanism`, e.g. `SCRAM-SHA-512`.
    Mechanism,
}

impl SaslField {
    /// The librdkafka property that holds it.
    pub fn property(self) -> &'static str {
        match self {
            SaslField::Username => "sasl.username",
            SaslField::Password => "sasl.password",
            SaslField::Mechanism => "sasl.mechanism",
        }
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Slot::Bootstrap => f.write_str("{bootstrap}"),
            Slot::Topic(name) => write!(f, "{{topic.{name}}}"),
            Slot::Group(name) => write!(f, "{{group.{name}}}"),
            Slot::Sasl(field) => write!(f, "{{{}}}", field.property()),
            Slot::Var(name) => write!(f, "{{var.{name}}}"),
            Slot::Workdir => f.write_str("{workdir}"),
            Slot::Actor => f.write_str("{actor}"),
        }
    }
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Slot(Slot),
}

/// A string with placeholders, parsed once when the scenario is validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// Why a template could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset of the offending placeholder in the string.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
    /// What would be right.
    pub hint: String,
}

const KNOWN: &str = "{bootstrap}, {topic.NAME}, {group.NAME}, {sasl.username}, {sasl.password}, \
{sasl.mechanism}, {var.NAME}, {workdir}, {actor}; write {{ and }} for literal braces";

impl Template {
    /// Reads `text`: `{...}` is a placeholder, `{{` and `}}` are literal braces.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text.char_indices().peekable();
        while let Some((at, c)) = rest.next() {
            match c {
                '{' if rest.peek().is_some_and(|(_, n)| *n == '{') => {
                    rest.next();
                    literal.push('{');
                }
                '}' if rest.peek().is_some_and(|(_, n)| *n == '}') => {
                    rest.next();
                    literal.push('}');
                }
                '{' => {
                    let Some(end) = text[at..].find('}') else {
                        return Err(TemplateError {
                            offset: at,
                            message: "a `{` that no `}` closes".into(),
                            hint: KNOWN.into(),
                        });
                    };
                    let slot = slot(&text[at + 1..at + end]).ok_or_else(|| TemplateError {
                        offset: at,
                        message: format!("unknown placeholder `{}`", &text[at..=at + end]),
                        hint: KNOWN.into(),
                    })?;
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Slot(slot));
                    while rest.peek().is_some_and(|(i, _)| *i <= at + end) {
                        rest.next();
                    }
                }
                '}' => {
                    return Err(TemplateError {
                        offset: at,
                        message: "a `}` that no `{` opened".into(),
                        hint: KNOWN.into(),
                    });
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Template { pieces })
    }

    /// The placeholders it holds, in order.
    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Slot(slot) => Some(slot),
            Piece::Text(_) => None,
        })
    }

    /// The string with every placeholder replaced by `value`'s answer; the first placeholder
    /// it has no answer for is the error.
    pub fn render(&self, value: impl Fn(&Slot) -> Option<String>) -> Result<String, &Slot> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Slot(slot) => out.push_str(&value(slot).ok_or(slot)?),
            }
        }
        Ok(out)
    }
}

fn slot(inside: &str) -> Option<Slot> {
    let named = |prefix: &str| {
        inside
            .strip_prefix(prefix)
            .filter(|name| !name.is_empty() && !name.contains(char::is_whitespace))
            .map(str::to_owned)
    };
    match inside {
        "bootstrap" => Some(Slot::Bootstrap),
        "workdir" => Some(Slot::Workdir),
        "actor" => Some(Slot::Actor),
        "sasl.username" => Some(Slot::Sasl(SaslField::Username)),
        "sasl.password" => Some(Slot::Sasl(SaslField::Password)),
        "sasl.mechanism" => Some(Slot::Sasl(SaslField::Mechanism)),
        _ => named("topic.")
            .map(Slot::Topic)
            .or_else(|| named("group.").map(Slot::Group))
            .or_else(|| named("var.").map(Slot::Var)),
    }
}

#[cfg(test)]
mod tests;
