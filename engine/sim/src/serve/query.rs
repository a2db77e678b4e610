//! Query parameters of list and watch requests: label and field selectors, `limit` and
//! `continue`, `resourceVersion`, `timeoutSeconds`, and what they select.

use rollplay_core::selector::Selector;
use serde_json::Value;
use std::collections::BTreeMap;

pub type Params = BTreeMap<String, String>;

pub fn parse(raw: Option<&str>) -> Params {
    raw.and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .unwrap_or_default()
        .into_iter()
        .collect()
}

pub fn flag(params: &Params, name: &str) -> bool {
    params.get(name).is_some_and(|v| v == "true" || v == "1")
}

/// Which objects a list or watch wants.
#[derive(Debug, Default)]
pub struct Filter {
    namespace: Option<String>,
    labels: Option<Selector>,
    /// (path, wanted, equal?) from `fieldSelector`.
    fields: Vec<(Vec<String>, String, bool)>,
}

impl Filter {
    pub fn new(namespace: Option<&str>, params: &Params) -> Result<Filter, String> {
        let labels = match params.get("labelSelector").map(|s| s.trim()) {
            None | Some("") => None,
            Some(text) => Some(Selector::parse(text).map_err(|e| e.to_string())?),
        };
        let mut fields = Vec::new();
        if let Some(text) = params.get("fieldSelector") {
            for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (path, value, equal) = if let Some((p, v)) = part.split_once("!=") {
                    (p, v, false)
                } else if let Some((p, v)) = part.split_once("==") {
                    (p, v, true)
                } else if let Some((p, v)) = part.split_once('=') {
                    (p, v, true)
                } else {
                    return Err(format!(
                        "invalid field selector \"{part}\": expected FIELD=VALUE"
                    ));
                };
                fields.push((
                    path.trim().split('.').map(String::from).collect(),
                    value.trim().to_string(),
                    equal,
                ));
            }
        }
        Ok(Filter {
            namespace: namespace.map(String::from),
            labels,
            fields,
        })
    }

    /// Whether a watched object matches: from the facts kept beside its text, or from the
    /// text itself for a field path not among them.
    pub fn matches_rendered(&self, object: &super::watch::Rendered) -> bool {
        if let Some(ns) = &self.namespace
            && object.namespace != *ns
        {
            return false;
        }
        if let Some(selector) = &self.labels
            && !selector.matches(&object.labels)
        {
            return false;
        }
        let mut parsed: Option<Value> = None;
        self.fields.iter().all(|(path, wanted, equal)| {
            let joined = path.join(".");
            let actual = match object.field(&joined) {
                Some(v) => v.to_string(),
                None => {
                    let value = parsed.get_or_insert_with(|| object.value());
                    let mut at = &*value;
                    for segment in path {
                        at = &at[segment.as_str()];
                    }
                    match at {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    }
                }
            };
            (actual == *wanted) == *equal
        })
    }

    pub fn matches(&self, object: &Value) -> bool {
        let meta = &object["metadata"];
        if let Some(ns) = &self.namespace
            && meta["namespace"].as_str().unwrap_or_default() != ns
        {
            return false;
        }
        if let Some(selector) = &self.labels {
            let labels = rollplay_k8s::json::string_map(meta.get("labels"));
            if !selector.matches(&labels) {
                return false;
            }
        }
        self.fields.iter().all(|(path, wanted, equal)| {
            let mut at = object;
            for segment in path {
                at = &at[segment.as_str()];
            }
            let actual = match at {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (actual == *wanted) == *equal
        })
    }
}
