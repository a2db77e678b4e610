//! Where each kind lives in the API: built-in kinds from rollplay-core's table (group,
//! version, plural, scope) with no discovery round trip; custom kinds and the question
//! "does this cluster serve it" through discovery, asked once per kind and remembered.

use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::discovery::{self, Scope};
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

/// What discovery said about each kind asked for: served (with its scope) or not.
#[derive(Default)]
pub struct Served {
    known: Mutex<BTreeMap<Kind, Option<bool>>>,
}

impl Served {
    /// Whether the cluster serves `kind`: Some(namespaced), or None when it does not.
    pub async fn lookup(&self, client: &Client, kind: Kind) -> kube::Result<Option<bool>> {
        if let Some(known) = self.known.lock().get(&kind) {
            return Ok(*known);
        }
        let api_version = kind.api_version();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let gvk = kube::api::GroupVersionKind::gvk(group, version, kind.name());
        let answer = match discovery::pinned_kind(client, &gvk).await {
            Ok((_, caps)) => Some(caps.scope == Scope::Namespaced),
            Err(kube::Error::Api(status)) if status.code == 404 => None,
            Err(kube::Error::Discovery(_)) => None,
            Err(e) => return Err(e),
        };
        self.known.lock().insert(kind, answer);
        Ok(answer)
    }
}
