//! `link` steps: what the network does to a consumer's connections. Only a consumer of the
//! harness's own has connections the harness can reach (through its relay); a link's state is
//! whole (what a step leaves out is healthy) and consistent; a consumer whose link is cut
//! cannot be stopped gracefully, since its close could not reach its group, nor frozen, nor
//! cut while frozen: the group hears from it again only once both are undone.

use std::collections::BTreeMap;

use super::{Result, Validator, Walk};
use crate::scenario::model::LinkStep;
use crate::scenario::plan::{Action, ActorPlan, Link};
use crate::scenario::source::PathSeg;

impl Validator<'_> {
    /// A `link` step, its cut tracked in `walk`; the consumer need not be running (a link
    /// outlives its client, as a network does).
    pub(super) fn link_step(
        &self,
        step: &LinkStep,
        at: Vec<PathSeg>,
        line: usize,
        actors: &BTreeMap<String, ActorPlan>,
        walk: &mut Walk,
    ) -> Result<(String, Action)> {
        let actor = step.actor.as_str();
        self.not_a_process(actor, actors, "change the link of", at.clone())?;
        if let ActorPlan::Producer(_) = self.actor_ref(actor, actors, at.clone())? {
            return Err(self.err(
                at,
                false,
                format!("`{actor}` is a producer; only consumers' links can be changed yet"),
                Some("cut, slow or reset a consumer, or fault a broker".into()),
            ));
        }
        let latency = step.latency.map(|d| d.0).unwrap_or_default();
        let jitter = step.jitter.map(|d| d.0).unwrap_or_default();
        if step.cut && !(latency.is_zero() && jitter.is_zero()) {
            return Err(self.err(
                at,
                false,
                format!("the link of `{actor}` cannot be cut and delayed at once"),
                Some(
                    "a cut link passes nothing: give the latency in the `link` step that heals it"
                        .into(),
                ),
            ));
        }
        if jitter > latency {
            return Err(self.err(
                at,
                false,
                format!(
                    "jitter {} is more than the latency {}",
                    humantime::format_duration(jitter),
                    humantime::format_duration(latency)
                ),
                Some("the jitter is drawn on either side of the latency, which cannot go below 0: raise `latency`".into()),
            ));
        }
        if let (true, Some(frozen)) = (step.cut, walk.frozen.get(actor)) {
            return Err(self.err(
                at,
                false,
                format!("cannot cut the link of `{actor}`: it is frozen since line {frozen}"),
                Some(format!("a frozen consumer sends nothing already; add `- thaw: {actor}` before this step")),
            ));
        }
        if step.cut {
            walk.cut.insert(actor.to_owned(), line);
        } else {
            walk.cut.remove(actor);
        }
        let link = Link {
            cut: step.cut,
            latency,
            jitter,
        };
        let reset = if step.reset { "reset, then " } else { "" };
        Ok((
            format!("link {actor}: {reset}{link}"),
            Action::Link {
                actor: actor.to_owned(),
                link,
                reset: step.reset,
            },
        ))
    }

    /// Refuses a graceful `stop` of a consumer whose link is cut.
    pub(super) fn not_cut(&self, actor: &str, at: Vec<PathSeg>, walk: &Walk) -> Result<()> {
        match walk.cut.get(actor) {
            Some(line) => Err(self.err(
                at,
                false,
                format!("cannot stop `{actor}`: its link is cut since line {line}, so its close could not reach its group"),
                Some(format!("add `- link: {actor}` before this step to heal it, or `- kill: {actor}`")),
            )),
            None => Ok(()),
        }
    }
}
