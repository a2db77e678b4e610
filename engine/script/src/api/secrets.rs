//! Secrets as scripts see them: every value reads `<redacted>` in what `get`, `list` and
//! `read_manifests` return, so no `print`, report or error can show one; the values
//! `read_manifests` hid are put back when its result is applied.

use crate::api::host::{RhaiResult, bad_argument, from_json};
use parking_lot::Mutex;
use rhai::Dynamic;
use rollplay_core::kind::Kind;
use rollplay_core::manifest::Manifest;
use rollplay_k8s::secret::{holds_redacted, redacted};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The Secrets a run read from manifests, by namespace and name, with their values.
#[derive(Default)]
pub struct SecretsRead(Mutex<BTreeMap<(String, String), Arc<Value>>>);

impl SecretsRead {
    /// Keeps the values of `m` if it is a Secret, for `restore`.
    pub fn remember(&self, m: &Manifest, namespace: &str) {
        if m.kind() == Kind::Secret {
            let key = (m.namespace_or(namespace).to_string(), m.name().to_string());
            self.0.lock().insert(key, m.object.clone());
        }
    }

    /// Puts back the values of every Secret in `loaded` that reads `<redacted>`: the script
    /// applied what `read_manifests` gave it. A redacted Secret rollplay did not read (copied
    /// from `get`, say) is refused: applying it would overwrite the real values.
    pub fn restore(
        &self,
        loaded: &mut [Manifest],
        namespace: &str,
        primitive: &str,
    ) -> RhaiResult<()> {
        let read = self.0.lock();
        for m in loaded
            .iter_mut()
            .filter(|m| m.kind() == Kind::Secret && holds_redacted(&m.object))
        {
            let key = (m.namespace_or(namespace).to_string(), m.name().to_string());
            match read.get(&key) {
                Some(original) if same_keys(original, &m.object) => m.object = original.clone(),
                _ => {
                    return Err(bad_argument(
                        primitive,
                        format!(
                            "secret/{} holds values that read \"<redacted>\" (what scripts see of a Secret): applying it would overwrite the real ones; apply the Secret's manifest file, or what read_manifests() returned for it, unchanged",
                            m.name()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn same_keys(original: &Value, shown: &Value) -> bool {
    let keys = |v: &Value, field: &str| {
        v.get(field)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect::<Vec<_>>())
    };
    ["data", "stringData"]
        .iter()
        .all(|f| keys(original, f) == keys(shown, f))
}

/// An object as a script may see it: a Secret's values redacted.
pub fn shown(object: &Value) -> Dynamic {
    if rollplay_k8s::secret::is_secret(object) {
        from_json(&redacted(object))
    } else {
        from_json(object)
    }
}
