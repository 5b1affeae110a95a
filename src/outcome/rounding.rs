//! Figures as the measurements show them: durations in seconds, rounded to the millisecond so
//! that a report does not pretend to a precision the clock does not have.

use std::time::Duration;

/// Seconds, rounded to the millisecond.
pub(super) fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}
