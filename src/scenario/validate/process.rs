//! Process actors: external programs whose strings hold the run's placeholders, and what can
//! and cannot be observed of them (no per-record id, no poll sizes, no client internals).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::{Result, Validator, Walk, path};
use crate::scenario::model::{ActorSpec, PrintsSpec, ProcessSpec};
use crate::scenario::plan::{ActorPlan, NamedBy, ProcessPlan, ProcessRole, RecordPrint, TopicPlan};
use crate::scenario::source::PathSeg;
use crate::scenario::template::{Slot, Template};

/// How long a stopped process may take to exit before it is killed, when the scenario does not
/// say.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// `prints: course`: the course's kafka-python consumer's line,
/// `topic=%s partition=%d offset=%d: key=%s value=%s`.
const COURSE_LINE: &str =
    r"topic=(?P<topic>\S+) partition=(?P<partition>\d+) offset=(?P<offset>\d+)";

/// `prints: course-spring`: the course's Spring Boot consumer's block, a record in six lines
/// of which these four tell it (`key:` and `Headers:` come between; `Partion` is spelt so).
const COURSE_SPRING_BLOCK: [&str; 4] = [
    r"^Consume Message-+$",
    r"^Topic: (?P<topic>\S+)$",
    r"^Partion: (?P<partition>\d+)$",
    r"^Value: (?P<value>.*)$",
];

