//! `freeze` and `thaw` steps: only a running consumer can be frozen, only a frozen one thawed,
//! and a frozen consumer can be killed but neither stopped nor asked to commit (as a stopped
//! process can be killed but answers nothing else).

use std::collections::BTreeMap;

use super::{Result, Validator, Walk};
use crate::scenario::plan::{Action, ActorPlan};
use crate::scenario::source::PathSeg;

impl Validator<'_> {
    /// A `freeze` (`freeze` true) or `thaw` step, tracked in `walk`.
    pub(super) fn freeze_step(
        &self,
        actor: &str,
        freeze: bool,
        at: Vec<PathSeg>,
        actors: &BTreeMap<String, ActorPlan>,
        walk: &mut Walk,
    ) -> Result<(String, Action)> {
        let verb = if freeze { "freeze" } else { "thaw" };
        if let ActorPlan::Producer(_) = self.actor_ref(actor, actors, at.clone())? {
            return Err(self.err(
                at,
                false,
                format!("`{actor}` is a producer; only consumers can be frozen"),
                Some("a producer stalls with `rate:` or simply by not producing".into()),
            ));
        }
        if !walk.running.contains(actor) {
            return Err(self.err(
                at,
                false,
                format!("cannot {verb} `{actor}`: it is not running at this step"),
                Some(format!("add `- start: {actor}` before this step")),
            ));
        }
        if freeze {
            if let Some(line) = walk.cut.get(actor) {
                return Err(self.err(
                    at,
                    false,
                    format!("cannot freeze `{actor}`: its link is cut since line {line}"),
                    Some(format!(
                        "add `- link: {actor}` before this step to heal it first"
                    )),
                ));
            }
            if let Some(line) = walk.frozen.get(actor) {
                return Err(self.err(
                    at,
                    false,
                    format!("`{actor}` is already frozen (line {line})"),
                    Some(format!("add `- thaw: {actor}` before freezing it again")),
                ));
            }
            walk.frozen
                .insert(actor.to_owned(), self.source.line_of(&at));
            Ok((format!("freeze {actor}"), Action::Freeze(actor.to_owned())))
        } else {
            if walk.frozen.remove(actor).is_none() {
                return Err(self.err(
                    at,
                    false,
                    format!("cannot thaw `{actor}`: it is not frozen at this step"),
                    Some(format!("add `- freeze: {actor}` before this step")),
                ));
            }
            Ok((format!("thaw {actor}"), Action::Thaw(actor.to_owned())))
        }
    }

    /// Refuses a `stop` or `commit` of a frozen consumer.
    pub(super) fn not_frozen(
        &self,
        actor: &str,
        verb: &str,
        at: Vec<PathSeg>,
        walk: &Walk,
    ) -> Result<()> {
        match walk.frozen.get(actor) {
            Some(line) => Err(self.err(
                at,
                false,
                format!("cannot {verb} `{actor}`: it is frozen since line {line}"),
                Some(format!(
                    "add `- thaw: {actor}` before this step (a frozen consumer can only be killed)"
                )),
            )),
            None => Ok(()),
        }
    }
}
