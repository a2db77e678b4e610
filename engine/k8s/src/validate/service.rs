//! Services: types, ports and selectors as the core/v1 validation checks them.

use super::fields::{Check, PathSeg, p};
use serde_json::Value;

pub(super) fn validate_service(c: &mut Check) {
    let service_type = c
        .get(&["spec", "type"])
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
        .to_string();
    if !matches!(
        service_type.as_str(),
        "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName"
    ) {
        c.err(
            p(&["spec", "type"]),
            format!("Unsupported value: \"{service_type}\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""),
        );
    }
    let headless = c.get(&["spec", "clusterIP"]).and_then(Value::as_str) == Some("None");
    let ports = c
        .get(&["spec", "ports"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if ports.is_empty() && service_type != "ExternalName" && !headless {
        c.err(p(&["spec", "ports"]), "Required value");
    }
    for (i, port) in ports.iter().enumerate() {
        let path = |f: &str| {
            vec![
                PathSeg::Key("spec".into()),
                PathSeg::Key("ports".into()),
                PathSeg::Index(i),
                PathSeg::Key(f.into()),
            ]
        };
        match port.get("port").and_then(Value::as_i64) {
            Some(n) if (1..=65535).contains(&n) => {}
            Some(n) => c.err(
                path("port"),
                format!("Invalid value: {n}: must be between 1 and 65535, inclusive"),
            ),
            None => c.err(path("port"), "Required value"),
        }
        if ports.len() > 1 && port.get("name").is_none() {
            c.err(path("name"), "Required value");
        }
    }
    c.string_map(&["spec", "selector"]);
}
