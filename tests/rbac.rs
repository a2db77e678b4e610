//! `examples/rbac/rollplay.yaml` is enough: every request a `rolling` run makes against
//! `rollplay sim serve` (its request log) is allowed by those rules, as RBAC would judge it.

mod common;

use common::served::ServedSim;
use common::*;
use serde_json::Value;

/// (namespace of the Role, or None for a ClusterRole) and its rules.
fn rules() -> Vec<(Option<String>, Value)> {
    let text = std::fs::read_to_string(root().join("examples/rbac/rollplay.yaml")).unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).expect("the RBAC file parses");
    docs.into_iter()
        .filter(|d| d["kind"] == "Role" || d["kind"] == "ClusterRole")
        .flat_map(|d| {
            let ns = d["metadata"]["namespace"].as_str().map(String::from);
            d["rules"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |r| (ns.clone(), r))
        })
        .collect()
}

fn listed(rule: &Value, field: &str, wanted: &str) -> bool {
    rule[field]
        .as_array()
        .is_some_and(|xs| xs.iter().any(|x| x == wanted))
}

fn allowed(rules: &[(Option<String>, Value)], request: &Value) -> bool {
    let resource = match request["subresource"].as_str() {
        Some(sub) => format!("{}/{sub}", request["resource"].as_str().unwrap()),
        None => request["resource"].as_str().unwrap().to_string(),
    };
    let namespace = request["namespace"].as_str();
    rules.iter().any(|(role_ns, rule)| {
        let scope_ok = match role_ns {
            None => true,
            Some(ns) => namespace == Some(ns.as_str()),
        };
        scope_ok
            && listed(rule, "apiGroups", request["group"].as_str().unwrap())
            && listed(rule, "resources", &resource)
            && listed(rule, "verbs", request["verb"].as_str().unwrap())
    })
}

#[test]
fn a_rolling_run_needs_nothing_beyond_the_rollplay_role() {
    let dir = scratch("rbac");
    let log = dir.join("requests.jsonl");
    let served = ServedSim::start(&["--speed", "30", "--request-log", log.to_str().unwrap()]);
    let image = new_image_arg();
    let (code, report) = served.rollplay_json(&rolling_args(&image, &[]));
    assert_eq!(code, 0, "{report:#}");
    let rules = rules();
    assert!(
        rules
            .iter()
            .all(|(_, r)| !listed(r, "verbs", "*") && !listed(r, "resources", "*")),
        "no wildcards"
    );
    let requests: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &Value| r.get("resource").is_some())
        .collect();
    assert!(requests.len() > 10, "the run made requests: {requests:?}");
    let refused: Vec<&Value> = requests.iter().filter(|r| !allowed(&rules, r)).collect();
    assert!(
        refused.is_empty(),
        "requests the Role does not allow: {refused:#?}"
    );
    // And the check can fail: deleting a namespace is not granted.
    let delete_ns = serde_json::json!({"verb": "delete", "group": "", "resource": "namespaces", "subresource": null, "namespace": null});
    assert!(!allowed(&rules, &delete_ns));
}
