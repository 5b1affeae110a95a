//! Reports, each built from the same results after the run: the terminal's lines as steps
//! finish and its verdict, `junit.xml` for a CI's test view, `results.json` for machines and
//! `index.html` for people.

pub mod html;
pub mod json;
pub mod junit;
pub mod results;
pub mod terminal;
