//! Reports: the terminal's lines live, as each step finishes (through the runner's observer
//! contract, with each `expect` step's judgement), then, built from the same results after
//! the run, its verdict, `junit.xml` for a CI's test view, `results.json` for machines and
//! `index.html` for people.

#[cfg(test)]
mod fixture;
pub mod html;
pub mod json;
pub mod junit;
pub mod results;
pub mod terminal;
