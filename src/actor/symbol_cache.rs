//! A client thread's own cache of the run's symbols for the bytes it reads with every record
//! (topic names, the producer in an id header, keys): a record then costs a local lookup, no
//! allocation and no shared lock. The maps hash with FxHash: the keys are a few short names,
//! looked up with every record, and SipHash's protection against chosen keys buys nothing here.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::cluster::run_names::RunNames;
use crate::record::symbols::{Sym, Symbols};

/// Symbols already looked up by one client thread.
#[derive(Debug)]
pub struct SymbolCache {
    names: Arc<Symbols>,
    /// Cluster topic name -> the symbol of its scenario name.
    topics: FxHashMap<String, Sym>,
    texts: FxHashMap<Vec<u8>, Sym>,
    /// The producer named last and its symbol: records come in runs from one producer, so a
    /// comparison of a few bytes usually spares the hashing.
    last_producer: (Vec<u8>, Option<Sym>),
}

impl SymbolCache {
    /// An empty cache of `names`.
    pub fn new(names: Arc<Symbols>) -> SymbolCache {
        SymbolCache {
            names,
            topics: FxHashMap::default(),
            texts: FxHashMap::default(),
            last_producer: (Vec::new(), None),
        }
    }

    /// The symbol of the scenario name of the cluster topic `physical`.
    pub fn topic(&mut self, physical: &str, topics: &RunNames) -> Sym {
        if let Some(sym) = self.topics.get(physical) {
            return *sym;
        }
        let sym = self.names.intern(&topics.logical(physical));
        self.topics.insert(physical.to_owned(), sym);
        sym
    }

    /// The symbol of the producer named `bytes` in an id header; `None` when they are not UTF-8.
    pub fn producer(&mut self, bytes: &[u8]) -> Option<Sym> {
        let (last, sym) = &mut self.last_producer;
        if let Some(sym) = sym.filter(|_| last.as_slice() == bytes) {
            return Some(sym);
        }
        let found = self.text(bytes)?;
        let (last, sym) = &mut self.last_producer;
        last.clear();
        last.extend_from_slice(bytes);
        *sym = Some(found);
        Some(found)
    }

    /// The symbol of `bytes` as text; `None` when they are not UTF-8.
    pub fn text(&mut self, bytes: &[u8]) -> Option<Sym> {
        if let Some(sym) = self.texts.get(bytes) {
            return Some(*sym);
        }
        let sym = self.names.intern(std::str::from_utf8(bytes).ok()?);
        self.texts.insert(bytes.to_vec(), sym);
        Some(sym)
    }
}

#[cfg(test)]
mod tests;
