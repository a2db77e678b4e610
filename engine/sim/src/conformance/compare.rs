//! Comparing a case's expected values with what the simulator produced: the expected object's
//! keys (explanatory `note` keys aside) must match; `validationError` strings may use `...`
//! for the version-dependent rendering of a value.

use serde_json::Value;

/// Where the first difference is, or None when everything expected is there.
pub fn mismatch(expected: &Value, actual: &Value) -> Option<String> {
    subset(expected, actual, "expected")
}

fn subset(expected: &Value, actual: &Value, path: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                if k == "note" || k == "description" {
                    continue;
                }
                let p = format!("{path}.{k}");
                let Some(av) = a.get(k) else {
                    return Some(format!("{p} is missing"));
                };
                let problem = match (k.as_str(), ev, av) {
                    ("validationError", Value::String(pattern), Value::String(text)) => {
                        (!rollplay_core::pattern::matches(pattern, text, "..."))
                            .then(|| format!("{p} differs"))
                    }
                    (_, Value::Object(_), _) if is_map_of_scalars(ev) => {
                        (ev != av).then(|| format!("{p} differs"))
                    }
                    _ => subset(ev, av, &p),
                };
                if problem.is_some() {
                    return problem;
                }
            }
            None
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Some(format!(
                    "{path} has {} entries, expected {}",
                    a.len(),
                    e.len()
                ));
            }
            e.iter()
                .zip(a)
                .enumerate()
                .find_map(|(i, (ev, av))| subset(ev, av, &format!("{path}[{i}]")))
        }
        (Value::Number(e), Value::Number(a)) => {
            (e.as_f64() != a.as_f64()).then(|| format!("{path} differs"))
        }
        (e, a) => (e != a).then(|| format!("{path} differs")),
    }
}

/// Maps such as `{"v1": 1, "v2": 4}` compare whole: an extra ReplicaSet is a difference.
fn is_map_of_scalars(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|m| !m.is_empty() && m.values().all(|x| !x.is_object() && !x.is_array()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expected_keys_must_match_extra_actual_keys_do_not_matter() {
        assert_eq!(mismatch(&json!({"a": 1}), &json!({"a": 1, "b": 2})), None);
        assert!(mismatch(&json!({"a": 1}), &json!({"a": 2})).is_some());
        assert!(mismatch(&json!({"a": 1}), &json!({})).is_some());
        assert!(
            mismatch(
                &json!({"rs": {"v1": 1}}),
                &json!({"rs": {"v1": 1, "v2": 2}})
            )
            .is_some()
        );
        assert_eq!(
            mismatch(
                &json!({"steps": [{"op": "pass", "note": "x"}]}),
                &json!({"steps": [{"op": "pass"}]})
            ),
            None
        );
    }

    #[test]
    fn validation_errors_use_dots_as_a_wildcard() {
        let e = json!({"validationError": "x: Invalid value: ...: may not be 0"});
        assert_eq!(
            mismatch(
                &e,
                &json!({"validationError": "x: Invalid value: \"0%\": may not be 0"})
            ),
            None
        );
        assert!(
            mismatch(
                &e,
                &json!({"validationError": "y: Invalid value: 0: may not be 0"})
            )
            .is_some()
        );
    }
}
