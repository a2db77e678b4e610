//! Object metadata the simulator keeps for every object, and its API rendering.

use super::ids::Uid;
use super::time::{SimTime, rfc3339};
use rollplay_core::kind::Kind;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Meta {
    pub name: String,
    pub namespace: String,
    pub uid: Uid,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub generation: i64,
    pub created: SimTime,
    pub resource_version: u64,
    pub deleting: Option<SimTime>,
}

/// The controller that owns an object (`ownerReferences[0]`).
pub struct Owner<'a> {
    pub kind: Kind,
    pub name: &'a str,
    pub uid: Uid,
}

impl Meta {
    pub fn to_value(&self, owner: Option<Owner>) -> Value {
        let mut m = json!({
            "name": self.name,
            "uid": self.uid.to_string(),
            "resourceVersion": self.resource_version.to_string(),
            "creationTimestamp": rfc3339(self.created),
        });
        if !self.namespace.is_empty() {
            m["namespace"] = Value::from(self.namespace.clone());
        }
        if self.generation > 0 {
            m["generation"] = Value::from(self.generation);
        }
        if !self.labels.is_empty() {
            m["labels"] = rollplay_k8s::json::string_map_to_value(&self.labels);
        }
        if !self.annotations.is_empty() {
            m["annotations"] = rollplay_k8s::json::string_map_to_value(&self.annotations);
        }
        if let Some(t) = self.deleting {
            m["deletionTimestamp"] = Value::from(rfc3339(t));
        }
        if let Some(o) = owner {
            m["ownerReferences"] = json!([{
                "apiVersion": o.kind.api_version(),
                "kind": o.kind.name(),
                "name": o.name,
                "uid": o.uid.to_string(),
                "controller": true,
                "blockOwnerDeletion": true,
            }]);
        }
        m
    }
}
