//! Objects the simulator stores without running a controller for them (namespaces,
//! configuration, RBAC, autoscalers, disruption budgets), kept as applied.

use super::meta::Meta;
use rollplay_core::kind::Kind;
use serde_json::Value;
use std::collections::BTreeMap;

/// An applied object and its metadata.
#[derive(Debug, Clone)]
pub struct Stored {
    pub meta: Meta,
    /// The manifest as applied (metadata is rendered from `meta`).
    pub body: Value,
}

#[derive(Default)]
pub struct Store {
    pub objects: BTreeMap<(Kind, String, String), Stored>,
}

impl Store {
    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<&Stored> {
        self.objects
            .get(&(kind, namespace.to_string(), name.to_string()))
    }

    pub fn list(&self, kind: Kind, namespace: &str) -> impl Iterator<Item = &Stored> {
        self.objects
            .iter()
            .filter(move |((k, ns, _), _)| *k == kind && (namespace.is_empty() || ns == namespace))
            .map(|(_, s)| s)
    }

    /// The object rendered as the API returns it.
    pub fn render(&self, kind: Kind, stored: &Stored) -> Value {
        let mut v = stored.body.clone();
        if let Some(obj) = v.as_object_mut() {
            obj.insert("apiVersion".into(), Value::from(kind.api_version()));
            obj.insert("kind".into(), Value::from(kind.name()));
            obj.insert("metadata".into(), stored.meta.to_value(None));
        }
        if kind == Kind::Namespace {
            v["status"] = serde_json::json!({"phase": "Active"});
        }
        v
    }
}
