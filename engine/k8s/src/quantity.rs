//! Resource quantities (`250m`, `0.5`, `256Mi`, `1G`) in milli-units, as requests and limits use.

/// Parses a Kubernetes quantity into milli-units (`"250m"` → 250, `"1"` → 1000,
/// `"256Mi"` → 268_435_456_000). `None` when it is not a quantity.
pub fn parse_milli(text: &str) -> Option<i64> {
    let s = text.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let value: f64 = num.parse().ok()?;
    let factor: f64 = match suffix {
        "" => 1.0,
        "m" => 0.001,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024f64.powi(4),
        _ => return None,
    };
    Some((value * factor * 1000.0).round() as i64)
}

/// A quantity given as a YAML number or string.
pub fn parse_value_milli(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(n) => n.as_f64().map(|f| (f * 1000.0).round() as i64),
        serde_json::Value::String(s) => parse_milli(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_and_memory_forms() {
        assert_eq!(parse_milli("250m"), Some(250));
        assert_eq!(parse_milli("0.5"), Some(500));
        assert_eq!(parse_milli("2"), Some(2000));
        assert_eq!(parse_milli("256Mi"), Some(256 * 1024 * 1024 * 1000));
        assert_eq!(parse_milli("1G"), Some(1_000_000_000_000));
        assert_eq!(parse_milli("12Q"), None);
        assert_eq!(parse_milli("abc"), None);
    }
}
