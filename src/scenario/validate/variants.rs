//! `variants:` and `compare:`: variant names fit file and test names, their properties are
//! ones librdkafka knows, and every ordering names two different variants.

use super::{Result, Validator, path};
use crate::scenario::model::VariantSpec;
use crate::scenario::plan::{Measure, Ordering};
use crate::scenario::source::PathSeg;

impl Validator<'_> {
    /// A variant's name and its properties.
    pub(super) fn variant(&self, name: &str, spec: &VariantSpec) -> Result<()> {
        let fits = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !fits {
            return Err(self.err(
                path(&[&"variants", &name.to_owned()]),
                true,
                format!("variant name `{name}` is not a plain word"),
                Some(
                    "use letters, digits, `-` and `_`: the name goes into snapshot and test names"
                        .into(),
                ),
            ));
        }
        self.properties(
            &spec.consumer,
            path(&[&"variants", &name.to_owned(), &"consumer"]),
        )?;
        self.properties(
            &spec.producer,
            path(&[&"variants", &name.to_owned(), &"producer"]),
        )
    }

    /// `compare:` in a scenario without variants compares nothing.
    pub(super) fn no_comparison_without_variants(&self) -> Result<()> {
        match self.file.compare {
            Some(_) => Err(self.err(
                path(&[&"compare"]),
                true,
                "`compare` needs variants to compare",
                Some("declare the runs under `variants:`".into()),
            )),
            None => Ok(()),
        }
    }

    /// Every `smaller < larger` of `compare:`, in the order written.
    pub(super) fn orderings(&self) -> Result<Vec<Ordering>> {
        let Some(compare) = &self.file.compare else {
            return Ok(Vec::new());
        };
        let mut orderings = Vec::new();
        for (measure, written) in [
            (Measure::StopTheWorld, &compare.stop_the_world),
            (Measure::Paused, &compare.paused),
            (Measure::LargestGap, &compare.largest_gap),
            (Measure::LargestLatency, &compare.largest_latency),
        ] {
            for (index, text) in written.iter().enumerate() {
                let at = path(&[&"compare", &measure.key(), &index]);
                orderings.push(self.ordering(measure, text, at)?);
            }
        }
        Ok(orderings)
    }

    fn ordering(&self, measure: Measure, text: &str, at: Vec<PathSeg>) -> Result<Ordering> {
        let Some((smaller, larger)) = text.split_once('<') else {
            return Err(self.err(
                at,
                false,
                format!("`{text}` is not an ordering"),
                Some(
                    "write `smaller < larger` with two variant names, e.g. `cooperative < eager`"
                        .into(),
                ),
            ));
        };
        let (smaller, larger) = (smaller.trim(), larger.trim());
        for name in [smaller, larger] {
            if !self.file.variants.contains_key(name) {
                return Err(self.unknown(
                    "variant",
                    name,
                    self.file.variants.keys().cloned(),
                    at,
                    false,
                ));
            }
        }
        if smaller == larger {
            return Err(self.err(
                at,
                false,
                format!("`{text}` compares `{smaller}` with itself"),
                Some("name two different variants".into()),
            ));
        }
        Ok(Ordering {
            measure,
            smaller: smaller.to_owned(),
            larger: larger.to_owned(),
            line: self.source.line_of(&at),
        })
    }
}
