//! The run's interned names: actors, topics, keys and the places of foreign records, each
//! stored once and referred to by a 4-byte `Sym`, so that the per-record events of a
//! million-record run carry no strings.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, PoisonError, RwLock};

/// An interned name: an index into the run's `Symbols`. `Option<Sym>` is 4 bytes too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(NonZeroU32);

/// Every name interned during one run; append-only, shared by every actor of the run.
#[derive(Debug, Default)]
pub struct Symbols {
    table: RwLock<Table>,
}

#[derive(Debug, Default)]
struct Table {
    texts: Vec<Arc<str>>,
    syms: HashMap<Arc<str>, Sym>,
}

impl Symbols {
    /// An empty table.
    pub fn new() -> Arc<Symbols> {
        Arc::new(Symbols::default())
    }

    /// The symbol of `text`, interning it on first use.
    pub fn intern(&self, text: &str) -> Sym {
        if let Some(sym) = self.find(text) {
            return sym;
        }
        let mut table = self.table.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(sym) = table.syms.get(text) {
            return *sym;
        }
        let shared: Arc<str> = Arc::from(text);
        table.texts.push(Arc::clone(&shared));
        let index = u32::try_from(table.texts.len()).expect("fewer than 4 billion names");
        let sym = Sym(NonZeroU32::new(index).expect("indexes start at 1"));
        table.syms.insert(shared, sym);
        sym
    }

    /// The symbol of `text` if it was interned.
    pub fn find(&self, text: &str) -> Option<Sym> {
        let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
        table.syms.get(text).copied()
    }

    /// The text of a symbol of this table.
    pub fn text(&self, sym: Sym) -> Arc<str> {
        let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(&table.texts[sym.0.get() as usize - 1])
    }
}

#[cfg(test)]
mod tests;
