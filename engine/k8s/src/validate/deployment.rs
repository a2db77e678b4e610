//! Deployments and their pod templates (K8S-DEP-2 and the apps/v1 validation rules).

use super::fields::{Check, PathSeg, p};
use super::names::dns1123_label;
use crate::json::{at, render};
use crate::quantity::parse_value_milli;
use crate::{IntOrString, LabelSelector};
use serde_json::Value;

pub(super) fn validate_deployment(c: &mut Check) {
    if c.get(&["spec"]).is_none() {
        c.err(p(&["spec"]), "Required value");
        return;
    }
    c.non_negative_int(&["spec", "replicas"]);
    c.non_negative_int(&["spec", "minReadySeconds"]);
    c.non_negative_int(&["spec", "revisionHistoryLimit"]);
    c.non_negative_int(&["spec", "progressDeadlineSeconds"]);
    let min_ready = c
        .get(&["spec", "minReadySeconds"])
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if let Some(deadline) = c
        .get(&["spec", "progressDeadlineSeconds"])
        .and_then(Value::as_i64)
        && deadline <= min_ready
    {
        c.err(
            p(&["spec", "progressDeadlineSeconds"]),
            format!("Invalid value: {deadline}: must be greater than minReadySeconds"),
        );
    }

    let selector = match c.get(&["spec", "selector"]).cloned() {
        None => {
            c.err(p(&["spec", "selector"]), "Required value");
            None
        }
        Some(v) => match LabelSelector::from_value(&v) {
            Ok(s) if s.is_empty() => {
                c.err(
                    p(&["spec", "selector"]),
                    format!("Invalid value: {v}: empty selector is invalid for deployment"),
                );
                None
            }
            Ok(s) => Some(s),
            Err(e) => {
                c.err(p(&["spec", "selector"]), e);
                None
            }
        },
    };
    c.string_map(&["spec", "template", "metadata", "labels"]);
    let labels = crate::json::string_map(c.get(&["spec", "template", "metadata", "labels"]));
    if let Some(selector) = selector
        && !selector.matches(&labels)
    {
        c.err(
            p(&["spec", "template", "metadata", "labels"]),
            format!(
                "Invalid value: {}: `selector` does not match template `labels`",
                c.get(&["spec", "template", "metadata", "labels"])
                    .map(|v| v.to_string())
                    .unwrap_or("{}".into())
            ),
        );
    }

    let strategy_type = c
        .get(&["spec", "strategy", "type"])
        .and_then(Value::as_str)
        .unwrap_or("RollingUpdate")
        .to_string();
    match strategy_type.as_str() {
        "RollingUpdate" => {
            let field = |c: &Check, name: &str| {
                c.get(&["spec", "strategy", "rollingUpdate", name]).cloned()
            };
            let mut parsed = Vec::new();
            for name in ["maxUnavailable", "maxSurge"] {
                let path = p(&["spec", "strategy", "rollingUpdate", name]);
                match field(c, name) {
                    None => parsed.push(IntOrString::Str("25%".into())),
                    Some(v) => match IntOrString::from_value(&v) {
                        Some(ios) => {
                            if let Some(problem) = ios.validate_non_negative() {
                                c.err(path, format!("Invalid value: {}: {problem}", ios.render()));
                            }
                            parsed.push(ios);
                        }
                        None => {
                            c.err(
                                path,
                                format!(
                                    "Invalid value: {}: must be an integer or a percentage",
                                    render(&v)
                                ),
                            );
                            parsed.push(IntOrString::Int(1));
                        }
                    },
                }
            }
            let (unavailable, surge) = (&parsed[0], &parsed[1]);
            if unavailable.literal_value() == 0 && surge.literal_value() == 0 {
                // K8S-DEP-2
                c.err(
                    p(&["spec", "strategy", "rollingUpdate", "maxUnavailable"]),
                    format!(
                        "Invalid value: {}: may not be 0 when `maxSurge` is 0",
                        unavailable.render()
                    ),
                );
            }
            if unavailable.percent().is_some_and(|pct| pct > 100) {
                c.err(
                    p(&["spec", "strategy", "rollingUpdate", "maxUnavailable"]),
                    format!(
                        "Invalid value: {}: must not be greater than 100%",
                        unavailable.render()
                    ),
                );
            }
        }
        "Recreate" => {
            if c.get(&["spec", "strategy", "rollingUpdate"]).is_some() {
                c.err(
                    p(&["spec", "strategy", "rollingUpdate"]),
                    "Forbidden: may not be specified when strategy `type` is 'Recreate'",
                );
            }
        }
        other => c.err(
            p(&["spec", "strategy", "type"]),
            format!(
                "Unsupported value: \"{other}\": supported values: \"Recreate\", \"RollingUpdate\""
            ),
        ),
    }
    validate_pod_template(c);
}