impl Validator<'_> {
    /// A process actor: its role, its templates (each placeholder known to the scenario) and
    /// its output pattern.
    pub(super) fn process(
        &self,
        name: &str,
        spec: &ProcessSpec,
        topics: &[TopicPlan],
    ) -> Result<ProcessPlan> {
        let base = || path(&[&"actors", &name.to_owned(), &"process"]);
        let at = |segs: &[PathSeg]| -> Vec<PathSeg> {
            base().into_iter().chain(segs.iter().cloned()).collect()
        };
        let role = match (&spec.consumer, &spec.producer) {
            (Some(c), None) => {
                if c.topics.is_empty() {
                    return Err(self.err(
                        at(&["consumer".into(), "topics".into()]),
                        false,
                        format!("process `{name}` subscribes to no topic"),
                        None,
                    ));
                }
                for (i, topic) in c.topics.iter().enumerate() {
                    self.topic_exists(
                        topic,
                        topics,
                        at(&["consumer".into(), "topics".into(), i.into()]),
                    )?;
                }
                ProcessRole::Consumer {
                    group: c.group.clone(),
                    topics: c.topics.clone(),
                    client_id: c.client_id.clone(),
                }
            }
            (None, Some(p)) => {
                self.topic_exists(&p.topic, topics, at(&["producer".into(), "topic".into()]))?;
                ProcessRole::Producer {
                    topic: p.topic.clone(),
                }
            }
            (Some(_), Some(_)) | (None, None) => {
                return Err(self.err(
                    base(),
                    true,
                    format!("process `{name}` must say what it is: `consumer:` or `producer:`, one of them"),
                    Some("e.g. `consumer: { group: orders-cg, topics: [orders] }`, which the harness observes through the broker".into()),
                ));
            }
        };
        if spec.command.is_empty() {
            return Err(self.err(
                at(&["command".into()]),
                false,
                format!("process `{name}` has no command"),
                Some("e.g. `command: [python3, \"{var.course}/11.consumer.py\", \"{topic.orders}\"]`".into()),
            ));
        }
        let command = spec
            .command
            .iter()
            .enumerate()
            .map(|(i, text)| self.template(text, topics, at(&["command".into(), i.into()])))
            .collect::<Result<Vec<_>>>()?;
        let dir = spec
            .dir
            .as_ref()
            .map(|text| self.template(text, topics, at(&["dir".into()])))
            .transpose()?;
        let env = spec
            .env
            .iter()
            .map(|(key, text)| {
                let here = at(&["env".into(), PathSeg::Key(key.clone())]);
                Ok((key.clone(), self.template(text, topics, here)?))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut files = Vec::new();
        for (file, text) in &spec.files {
            let here = at(&["files".into(), PathSeg::Key(file.clone())]);
            if file.is_empty() || file.contains('/') || file == ".." || file == "." {
                return Err(self.err(
                    here,
                    true,
                    format!("`{file}` is not a plain file name"),
                    Some("files are written into the actor's own fresh directory: give a name without `/`".into()),
                ));
            }
            files.push((file.clone(), self.template(text, topics, here)?));
        }
        let prints = spec
            .prints
            .as_ref()
            .map(|prints| self.record_print(prints, at(&["prints".into()])))
            .transpose()?;
        if prints.is_some() && matches!(role, ProcessRole::Producer { .. }) {
            return Err(self.err(
                at(&["prints".into()]),
                true,
                "`prints` tells how a consumer reports what it consumed; this process is a producer",
                Some("a process producer's records are read back from its topic".into()),
            ));
        }
        if let (Some(print), ProcessRole::Consumer { topics, .. }) = (&prints, &role)
            && print.names_by == NamedBy::Value
        {
            self.values_tell_records_apart(topics, at(&["prints".into()]))?;
        }
        Ok(ProcessPlan {
            command,
            dir,
            env,
            files,
            role,
            prints,
            exits: spec.exits,
            grace: spec.grace.map_or(DEFAULT_GRACE, |d| d.0),
        })
    }

    /// A template whose topic and group placeholders name the scenario's own.
    fn template(&self, text: &str, topics: &[TopicPlan], at: Vec<PathSeg>) -> Result<Template> {
        let template = Template::parse(text).map_err(|e| {
            let needle = &text[e.offset..];
            let needle = needle.split_once('}').map_or(needle, |(head, _)| head);
            self.source
                .error_at_text(&at, needle, e.message, Some(e.hint))
        })?;
        let groups = self.declared_groups();
        for slot in template.slots() {
            let (kind, name, known): (&str, &str, Vec<String>) = match slot {
                Slot::Topic(name) if !topics.iter().any(|t| &t.name == name) => (
                    "topic",
                    name,
                    topics.iter().map(|t| t.name.clone()).collect(),
                ),
                Slot::Group(name) if !groups.contains(name.as_str()) => (
                    "group",
                    name,
                    groups.iter().map(|g| (*g).to_owned()).collect(),
                ),
                _ => continue,
            };
            let placeholder = slot.to_string();
            let hint =
                match crate::scenario::source::did_you_mean(name, known.iter().map(String::as_str))
                {
                    Some(close) => format!("did you mean `{{{kind}.{close}}}`?"),
                    None => format!("known {kind}s: {}", known.join(", ")),
                };
            return Err(self.source.error_at_text(
                &at,
                &placeholder,
                format!("`{placeholder}` names no {kind} of this scenario"),
                Some(hint),
            ));
        }
        Ok(template)
    }

    /// Every group a consumer of either kind joins.
    fn declared_groups(&self) -> BTreeSet<&str> {
        self.file
            .actors
            .values()
            .filter_map(|a| match a {
                crate::scenario::model::ActorSpec::Consumer(c) => Some(c.group.as_str()),
                crate::scenario::model::ActorSpec::Process(p) => {
                    p.consumer.as_ref().map(|c| c.group.as_str())
                }
                crate::scenario::model::ActorSpec::Producer(_) => None,
            })
            .collect()
    }

    /// A preset, a pattern for one line, or patterns for the lines of a block: together they
    /// name `topic`, `partition`, and `offset` or `value`.
    fn record_print(&self, prints: &PrintsSpec, at: Vec<PathSeg>) -> Result<RecordPrint> {
        let sources: Vec<&str> = match prints {
            PrintsSpec::Line(preset) if preset == "course" => vec![COURSE_LINE],
            PrintsSpec::Line(preset) if preset == "course-spring" => COURSE_SPRING_BLOCK.to_vec(),
            PrintsSpec::Line(pattern) => vec![pattern.as_str()],
            PrintsSpec::Block(patterns) => patterns.iter().map(String::as_str).collect(),
        };
        if sources.is_empty() {
            return Err(self.err(
                at,
                false,
                "`prints` lists no line",
                Some("give one pattern per line of the block a record is reported in".into()),
            ));
        }
        let mut lines = Vec::new();
        for (i, source) in sources.into_iter().enumerate() {
            let here = match prints {
                PrintsSpec::Block(_) => [at.clone(), vec![i.into()]].concat(),
                PrintsSpec::Line(_) => at.clone(),
            };
            lines.push(regex::Regex::new(source).map_err(|e| {
                self.err(
                    here,
                    false,
                    format!("`prints` is not a regular expression: {e}"),
                    Some("write `course`, `course-spring`, or a pattern such as `p=(?P<partition>\\d+) o=(?P<offset>\\d+) t=(?P<topic>\\S+)`".into()),
                )
            })?);
        }
        let names: BTreeSet<&str> = lines
            .iter()
            .flat_map(|l| l.capture_names().flatten())
            .collect();
        let missing = ["topic", "partition"]
            .into_iter()
            .find(|n| !names.contains(n))
            .or((!names.contains("offset") && !names.contains("value"))
                .then_some("offset` or `value"));
        if let Some(missing) = missing {
            return Err(self.err(
                at,
                false,
                format!("`prints` has no group named `{missing}`"),
                Some("name the groups `(?P<topic>...)`, `(?P<partition>...)`, and `(?P<offset>...)` or `(?P<value>...)`".into()),
            ));
        }
        let names_by = if names.contains("offset") {
            NamedBy::Offset
        } else {
            NamedBy::Value
        };
        Ok(RecordPrint { lines, names_by })
    }

    /// A consumer that names records by value can be followed only on topics where values tell
    /// records apart: those a process producer writes. A harness producer's records all have
    /// the same value.
    fn values_tell_records_apart(&self, topics: &[String], at: Vec<PathSeg>) -> Result<()> {
        for topic in topics {
            let mut harness = self.file.actors.iter().filter_map(|(name, a)| match a {
                ActorSpec::Producer(p) if &p.topic == topic => Some(name),
                _ => None,
            });
            if let Some(producer) = harness.next() {
                return Err(self.err(
                    at,
                    false,
                    format!("this consumer names records by value, and `{producer}`, a harness producer, writes `{topic}`, whose records all have the same value"),
                    Some("name records by offset (a group `(?P<offset>...)`), or have a process producer write the topic".into()),
                ));
            }
            let written = self.file.actors.values().any(|a| {
                matches!(a, ActorSpec::Process(p) if p.producer.as_ref().is_some_and(|p| &p.topic == topic))
            });
            if !written {
                return Err(self.err(
                    at,
                    false,
                    format!("this consumer names records by value, and no process producer writes `{topic}`"),
                    Some("the harness finds a value among the records a process producer wrote, which it reads back from the topic".into()),
                ));
            }
        }
        Ok(())
    }

    /// Refuses a step that needs a client the harness drives (`commit`, `produce`, `process`)
    /// for a process actor, which the harness only starts and signals.
    pub(super) fn not_a_process(
        &self,
        actor: &str,
        actors: &BTreeMap<String, ActorPlan>,
        verb: &str,
        at: Vec<PathSeg>,
    ) -> Result<()> {
        if let Some(ActorPlan::Process(_)) = actors.get(actor) {
            return Err(self.err(
                at,
                false,
                format!("cannot {verb} `{actor}`: it is an external program, which the harness only starts and signals"),
                Some("use a consumer or producer of the harness's own for this step".into()),
            ));
        }
        Ok(())
    }

    /// Starting a process producer: no other process writes to its topic then, since records
    /// without the harness's id are told apart only by when they arrive.
    pub(super) fn one_process_per_topic(
        &self,
        actor: &str,
        actors: &BTreeMap<String, ActorPlan>,
        walk: &Walk,
        at: Vec<PathSeg>,
    ) -> Result<()> {
        let Some(ActorPlan::Process(ProcessPlan {
            role: ProcessRole::Producer { topic },
            ..
        })) = actors.get(actor)
        else {
            return Ok(());
        };
        let busy = walk.running.iter().find(|other| {
            matches!(actors.get(*other), Some(ActorPlan::Process(p))
                if p.role == (ProcessRole::Producer { topic: topic.clone() }))
        });
        if let Some(other) = busy {
            return Err(self.err(
                at,
                false,
                format!("`{other}` still writes to `{topic}`: the records of two programs on one topic cannot be told apart"),
                Some(format!("end `{other}` first (`stop`, `kill`, or `await: {{ exited: [{other}] }}`)")),
            ));
        }
        Ok(())
    }

    /// The processes an `await` wants ended by themselves: each declared `exits: true` and is
    /// running; they are not running after it.
    pub(super) fn exited(
        &self,
        wanted: &[String],
        index: usize,
        actors: &BTreeMap<String, ActorPlan>,
        walk: &mut Walk,
        line: usize,
    ) -> Result<()> {
        for (i, actor) in wanted.iter().enumerate() {
            let at = path(&[&"timeline", &index, &"await", &"exited", &i]);
            let plan = self.actor_ref(actor, actors, at.clone())?;
            let ActorPlan::Process(process) = plan else {
                return Err(self.err(
                    at,
                    false,
                    format!(
                        "`{actor}` is not a process; only external programs exit by themselves"
                    ),
                    None,
                ));
            };
            if !process.exits {
                return Err(self.err(
                    at,
                    false,
                    format!("`{actor}` is not declared to end by itself"),
                    Some(format!("add `exits: true` to process `{actor}`")),
                ));
            }
            if !walk.running.remove(actor) {
                return Err(self.err(
                    at,
                    false,
                    format!("`{actor}` is not running at this step"),
                    Some(format!("add `- start: {actor}` before this step")),
                ));
            }
            walk.ended_at.insert(actor.clone(), line);
        }
        Ok(())
    }

    /// What cannot be observed of a process, refused where an expectation or an `await`
    /// asks for it: what it consumed without `prints`, its poll sizes, what it left in a
    /// topic by record id.
    pub(super) fn observable(
        &self,
        actor: &str,
        field: &str,
        actors: &BTreeMap<String, ActorPlan>,
        at: Vec<PathSeg>,
    ) -> Result<()> {
        let Some(ActorPlan::Process(process)) = actors.get(actor) else {
            return Ok(());
        };
        let why = match field {
            "consumed" if process.prints.is_none() => {
                "what it consumed is observed only from its output: add `prints: course` (or a pattern)"
            }
            "max_poll_batch" | "max_poll_exceeded" => {
                "its polls happen inside its own client, which the harness does not see"
            }
            "durability" => "records it sends carry no harness id to follow them by",
            _ => return Ok(()),
        };
        Err(self.err(
            at,
            true,
            format!("`{field}` cannot be observed for process `{actor}`"),
            Some(why.into()),
        ))
    }
}

impl Validator<'_> {
    /// `outcome.alike`: sets of at least two consumers of one group, each consumer in one set.
    pub(super) fn alike(
        &self,
        actors: &BTreeMap<String, ActorPlan>,
    ) -> Result<Vec<BTreeSet<String>>> {
        let mut seen = BTreeSet::new();
        let mut sets = Vec::new();
        for (i, names) in self.file.outcome.alike.iter().enumerate() {
            let at = |j: usize| path(&[&"outcome", &"alike", &i, &j]);
            if names.len() < 2 {
                return Err(self.err(
                    path(&[&"outcome", &"alike", &i]),
                    false,
                    "a set of alike consumers needs at least two",
                    None,
                ));
            }
            let mut group = None;
            for (j, name) in names.iter().enumerate() {
                let Some(member_of) = self.actor_ref(name, actors, at(j))?.group() else {
                    return Err(self.err(
                        at(j),
                        false,
                        format!("`{name}` is not a consumer; only consumers hold assignments"),
                        None,
                    ));
                };
                if let Some(crowd) = self
                    .crowds()
                    .into_iter()
                    .find_map(|(crowd, members)| members.contains(name).then_some(crowd))
                {
                    return Err(self.err(
                        at(j),
                        false,
                        format!(
                            "`{name}` is a member of crowd `{crowd}`, whose assignment the \
                             Outcome shows summarised"
                        ),
                        Some("a crowd's members are alike already: leave them out".into()),
                    ));
                }
                if *group.get_or_insert(member_of) != member_of {
                    return Err(self.err(
                        at(j),
                        false,
                        format!(
                            "`{name}` is in group `{member_of}`, the set's first in `{}`",
                            group.unwrap_or_default()
                        ),
                        Some("alike consumers are members of one group".into()),
                    ));
                }
                if !seen.insert(name.clone()) {
                    return Err(self.err(
                        at(j),
                        false,
                        format!("`{name}` is already in a set of alike consumers"),
                        None,
                    ));
                }
            }
            sets.push(names.iter().cloned().collect());
        }
        Ok(sets)
    }
}
