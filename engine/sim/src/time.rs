//! Virtual time: integer milliseconds since the simulator's epoch, 2026-01-01T00:00:00Z.

/// Milliseconds since [`EPOCH_UNIX_SECONDS`].
pub type SimTime = u64;

/// The wall-clock instant the simulator's time zero stands for.
pub const EPOCH_UNIX_SECONDS: i64 = 1_767_225_600;

pub const SECOND: SimTime = 1000;

/// RFC 3339 rendering, truncated to whole seconds as the API serialises `metav1.Time`.
pub fn rfc3339(t: SimTime) -> String {
    rollplay_core::timefmt::rfc3339(EPOCH_UNIX_SECONDS + (t / 1000) as i64)
}

/// The instant as the API stores it (`metav1.Time` has second precision), which matters for
/// strict comparisons such as K8S-COND-5 and minReadySeconds (K8S-RU-10).
pub fn truncate(t: SimTime) -> SimTime {
    t / 1000 * 1000
}

/// Seconds since the Unix epoch, as scripts see `now()`.
pub fn unix_seconds(t: SimTime) -> f64 {
    EPOCH_UNIX_SECONDS as f64 + t as f64 / 1000.0
}

/// `+00:01:05.250` for log lines and traces.
pub fn clock(t: SimTime) -> String {
    rollplay_core::timefmt::elapsed(t)
}

/// The instant of a Unix time (seconds), to the millisecond; instants before the simulator's
/// epoch are its time zero.
pub fn from_unix_seconds(unix: f64) -> SimTime {
    ((unix - EPOCH_UNIX_SECONDS as f64) * 1000.0)
        .round()
        .max(0.0) as SimTime
}
