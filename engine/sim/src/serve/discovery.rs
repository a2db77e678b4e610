//! What a client learns before it asks for objects: `/version`, the group and resource lists
//! of discovery, and the OpenAPI v3 index and documents as far as kubectl reads them (a PATCH
//! operation per resource that takes `fieldValidation`, so kubectl leaves validation to the
//! server). Every built-in kind of the core crate's table is served.

use rollplay_core::kind::{BUILTIN_KINDS, Kind};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The Kubernetes version the served simulator speaks.
pub const SERVED_VERSION: (&str, &str) = ("1", "32");

pub fn version() -> Value {
    json!({
        "major": SERVED_VERSION.0,
        "minor": SERVED_VERSION.1,
        "gitVersion": format!("v{}.{}.0-rollplay-sim", SERVED_VERSION.0, SERVED_VERSION.1),
        "gitCommit": "rollplay",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "none (rollplay simulator)",
        "compiler": "rustc",
        "platform": "linux/amd64",
    })
}

/// Group versions served, `v1` first, then the named groups in name order.
pub fn group_versions() -> Vec<&'static str> {
    let mut named: Vec<&'static str> = BUILTIN_KINDS
        .iter()
        .map(|k| k.api_version())
        .filter(|gv| *gv != "v1")
        .collect();
    named.sort();
    named.dedup();
    let mut all = vec!["v1"];
    all.extend(named);
    all
}

/// The kinds a group version serves.
pub fn kinds_of(group_version: &str) -> impl Iterator<Item = Kind> + '_ {
    BUILTIN_KINDS
        .iter()
        .copied()
        .filter(move |k| k.api_version() == group_version)
}

/// The kind served at `group_version` under `plural`.
pub fn kind_at(group_version: &str, plural: &str) -> Option<Kind> {
    kinds_of(group_version).find(|k| k.plural() == plural)
}

pub fn core_versions(address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    })
}

pub fn group_list() -> Value {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for gv in group_versions().into_iter().filter(|gv| *gv != "v1") {
        let (group, _) = gv.split_once('/').expect("named group");
        groups.entry(group).or_default().push(gv);
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(name, gvs)| {
            let versions: Vec<Value> = gvs
                .iter()
                .map(|gv| json!({"groupVersion": gv, "version": gv.split_once('/').expect("named").1}))
                .collect();
            json!({"name": name, "versions": versions, "preferredVersion": versions[0]})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// Subresources served per kind, with the kind each answers with.
pub fn subresources(kind: Kind) -> &'static [(&'static str, &'static str)] {
    match kind {
        Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet => {
            &[("status", ""), ("scale", "Scale")]
        }
        Kind::Pod => &[("status", ""), ("log", ""), ("eviction", "Eviction")],
        Kind::DaemonSet
        | Kind::HorizontalPodAutoscaler
        | Kind::PodDisruptionBudget
        | Kind::Job
        | Kind::CronJob
        | Kind::Service
        | Kind::Node
        | Kind::Namespace => &[("status", "")],
        _ => &[],
    }
}

fn verbs(kind: Kind) -> Vec<&'static str> {
    if kind.is_controller_owned() && !matches!(kind, Kind::Node) {
        vec!["delete", "get", "list", "watch"]
    } else {
        vec![
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ]
    }
}

fn categories(kind: Kind) -> Vec<&'static str> {
    match kind {
        Kind::Deployment
        | Kind::ReplicaSet
        | Kind::Pod
        | Kind::Service
        | Kind::StatefulSet
        | Kind::DaemonSet
        | Kind::Job
        | Kind::CronJob
        | Kind::ReplicationController
        | Kind::HorizontalPodAutoscaler => vec!["all"],
        _ => vec![],
    }
}

pub fn resource_list(group_version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for kind in kinds_of(group_version) {
        resources.push(json!({
            "name": kind.plural(),
            "singularName": kind.singular(),
            "namespaced": kind.namespaced(),
            "kind": kind.name(),
            "verbs": verbs(kind),
            "shortNames": kind.short_names(),
            "categories": categories(kind),
        }));
        for (sub, sub_kind) in subresources(kind) {
            let verbs: &[&str] = match *sub {
                "log" => &["get"],
                "eviction" => &["create"],
                _ => &["get", "patch", "update"],
            };
            let (sub_group, sub_version, sub_kind) = match *sub_kind {
                "Scale" => ("autoscaling", "v1", "Scale"),
                "Eviction" => ("policy", "v1", "Eviction"),
                "" if *sub == "log" => ("", "v1", "Pod"),
                _ => (kind.group(), version_of(kind), kind.name()),
            };
            resources.push(json!({
                "name": format!("{}/{sub}", kind.plural()),
                "singularName": "",
                "namespaced": kind.namespaced(),
                "group": sub_group,
                "version": sub_version,
                "kind": sub_kind,
                "verbs": verbs,
            }));
        }
    }
    if resources.is_empty() {
        return None;
    }
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
    )
}

fn version_of(kind: Kind) -> &'static str {
    kind.api_version().rsplit('/').next().unwrap_or("v1")
}

/// `/openapi/v3`: one entry per group version.
pub fn openapi_index() -> Value {
    let paths: serde_json::Map<String, Value> = group_versions()
        .into_iter()
        .map(|gv| {
            let path = openapi_path(gv);
            let url = format!("/openapi/v3/{path}?hash=rollplay-sim-1");
            (path, json!({"serverRelativeURL": url}))
        })
        .collect();
    json!({"paths": paths})
}

/// `api/v1`, `apis/apps/v1`.
pub fn openapi_path(group_version: &str) -> String {
    if group_version == "v1" {
        "api/v1".into()
    } else {
        format!("apis/{group_version}")
    }
}

/// The document of one group version: each resource's PATCH operation (with the parameter
/// that tells kubectl the server validates fields) and a schema naming its kind.
pub fn openapi_document(group_version: &str) -> Option<Value> {
    let mut paths = serde_json::Map::new();
    let mut schemas = serde_json::Map::new();
    let prefix = format!("/{}", openapi_path(group_version));
    for kind in kinds_of(group_version) {
        let gvk = json!({"group": kind.group(), "version": version_of(kind), "kind": kind.name()});
        let item = if kind.namespaced() {
            format!(
                "{prefix}/namespaces/{{namespace}}/{}/{{name}}",
                kind.plural()
            )
        } else {
            format!("{prefix}/{}/{{name}}", kind.plural())
        };
        let operation = |action: &str| {
            json!({
                "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk,
                "parameters": [
                    {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                    {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                    {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                ],
                "responses": {"200": {"description": "OK"}},
            })
        };
        paths.insert(
            item,
            json!({"get": operation("get"), "put": operation("put"), "patch": operation("patch"), "delete": operation("delete")}),
        );
        let group = if kind.group().is_empty() {
            "core"
        } else {
            kind.group()
        };
        schemas.insert(
            format!(
                "io.k8s.api.{}.{}.{}",
                group.split('.').next().unwrap_or(group),
                version_of(kind),
                kind.name()
            ),
            json!({
                "type": "object",
                "x-kubernetes-group-version-kind": [gvk],
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "metadata": {"type": "object"},
                    "spec": {"type": "object"},
                    "status": {"type": "object"},
                },
            }),
        );
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (rollplay simulator)", "version": format!("v{}.{}.0", SERVED_VERSION.0, SERVED_VERSION.1)},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
}
