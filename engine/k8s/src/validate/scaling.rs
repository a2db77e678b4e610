//! HorizontalPodAutoscalers (autoscaling/v2) and PodDisruptionBudgets (policy/v1): the
//! objects that bound how many replicas a workload has and may lose.

use super::fields::{Check, PathSeg, p};
use crate::IntOrString;
use crate::LabelSelector;
use crate::json::render;
use serde_json::Value;

pub(super) fn validate_hpa(c: &mut Check) {
    for f in ["kind", "name"] {
        if c.get(&["spec", "scaleTargetRef", f])
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            c.err(p(&["spec", "scaleTargetRef", f]), "Required value");
        }
    }
    let min = c
        .get(&["spec", "minReplicas"])
        .and_then(Value::as_i64)
        .unwrap_or(1);
    if min < 1 {
        c.err(
            p(&["spec", "minReplicas"]),
            format!("Invalid value: {min}: must be greater than or equal to 1"),
        );
    }
    match c.get(&["spec", "maxReplicas"]).and_then(Value::as_i64) {
        None => c.err(p(&["spec", "maxReplicas"]), "Required value"),
        Some(max) if max < min => c.err(
            p(&["spec", "maxReplicas"]),
            format!("Invalid value: {max}: must be greater than or equal to `minReplicas`"),
        ),
        _ => {}
    }
    let metrics = c
        .get(&["spec", "metrics"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, metric) in metrics.iter().enumerate() {
        let path = |f: &str| {
            vec![
                PathSeg::Key("spec".into()),
                PathSeg::Key("metrics".into()),
                PathSeg::Index(i),
                PathSeg::Key(f.into()),
            ]
        };
        match metric.get("type").and_then(Value::as_str) {
            Some("Resource" | "Pods" | "Object" | "External" | "ContainerResource") => {}
            Some(other) => c.err(
                path("type"),
                format!("Unsupported value: \"{other}\": supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\""),
            ),
            None => c.err(path("type"), "Required value: must specify a metric source type"),
        }
    }
    for direction in ["scaleUp", "scaleDown"] {
        if let Some(window) = c
            .get(&["spec", "behavior", direction, "stabilizationWindowSeconds"])
            .and_then(Value::as_i64)
            && !(0..=3600).contains(&window)
        {
            c.err(
                p(&["spec", "behavior", direction, "stabilizationWindowSeconds"]),
                format!("Invalid value: {window}: must be less than or equal to 3600"),
            );
        }
        let policies = c
            .get(&["spec", "behavior", direction, "policies"])
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, policy) in policies.iter().enumerate() {
            let path = |f: &str| {
                vec![
                    PathSeg::Key("spec".into()),
                    PathSeg::Key("behavior".into()),
                    PathSeg::Key(direction.into()),
                    PathSeg::Key("policies".into()),
                    PathSeg::Index(i),
                    PathSeg::Key(f.into()),
                ]
            };
            let period = policy
                .get("periodSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if !(1..=1800).contains(&period) {
                c.err(path("periodSeconds"), format!("Invalid value: {period}: must be greater than zero and less than or equal to 1800"));
            }
            if policy.get("value").and_then(Value::as_i64).unwrap_or(0) <= 0 {
                c.err(path("value"), "Invalid value: must be greater than zero");
            }
        }
    }
}

pub(super) fn validate_pdb(c: &mut Check) {
    let min = c.get(&["spec", "minAvailable"]).cloned();
    let max = c.get(&["spec", "maxUnavailable"]).cloned();
    match (&min, &max) {
        (Some(_), Some(_)) => c.err(
            p(&["spec"]),
            "Invalid value: minAvailable and maxUnavailable cannot be both set",
        ),
        (None, None) => c.err(
            p(&["spec"]),
            "Required value: one of minAvailable or maxUnavailable is required",
        ),
        _ => {}
    }
    for (name, v) in [("minAvailable", min), ("maxUnavailable", max)] {
        if let Some(v) = v {
            match IntOrString::from_value(&v) {
                Some(ios) => {
                    if let Some(problem) = ios.validate_non_negative() {
                        c.err(
                            p(&["spec", name]),
                            format!("Invalid value: {}: {problem}", ios.render()),
                        );
                    }
                }
                None => c.err(
                    p(&["spec", name]),
                    format!(
                        "Invalid value: {}: must be an integer or a percentage",
                        render(&v)
                    ),
                ),
            }
        }
    }
    if let Some(sel) = c.get(&["spec", "selector"]).cloned()
        && let Err(e) = LabelSelector::from_value(&sel)
    {
        c.err(p(&["spec", "selector"]), e);
    }
}
