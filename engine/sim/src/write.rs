//! Writes as an API server takes them, for the served simulator: an object created whole
//! (POST) or replaced whole (PUT, or the result of a patch), validated like a manifest and
//! then handled by the same code as `apply` and the primitives, so every client sees one
//! cluster.

use super::{Sim, TARGET};
use rollplay_core::backend::ApplyResult;
use rollplay_core::error::{Error, Result};
use rollplay_core::kind::Kind;
use rollplay_core::manifest::load_value;
use serde_json::Value;

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Created,
    Changed,
    Unchanged,
}

impl Sim {
    /// The latest resource version: what a list is current as of, and where a watch that
    /// follows it starts.
    pub fn resource_version(&self) -> u64 {
        self.ids.current_resource_version()
    }

    /// Changes whenever anything a client can read changed: objects (their resource
    /// versions) or the event log (events are recorded without taking a version).
    pub fn change_stamp(&self) -> (u64, u64) {
        (self.ids.current_resource_version(), self.events.recorded())
    }

    /// Creates an object; a Conflict (AlreadyExists) if one of that name exists.
    pub fn create_object(&mut self, kind: Kind, namespace: &str, object: Value) -> Result<()> {
        let name = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if kind.is_controller_owned() {
            return Err(owned_by_controller(kind, &name, "created"));
        }
        if self.get(kind, namespace, &name).is_some() {
            return Err(Error::cluster(
                TARGET,
                format!("{} \"{name}\" already exists", kind.resource()),
                rollplay_core::error::Retry::Conflict,
                None,
            ));
        }
        let manifests = load_value(object, &format!("{}/{name}", kind.singular()))?;
        self.apply(&manifests, namespace)?;
        Ok(())
    }

    /// Replaces an existing object with `object`: spec, labels and annotations as given.
    pub fn replace_object(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        object: Value,
    ) -> Result<Written> {
        if self.get(kind, namespace, name).is_none() {
            return Err(self.not_found(kind, namespace, name));
        }
        match kind {
            Kind::Deployment => {
                let changed = self.replace_deployment(namespace, name, object, true)?;
                Ok(if changed {
                    Written::Changed
                } else {
                    Written::Unchanged
                })
            }
            Kind::Node => {
                let cordon = object
                    .pointer("/spec/unschedulable")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let before = self.cordon(name, cordon)?;
                Ok(if before == cordon {
                    Written::Unchanged
                } else {
                    Written::Changed
                })
            }
            other if other.is_controller_owned() => {
                Err(owned_by_controller(other, name, "changed"))
            }
            _ => {
                let manifests = load_value(object, &format!("{}/{name}", kind.singular()))?;
                let applied = self.apply(&manifests, namespace)?;
                Ok(match applied.first().map(|a| a.result) {
                    Some(ApplyResult::Unchanged) => Written::Unchanged,
                    Some(ApplyResult::Created) => Written::Created,
                    _ => Written::Changed,
                })
            }
        }
    }
}

fn owned_by_controller(kind: Kind, name: &str, verb: &str) -> Error {
    Error::Refused {
        object: format!("{}/{name}", kind.singular()),
        target: TARGET.into(),
        message: format!(
            "{} are written by the simulator's controllers and cannot be {verb} by a client; change their owner (a Deployment, a Service, a node) instead",
            kind.resource()
        ),
    }
}
