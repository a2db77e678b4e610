//! ConfigMaps and Secrets: keys the kubelet can project, string values, base64 `data`, the
//! 1 MiB limit. A Secret's errors name the key and never its value.

use super::fields::{Check, PathSeg, p};
use super::names::config_key;
use crate::json::render;
use crate::secret::{REDACTED, base64_problem};
use serde_json::Value;

/// The most a ConfigMap's or Secret's values may hold together (MaxSecretSize).
const MAX_TOTAL_BYTES: usize = 1024 * 1024;

pub(crate) fn validate_configmap(check: &mut Check) {
    let mut total = 0;
    for field in ["data", "binaryData"] {
        total += values(check, field, false);
    }
    too_large(check, "data", total);
}

pub(crate) fn validate_secret(check: &mut Check) {
    let mut total = values(check, "data", true);
    total += values(check, "stringData", true);
    too_large(check, "data", total);
}

/// Checks the keys and values of one map field and returns the bytes its values hold.
fn values(check: &mut Check, field: &str, secret: bool) -> usize {
    let shown = |v: &Value| {
        if secret {
            REDACTED.to_string()
        } else {
            render(v)
        }
    };
    let map = match check.get(&[field]).cloned() {
        None | Some(Value::Null) => return 0,
        Some(Value::Object(map)) => map,
        Some(other) => {
            let detail = format!("Invalid value: {}: must be a map of strings", shown(&other));
            check.err(p(&[field]), detail);
            return 0;
        }
    };
    let mut total = 0;
    for (key, value) in map {
        let path = vec![PathSeg::Key(field.into()), PathSeg::Key(key.clone())];
        if let Some(problem) = config_key(&key) {
            check.err(path.clone(), format!("Invalid value: \"{key}\": {problem}"));
        }
        let Some(text) = value.as_str() else {
            let quote = if secret {
                String::new()
            } else {
                format!(" (quote it: \"{}\")", value.to_string().trim_matches('"'))
            };
            let detail = format!("Invalid value: {}: must be a string{quote}", shown(&value));
            check.err(path, detail);
            continue;
        };
        let base64 = field == "binaryData" || (secret && field == "data");
        if base64 && let Some(problem) = base64_problem(text) {
            check.err(path, format!("Invalid value: {}: {problem}", shown(&value)));
        }
        total += text.len();
    }
    total
}

fn too_large(check: &mut Check, field: &str, total: usize) {
    if total > MAX_TOTAL_BYTES {
        check.err(
            p(&[field]),
            format!("Too long: must have at most {MAX_TOTAL_BYTES} bytes"),
        );
    }
}
