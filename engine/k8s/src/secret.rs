//! What a Secret's values may and may not do outside the cluster: stored as the API server
//! stores them (`stringData` folded into base64 `data`), and never shown. Scripts, reports,
//! traces and error messages see `<redacted>` in place of every value; the keys stay visible,
//! so a playbook can still check that a Secret holds what its pods reference.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

/// What every Secret value reads as outside the cluster.
pub const REDACTED: &str = "<redacted>";

/// The fields of a Secret that hold values.
pub const VALUE_FIELDS: [&str; 2] = ["data", "stringData"];

/// Whether `object` is a core/v1 Secret (by its `kind`).
pub fn is_secret(object: &Value) -> bool {
    object.get("kind").and_then(Value::as_str) == Some("Secret")
}

/// The object with every value of its `data` and `stringData` replaced by `<redacted>`; other
/// objects are returned as they are.
///
/// ```
/// let secret = serde_json::json!({"kind": "Secret", "data": {"password": "aHVudGVyMg=="}});
/// let shown = rollplay_k8s::secret::redacted(&secret);
/// assert_eq!(shown["data"]["password"], "<redacted>");
/// ```
pub fn redacted(object: &Value) -> Value {
    let mut out = object.clone();
    if is_secret(object) {
        redact_values(&mut out);
    }
    out
}

/// Replaces the values of `data` and `stringData` in place, whatever their type.
pub fn redact_values(object: &mut Value) {
    for field in VALUE_FIELDS {
        if let Some(Value::Object(values)) = object.get_mut(field) {
            for value in values.values_mut() {
                *value = Value::String(REDACTED.into());
            }
        } else if let Some(value) = object.get_mut(field).filter(|v| !v.is_null()) {
            *value = Value::String(REDACTED.into());
        }
    }
}

/// Whether any value of a Secret reads `<redacted>`: it came from a script's view of a Secret,
/// and applying it would overwrite the real value with the placeholder.
pub fn holds_redacted(object: &Value) -> bool {
    VALUE_FIELDS.iter().any(|field| {
        object
            .get(field)
            .and_then(Value::as_object)
            .is_some_and(|values| values.values().any(|v| v.as_str() == Some(REDACTED)))
    })
}

/// The Secret as the API server stores it: every `stringData` entry base64-encoded into
/// `data` (overriding a `data` entry of the same key), and `stringData` dropped, since it is
/// write-only.
///
/// ```
/// let secret = serde_json::json!({"kind": "Secret", "stringData": {"user": "admin"}});
/// let stored = rollplay_k8s::secret::as_stored(secret);
/// assert_eq!(stored["data"]["user"], "YWRtaW4=");
/// assert!(stored.get("stringData").is_none());
/// ```
pub fn as_stored(mut object: Value) -> Value {
    let Some(fields) = object.as_object_mut() else {
        return object;
    };
    let Some(Value::Object(plain)) = fields.remove("stringData") else {
        return object;
    };
    let data = fields
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        *data = Value::Object(Map::new());
    }
    if let Some(data) = data.as_object_mut() {
        for (key, value) in plain {
            if let Some(text) = value.as_str() {
                data.insert(key, Value::String(STANDARD.encode(text)));
            }
        }
    }
    object
}

/// Where standard base64 (Go's `base64.StdEncoding`, which decodes a Secret's `data`) first
/// fails, as the API server reports it: `illegal base64 data at input byte N`.
pub fn base64_problem(text: &str) -> Option<String> {
    // Go's decoder skips line breaks; the rest must be whole, padded quadruples.
    let compact: String = text.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    let illegal = compact
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')));
    if let Some(at) = illegal {
        return Some(format!("illegal base64 data at input byte {at}"));
    }
    match STANDARD.decode(compact.as_bytes()) {
        Ok(_) => None,
        Err(base64::DecodeError::InvalidByte(at, _))
        | Err(base64::DecodeError::InvalidLastSymbol(at, _)) => {
            Some(format!("illegal base64 data at input byte {at}"))
        }
        Err(_) => Some(format!(
            "illegal base64 data at input byte {}",
            compact.len() - compact.len() % 4
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_data_overrides_data_and_is_dropped() {
        let stored = as_stored(json!({
            "kind": "Secret",
            "data": {"user": "b2xk", "keep": "a2VlcA=="},
            "stringData": {"user": "new"},
        }));
        assert_eq!(
            stored,
            json!({"kind": "Secret", "data": {"user": "bmV3", "keep": "a2VlcA=="}})
        );
    }

    #[test]
    fn only_well_formed_padded_base64_decodes() {
        assert_eq!(base64_problem("aHVudGVyMg=="), None);
        assert_eq!(base64_problem("aHVu\ndGVyMg=="), None);
        assert_eq!(
            base64_problem("not base64!").as_deref(),
            Some("illegal base64 data at input byte 3")
        );
        assert_eq!(
            base64_problem("aHVudGVyMg").as_deref(),
            Some("illegal base64 data at input byte 8")
        );
    }

    #[test]
    fn redaction_keeps_keys_and_reaches_non_string_values() {
        let shown = redacted(&json!({
            "kind": "Secret",
            "data": {"a": "eA=="},
            "stringData": {"b": 12345},
        }));
        assert_eq!(shown["data"], json!({"a": REDACTED}));
        assert_eq!(shown["stringData"], json!({"b": REDACTED}));
        assert!(holds_redacted(&shown));
        let config = json!({"kind": "ConfigMap", "data": {"a": "x"}});
        assert_eq!(redacted(&config), config);
    }
}
