//! Durations as users write them: `"90s"`, `"5m"`, `"1h30m"`, `"250ms"` or a number of seconds.

use crate::error::{Error, Result};
use std::time::Duration;

/// Parses `"90s"`, `"5m"`, `"1h30m"`, `"1.5s"`, `"250ms"` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let s = text.trim();
    let invalid = || {
        Error::bad_input(
            format!("duration \"{text}\""),
            "expected a number of seconds or a value like \"90s\", \"5m\", \"1h30m\" or \"250ms\"",
        )
    };
    if s.is_empty() {
        return Err(invalid());
    }
    if let Ok(secs) = s.parse::<f64>() {
        return seconds(secs).ok_or_else(invalid);
    }
    let mut total_ms = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        if num_len == 0 {
            return Err(invalid());
        }
        let value: f64 = rest[..num_len].parse().map_err(|_| invalid())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ms" => 1.0,
            "s" => 1_000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "d" => 86_400_000.0,
            _ => return Err(invalid()),
        };
        rest = &rest[unit_len..];
        total_ms += value * factor;
    }
    seconds(total_ms / 1000.0).ok_or_else(|| {
        Error::bad_input(
            format!("duration \"{text}\""),
            "longer than a year; use a shorter duration",
        )
    })
}

/// The longest duration accepted anywhere: a year.
pub const MAX_SECONDS: f64 = 365.0 * 86_400.0;

/// A non-negative number of seconds, at most a year, as a duration.
pub fn seconds(secs: f64) -> Option<Duration> {
    (secs.is_finite() && (0.0..=MAX_SECONDS).contains(&secs))
        .then(|| Duration::from_millis((secs * 1000.0).round() as u64))
}

/// Renders a duration the way users write them: `"1m30s"`, `"250ms"`, `"0s"`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis() as u64;
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (h, m, s, rest_ms) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let mut out = String::new();
    if h > 0 {
        out += &format!("{h}h");
    }
    if m > 0 {
        out += &format!("{m}m");
    }
    if s > 0 || rest_ms > 0 {
        if rest_ms > 0 {
            out += &format!("{}s", trim_float(s as f64 + rest_ms as f64 / 1000.0));
        } else {
            out += &format!("{s}s");
        }
    }
    out
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_users_write() {
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("42").unwrap(), Duration::from_secs(42));
        assert_eq!(
            parse_duration(" 2.5 ").unwrap(),
            Duration::from_millis(2500)
        );
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for bad in ["", "5x", "m", "-3", "1h-2m", "ten seconds", "400d", "1e20"] {
            let err = parse_duration(bad).unwrap_err().to_string();
            assert!(
                err.contains("expected a number of seconds") || err.contains("longer than a year"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn formats_round_trip() {
        for text in ["0s", "250ms", "1m30s", "2h", "1h0m5s", "1.5s"] {
            let d = parse_duration(text).unwrap();
            assert_eq!(parse_duration(&format_duration(d)).unwrap(), d, "{text}");
        }
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
    }
}
