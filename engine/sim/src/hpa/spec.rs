//! An autoscaling/v2 HorizontalPodAutoscaler as the controller reads it: the API defaults
//! filled in (HPA-1) and the API server's validation, with errors that say how to fix them.

use super::behavior::Behavior;
use super::metric::{MetricSource, MetricSpec, MetricTarget, parse_metric};
use rollplay_k8s::json::{i64_at, render, str_at};
use serde_json::Value;

/// A field that the API server would reject, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HorizontalPodAutoscaler {object}{field}: {problem} (fix: {fix})")]
pub struct SpecError {
    /// `web: ` when the object has a name, empty otherwise.
    pub object: String,
    /// The field path, `spec.maxReplicas`.
    pub field: String,
    pub problem: String,
    pub fix: String,
}

pub(super) fn error(
    field: impl Into<String>,
    problem: impl Into<String>,
    fix: impl Into<String>,
) -> SpecError {
    SpecError {
        object: String::new(),
        field: field.into(),
        problem: problem.into(),
        fix: fix.into(),
    }
}

/// `spec.scaleTargetRef`: the object whose scale subresource the autoscaler writes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScaleTargetRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

/// The spec of a HorizontalPodAutoscaler, defaulted and validated.
#[derive(Debug, Clone, PartialEq)]
pub struct HpaSpec {
    pub name: String,
    pub scale_target_ref: ScaleTargetRef,
    pub min_replicas: i64,
    pub max_replicas: i64,
    /// Never empty: no metrics means CPU at 80% (HPA-1).
    pub metrics: Vec<MetricSpec>,
    /// None selects the legacy normalisation (HPA-9).
    pub behavior: Option<Behavior>,
}

impl HpaSpec {
    /// Parses a whole HorizontalPodAutoscaler object (autoscaling/v2, or autoscaling/v1 with
    /// `targetCPUUtilizationPercentage`).
    pub fn from_value(object: &Value) -> Result<HpaSpec, SpecError> {
        let name = str_at(object, &["metadata", "name"]).unwrap_or_default();
        let named = |mut e: SpecError| {
            if !name.is_empty() {
                e.object = format!("{name}: ");
            }
            e
        };
        let spec = object.get("spec").ok_or_else(|| {
            named(error(
                "spec",
                "Required value",
                "add a spec with scaleTargetRef, maxReplicas and metrics",
            ))
        })?;
        let mut parsed = HpaSpec::from_spec_value(spec).map_err(named)?;
        parsed.name = name.to_string();
        Ok(parsed)
    }

    /// Parses `spec` alone; the name stays empty.
    pub fn from_spec_value(spec: &Value) -> Result<HpaSpec, SpecError> {
        let scale_target_ref = ScaleTargetRef {
            api_version: str_at(spec, &["scaleTargetRef", "apiVersion"])
                .unwrap_or_default()
                .into(),
            kind: str_at(spec, &["scaleTargetRef", "kind"])
                .unwrap_or_default()
                .into(),
            name: str_at(spec, &["scaleTargetRef", "name"])
                .unwrap_or_default()
                .into(),
        };
        for (field, v) in [
            ("kind", &scale_target_ref.kind),
            ("name", &scale_target_ref.name),
        ] {
            if v.is_empty() {
                return Err(error(
                    format!("spec.scaleTargetRef.{field}"),
                    "Required value",
                    "name the Deployment to scale: scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ...}",
                ));
            }
        }
        let mut metrics = match spec.get("metrics").filter(|v| !v.is_null()) {
            None => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, m)| parse_metric(m, &format!("spec.metrics[{i}]")))
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(error(
                    "spec.metrics",
                    "must be a list",
                    "write a list of metric specs",
                ));
            }
        };
        if metrics.is_empty() {
            metrics.push(match i64_at(spec, &["targetCPUUtilizationPercentage"]) {
                Some(p) if p > 0 => MetricSpec {
                    source: MetricSource::Resource { name: "cpu".into() },
                    target: MetricTarget::Utilization(p),
                },
                Some(p) => {
                    return Err(error(
                        "spec.targetCPUUtilizationPercentage",
                        format!("Invalid value: {p}: must be greater than 0"),
                        "give the target CPU utilization in percent",
                    ));
                }
                None => MetricSpec::default_cpu(),
            });
        }
        let min_replicas = match spec.get("minReplicas").filter(|v| !v.is_null()) {
            None => 1,
            Some(v) => v.as_i64().ok_or_else(|| {
                error(
                    "spec.minReplicas",
                    format!("Invalid value: {}: must be an integer", render(v)),
                    "write a whole number",
                )
            })?,
        };
        let scales_from_zero = metrics.iter().any(|m| {
            matches!(
                m.source,
                MetricSource::Object { .. } | MetricSource::External { .. }
            )
        });
        if min_replicas < 1 && !(min_replicas == 0 && scales_from_zero) {
            return Err(error(
                "spec.minReplicas",
                format!("Invalid value: {min_replicas}: must be greater than or equal to 1"),
                "set minReplicas to 1 or more (0 is allowed only with an Object or External metric)",
            ));
        }
        let max_replicas = i64_at(spec, &["maxReplicas"]).ok_or_else(|| {
            error(
                "spec.maxReplicas",
                "Required value",
                "set maxReplicas to the largest number of replicas the autoscaler may create",
            )
        })?;
        if max_replicas < min_replicas.max(1) {
            return Err(error(
                "spec.maxReplicas",
                format!(
                    "Invalid value: {max_replicas}: must be greater than or equal to `minReplicas` and 1"
                ),
                format!("set maxReplicas to at least {}", min_replicas.max(1)),
            ));
        }
        let behavior = match spec.get("behavior").filter(|v| !v.is_null()) {
            None => None,
            Some(b) => Some(Behavior::from_value(b)?),
        };
        Ok(HpaSpec {
            name: String::new(),
            scale_target_ref,
            min_replicas,
            max_replicas,
            metrics,
            behavior,
        })
    }
}
