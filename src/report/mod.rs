//! Human-readable output: a line per step as it happens, then PASS / FAIL with differences.

pub mod terminal;