fn validate_pod_template(c: &mut Check) {
    let base = ["spec", "template", "spec"];
    if let Some(policy) = c
        .get(&["spec", "template", "spec", "restartPolicy"])
        .and_then(Value::as_str)
        && policy != "Always"
    {
        let policy = policy.to_string();
        c.err(
            p(&["spec", "template", "spec", "restartPolicy"]),
            format!("Unsupported value: \"{policy}\": supported values: \"Always\""),
        );
    }
    let containers = c
        .get(&["spec", "template", "spec", "containers"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if containers.is_empty() {
        c.err(
            p(&["spec", "template", "spec", "containers"]),
            "Required value",
        );
        return;
    }
    let mut names = std::collections::BTreeSet::new();
    for (i, container) in containers.iter().enumerate() {
        let path = |rest: &[&str]| {
            let mut v = p(&base);
            v.push(PathSeg::Key("containers".into()));
            v.push(PathSeg::Index(i));
            v.extend(p(rest));
            v
        };
        match container.get("name").and_then(Value::as_str) {
            None => c.err(path(&["name"]), "Required value"),
            Some(name) => {
                if let Some(problem) = dns1123_label(name) {
                    c.err(
                        path(&["name"]),
                        format!("Invalid value: \"{name}\": {problem}"),
                    );
                }
                if !names.insert(name.to_string()) {
                    c.err(path(&["name"]), format!("Duplicate value: \"{name}\""));
                }
            }
        }
        match container.get("image").and_then(Value::as_str) {
            None => c.err(path(&["image"]), "Required value"),
            Some(image) if image.trim().is_empty() || image != image.trim() => c.err(
                path(&["image"]),
                "Invalid value: \"\": must not have leading or trailing whitespace",
            ),
            Some(_) => {}
        }
        for (probe_name, success_must_be_one) in [
            ("readinessProbe", false),
            ("livenessProbe", true),
            ("startupProbe", true),
        ] {
            let Some(probe) = container.get(probe_name) else {
                continue;
            };
            let handlers = ["httpGet", "tcpSocket", "exec", "grpc"]
                .iter()
                .filter(|h| probe.get(**h).is_some())
                .count();
            if handlers == 0 {
                c.err(
                    path(&[probe_name]),
                    "Required value: must specify a handler type",
                );
            } else if handlers > 1 {
                c.err(
                    path(&[probe_name]),
                    "Forbidden: may not specify more than 1 handler type",
                );
            }
            for field in [
                "initialDelaySeconds",
                "timeoutSeconds",
                "periodSeconds",
                "successThreshold",
                "failureThreshold",
            ] {
                match probe.get(field) {
                    None => {}
                    Some(v) if v.as_i64().is_some_and(|n| n >= 0) => {}
                    Some(v) => c.err(
                        path(&[probe_name, field]),
                        format!(
                            "Invalid value: {}: must be greater than or equal to 0",
                            render(v)
                        ),
                    ),
                }
            }
            if success_must_be_one
                && probe
                    .get("successThreshold")
                    .and_then(Value::as_i64)
                    .is_some_and(|s| s != 1)
            {
                let v = probe["successThreshold"].clone();
                c.err(
                    path(&[probe_name, "successThreshold"]),
                    format!("Invalid value: {v}: must be 1"),
                );
            }
        }
        for resource in ["cpu", "memory"] {
            let request = at(container, &["resources", "requests", resource]);
            let limit = at(container, &["resources", "limits", resource]);
            for (which, v) in [("requests", request), ("limits", limit)] {
                if let Some(v) = v
                    && parse_value_milli(v).is_none()
                {
                    c.err(
                        path(&["resources", which, resource]),
                        format!("Invalid value: {}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", render(v)),
                    );
                }
            }
            if let (Some(r), Some(l)) = (
                request.and_then(parse_value_milli),
                limit.and_then(parse_value_milli),
            ) && r > l
            {
                c.err(
                    path(&["resources", "requests"]),
                    format!(
                        "Invalid value: {}: must be less than or equal to {resource} limit of {}",
                        render(request.unwrap()),
                        limit
                            .map(|v| v.to_string().trim_matches('"').to_string())
                            .unwrap_or_default()
                    ),
                );
            }
        }
    }
}
