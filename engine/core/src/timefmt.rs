//! Timestamps without a date-time dependency (the simulator's clock is plain integers): RFC
//! 3339 for instants, `+hh:mm:ss` for time elapsed on a virtual clock.

/// `2026-01-01T00:00:00Z` for seconds since the Unix epoch.
pub fn rfc3339(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Seconds since the Unix epoch of `2026-01-01T00:00:00Z` (the form [`rfc3339`] writes and
/// the API serialises); None for anything else.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, min, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || min > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, m as u32, d as u32) * 86_400 + h * 3600 + min * 60 + s)
}

/// `2026-01-01T00:00:00.250000Z`: the API's MicroTime (a Lease's `acquireTime`, `renewTime`).
pub fn rfc3339_micros(unix_seconds: f64) -> String {
    let whole = unix_seconds.floor();
    let micros = (((unix_seconds - whole) * 1e6).round() as i64).min(999_999);
    let base = rfc3339(whole as i64);
    format!("{}.{micros:06}Z", base.trim_end_matches('Z'))
}

/// Seconds since the Unix epoch of an RFC 3339 instant in UTC, with or without a fraction
/// (`2026-01-01T00:00:00Z`, `2026-01-01T00:00:00.25Z`).
pub fn parse_rfc3339_fraction(text: &str) -> Option<f64> {
    let Some((seconds, fraction)) = text.strip_suffix('Z').and_then(|t| t.split_once('.')) else {
        return parse_rfc3339(text).map(|s| s as f64);
    };
    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = parse_rfc3339(&format!("{seconds}Z"))?;
    Some(whole as f64 + format!("0.{fraction}").parse::<f64>().ok()?)
}

/// Howard Hinnant's civil-to-days algorithm, the inverse of [`civil_from_days`].
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `+00:01:05` or `+00:01:05.250` for `millis` milliseconds since a start.
pub fn elapsed(millis: u64) -> String {
    let s = millis / 1000;
    let ms = millis % 1000;
    if ms == 0 {
        format!("+{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("+{:02}:{:02}:{:02}.{ms:03}", s / 3600, s / 60 % 60, s % 60)
    }
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micro_time_round_trips() {
        assert_eq!(rfc3339_micros(0.25), "1970-01-01T00:00:00.250000Z");
        assert_eq!(
            parse_rfc3339_fraction("2026-01-01T00:00:00.250000Z"),
            Some(1_767_225_600.25)
        );
        assert_eq!(
            parse_rfc3339_fraction("2026-01-01T00:00:00Z"),
            Some(1_767_225_600.0)
        );
        assert_eq!(parse_rfc3339_fraction("2026-01-01T00:00:00.Z"), None);
    }

    #[test]
    fn known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_210_096), "2024-02-29T12:34:56Z");
    }

    #[test]
    fn parsing_inverts_rendering() {
        for t in [0, 1_767_225_600, 1_709_210_096, 951_782_400, 4_102_444_799] {
            assert_eq!(parse_rfc3339(&rfc3339(t)), Some(t), "{}", rfc3339(t));
        }
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
