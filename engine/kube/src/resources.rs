//! Where each kind lives in the API: built-in kinds from rollplay-core's table (group,
//! version, plural, scope) with no discovery round trip; custom kinds and the question
//! "does this cluster serve it" through discovery, asked once per kind and remembered.

use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use parking_lot::Mutex;
use rollplay_core::kind::Kind;
use std::collections::BTreeMap;

pub fn api_resource(kind: Kind) -> ApiResource {
    let api_version = kind.api_version();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: api_version.into(),
        kind: kind.name().into(),
        plural: kind.plural().into(),
    }
}

/// The API of `kind` in `namespace` ("" = all namespaces, or a cluster-scoped kind).
pub fn api(client: &Client, kind: Kind, namespace: &str) -> Api<DynamicObject> {
    let resource = api_resource(kind);
    if kind.namespaced() && !namespace.is_empty() {
        Api::namespaced_with(client.clone(), namespace, &resource)
    } else {
        Api::all_with(client.clone(), &resource)
    }
}

/// What discovery said about each group version asked for: its kinds and their scope, or
/// None when the cluster does not serve it. One request per group version.
#[derive(Default)]
pub struct Served {
    known: Mutex<BTreeMap<String, Option<BTreeMap<String, bool>>>>,
}

impl Served {
    /// Whether the cluster serves `kind`: Some(namespaced), or None when it does not.
    pub async fn lookup(&self, client: &Client, kind: Kind) -> kube::Result<Option<bool>> {
        let api_version = kind.api_version();
        if let Some(known) = self.known.lock().get(api_version) {
            return Ok(known
                .as_ref()
                .and_then(|kinds| kinds.get(kind.name()).copied()));
        }
        let list = if api_version.contains('/') {
            client.list_api_group_resources(api_version).await
        } else {
            client.list_core_api_resources(api_version).await
        };
        let kinds = match list {
            Ok(list) => Some(
                list.resources
                    .into_iter()
                    .filter(|r| !r.name.contains('/'))
                    .map(|r| (r.kind, r.namespaced))
                    .collect::<BTreeMap<String, bool>>(),
            ),
            Err(kube::Error::Api(status)) if status.code == 404 => None,
            Err(e) => return Err(e),
        };
        let answer = kinds.as_ref().and_then(|k| k.get(kind.name()).copied());
        self.known.lock().insert(api_version.to_string(), kinds);
        Ok(answer)
    }
}
