//! `IntOrString` fields (`maxSurge: 1` or `maxSurge: "25%"`) and how they scale (K8S-RU-1).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntOrString {
    Int(i64),
    Str(String),
}

impl IntOrString {
    /// Reads an int or a string; anything else is `None`.
    pub fn from_value(value: &Value) -> Option<IntOrString> {
        match value {
            Value::Number(n) => n.as_i64().map(IntOrString::Int),
            Value::String(s) => Some(IntOrString::Str(s.clone())),
            _ => None,
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            IntOrString::Int(i) => Value::from(*i),
            IntOrString::Str(s) => Value::from(s.clone()),
        }
    }

    /// The percentage, when this is a well-formed `"N%"` string.
    pub fn percent(&self) -> Option<i64> {
        match self {
            IntOrString::Str(s) => s
                .strip_suffix('%')
                .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse().ok()),
            IntOrString::Int(_) => None,
        }
    }

    /// The value written, ignoring the base: `0` and `"0%"` are both literally zero (K8S-DEP-2).
    pub fn literal_value(&self) -> i64 {
        match self {
            IntOrString::Int(i) => *i,
            IntOrString::Str(_) => self.percent().unwrap_or(0),
        }
    }

    /// Scales against `total`: percentages round up (surge) or down (unavailable), as
    /// `intstr.GetScaledValueFromIntOrPercent` does; integers are used as given (K8S-RU-1).
    pub fn scaled(&self, total: i64, round_up: bool) -> Result<i64, String> {
        match self {
            IntOrString::Int(i) => Ok(*i),
            IntOrString::Str(s) => {
                let p = self.percent().ok_or_else(|| {
                    format!(
                        "invalid value for IntOrString: invalid value \"{s}\": not a percentage"
                    )
                })?;
                let exact = p as f64 * total as f64 / 100.0;
                Ok(if round_up {
                    exact.ceil()
                } else {
                    exact.floor()
                } as i64)
            }
        }
    }

    /// Validation of a non-negative int or percent (`ValidatePositiveIntOrPercent`).
    pub fn validate_non_negative(&self) -> Option<String> {
        match self {
            IntOrString::Int(i) if *i < 0 => Some("must be greater than or equal to 0".into()),
            IntOrString::Str(_) if self.percent().is_none() => Some(
                "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')".into(),
            ),
            _ => None,
        }
    }

    pub fn render(&self) -> String {
        match self {
            IntOrString::Int(i) => i.to_string(),
            IntOrString::Str(s) => format!("\"{s}\""),
        }
    }
}
