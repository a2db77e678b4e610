//! Label selectors (`matchLabels` and `matchExpressions`) and matching against labels.

use super::json::string_map;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl LabelSelector {
    /// Parses a `metav1.LabelSelector`; returns a message for malformed expressions.
    pub fn from_value(value: &Value) -> Result<LabelSelector, String> {
        let match_labels = string_map(value.get("matchLabels"));
        let mut match_expressions = Vec::new();
        if let Some(exprs) = value.get("matchExpressions").and_then(Value::as_array) {
            for (i, e) in exprs.iter().enumerate() {
                let key = e
                    .get("key")
                    .and_then(Value::as_str)
                    .ok_or(format!("matchExpressions[{i}].key: Required value"))?;
                let op = match e.get("operator").and_then(Value::as_str) {
                    Some("In") => Operator::In,
                    Some("NotIn") => Operator::NotIn,
                    Some("Exists") => Operator::Exists,
                    Some("DoesNotExist") => Operator::DoesNotExist,
                    other => {
                        return Err(format!(
                            "matchExpressions[{i}].operator: Unsupported value: {}: supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"",
                            other.map(|o| format!("\"{o}\"")).unwrap_or("null".into())
                        ));
                    }
                };
                let values: Vec<String> = e
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                match op {
                    Operator::In | Operator::NotIn if values.is_empty() => {
                        return Err(format!(
                            "matchExpressions[{i}].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
                        ));
                    }
                    Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                        return Err(format!(
                            "matchExpressions[{i}].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                        ));
                    }
                    _ => {}
                }
                match_expressions.push(Requirement {
                    key: key.to_string(),
                    operator: op,
                    values,
                });
            }
        }
        Ok(LabelSelector {
            match_labels,
            match_expressions,
        })
    }

    /// A selector from a plain map, as Services use.
    pub fn from_map(map: BTreeMap<String, String>) -> LabelSelector {
        LabelSelector {
            match_labels: map,
            match_expressions: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let got = labels.get(&r.key);
                match r.operator {
                    Operator::In => got.is_some_and(|v| r.values.contains(v)),
                    Operator::NotIn => got.is_none_or(|v| !r.values.contains(v)),
                    Operator::Exists => got.is_some(),
                    Operator::DoesNotExist => got.is_none(),
                }
            })
    }

    /// The selector with one more required label (the controller adds `pod-template-hash`).
    pub fn with_label(&self, key: &str, value: &str) -> LabelSelector {
        let mut s = self.clone();
        s.match_labels.insert(key.to_string(), value.to_string());
        s
    }

    pub fn to_value(&self) -> Value {
        let mut out = serde_json::Map::new();
        if !self.match_labels.is_empty() {
            out.insert(
                "matchLabels".into(),
                super::json::string_map_to_value(&self.match_labels),
            );
        }
        if !self.match_expressions.is_empty() {
            let exprs = self
                .match_expressions
                .iter()
                .map(|r| {
                    let mut e =
                        serde_json::json!({"key": r.key, "operator": format!("{:?}", r.operator)});
                    if !r.values.is_empty() {
                        e["values"] = Value::from(r.values.clone());
                    }
                    e
                })
                .collect::<Vec<_>>();
            out.insert("matchExpressions".into(), Value::Array(exprs));
        }
        Value::Object(out)
    }

    /// `app=web,tier!=db` form, as kubectl's `-l` takes it.
    pub fn to_query(&self) -> String {
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in &self.match_expressions {
            parts.push(match r.operator {
                Operator::In => format!("{} in ({})", r.key, r.values.join(",")),
                Operator::NotIn => format!("{} notin ({})", r.key, r.values.join(",")),
                Operator::Exists => r.key.clone(),
                Operator::DoesNotExist => format!("!{}", r.key),
            });
        }
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn match_labels_and_expressions() {
        let s = LabelSelector::from_value(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "track", "operator": "In", "values": ["stable", "canary"]},
                                 {"key": "debug", "operator": "DoesNotExist"}]
        }))
        .unwrap();
        assert!(s.matches(&labels(&[("app", "web"), ("track", "canary")])));
        assert!(!s.matches(&labels(&[("app", "web"), ("track", "blue")])));
        assert!(!s.matches(&labels(&[
            ("app", "web"),
            ("track", "stable"),
            ("debug", "1")
        ])));
        assert!(!s.matches(&labels(&[("track", "stable")])));
        assert_eq!(s.to_query(), "app=web,track in (stable,canary),!debug");
    }

    #[test]
    fn malformed_expressions_are_reported() {
        let err = LabelSelector::from_value(
            &json!({"matchExpressions": [{"key": "a", "operator": "Near"}]}),
        )
        .unwrap_err();
        assert!(err.contains("Unsupported value: \"Near\""), "{err}");
        let err = LabelSelector::from_value(
            &json!({"matchExpressions": [{"key": "a", "operator": "In"}]}),
        )
        .unwrap_err();
        assert!(err.contains("values: Required value"), "{err}");
    }
}
