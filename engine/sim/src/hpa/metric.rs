//! `spec.metrics[]`: where each metric comes from, what it is compared with (in milli-units),
//! and the names the controller gives it in conditions and events.

use super::spec::{SpecError, error};
use rollplay_k8s::json::{render, str_at};
use rollplay_k8s::quantity::parse_value_milli;
use serde_json::Value;

/// The target of a HorizontalPodAutoscaler without `spec.metrics` (HPA-1).
pub const DEFAULT_CPU_UTILIZATION: i64 = 80;

/// Where a metric comes from (`spec.metrics[].type` and its source object).
#[derive(Debug, Clone, PartialEq)]
pub enum MetricSource {
    /// A resource of the pods (`cpu`, `memory`), summed over their containers.
    Resource { name: String },
    /// A resource of one named container of each pod.
    ContainerResource { name: String, container: String },
    /// A custom metric every pod reports.
    Pods { name: String },
    /// A custom metric describing one object (`Ingress`, `Service`, ...).
    Object {
        name: String,
        described_kind: String,
        described_name: String,
    },
    /// A metric from outside the cluster; `selector` picks the series (they are summed).
    External {
        name: String,
        selector: Option<Value>,
    },
}

/// What the metric is compared with. Values are milli-units (`"500m"` → 500, `"2"` → 2000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricTarget {
    /// Percent of the pods' requests (resource metrics only).
    Utilization(i64),
    /// Per pod.
    AverageValue(i64),
    /// In total (object and external metrics only).
    Value(i64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    pub source: MetricSource,
    pub target: MetricTarget,
}

impl MetricSpec {
    /// The metric a HorizontalPodAutoscaler without `spec.metrics` uses (HPA-1).
    pub fn default_cpu() -> MetricSpec {
        MetricSpec {
            source: MetricSource::Resource { name: "cpu".into() },
            target: MetricTarget::Utilization(DEFAULT_CPU_UTILIZATION),
        }
    }

    /// The metric's name as the controller writes it in conditions and events
    /// (`cpu resource utilization (percentage of request)`, `pods metric qps`, ...).
    pub fn describe(&self) -> String {
        let utilization = matches!(self.target, MetricTarget::Utilization(_));
        match &self.source {
            MetricSource::Resource { name } if utilization => {
                format!("{name} resource utilization (percentage of request)")
            }
            MetricSource::Resource { name } => format!("{name} resource"),
            MetricSource::ContainerResource { name, .. } if utilization => {
                format!("{name} container resource utilization (percentage of request)")
            }
            MetricSource::ContainerResource { name, .. } => format!("{name} container resource"),
            MetricSource::Pods { name } => format!("pods metric {name}"),
            MetricSource::Object {
                name,
                described_kind,
                ..
            } => format!("{described_kind} metric {name}"),
            MetricSource::External { name, selector } => {
                format!("external metric {name}({})", go_selector(selector.as_ref()))
            }
        }
    }

    /// The ScalingActive reason when this metric cannot be read (HPA-15).
    pub fn failure_reason(&self) -> &'static str {
        match self.source {
            MetricSource::Resource { .. } => "FailedGetResourceMetric",
            MetricSource::ContainerResource { .. } => "FailedGetContainerResourceMetric",
            MetricSource::Pods { .. } => "FailedGetPodsMetric",
            MetricSource::Object { .. } => "FailedGetObjectMetric",
            MetricSource::External { .. } => "FailedGetExternalMetric",
        }
    }

    /// The resource a pod-based metric is about; readiness only matters for `cpu` (HPA-5).
    pub fn resource(&self) -> Option<&str> {
        match &self.source {
            MetricSource::Resource { name } | MetricSource::ContainerResource { name, .. } => {
                Some(name)
            }
            _ => None,
        }
    }
}

/// The controller renders an external metric's selector with Go's `%+v`.
fn go_selector(selector: Option<&Value>) -> String {
    let Some(selector) = selector.filter(|s| !s.is_null()) else {
        return "nil".into();
    };
    let labels: String = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}: {},", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let expressions: String = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| {
                    let values: Vec<&str> = e["values"]
                        .as_array()
                        .map(|v| v.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    format!(
                        "LabelSelectorRequirement{{Key:{},Operator:{},Values:[{}],}},",
                        e["key"].as_str().unwrap_or_default(),
                        e["operator"].as_str().unwrap_or_default(),
                        values.join(" ")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    format!(
        "&LabelSelector{{MatchLabels:map[string]string{{{labels}}},MatchExpressions:[]LabelSelectorRequirement{{{expressions}}},}}"
    )
}

pub(super) fn parse_metric(m: &Value, field: &str) -> Result<MetricSpec, SpecError> {
    let kind = m.get("type").and_then(Value::as_str).unwrap_or_default();
    let (key, source) = match kind {
        "Resource" | "ContainerResource" | "Pods" | "Object" | "External" => {
            let key = lower_first(kind);
            let source = m.get(&key).filter(|v| v.is_object()).ok_or_else(|| {
                error(
                    format!("{field}.{key}"),
                    format!("Required value: must populate information for the given metric source \"{kind}\""),
                    format!("add `{key}:` with the metric and its target"),
                )
            })?;
            (key, source)
        }
        "" => {
            return Err(error(
                format!("{field}.type"),
                "Required value: must specify a metric source type",
                "write type: Resource, Pods, Object, External or ContainerResource",
            ));
        }
        other => {
            return Err(error(
                format!("{field}.type"),
                format!(
                    "Unsupported value: \"{other}\": supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\""
                ),
                "write type: Resource, Pods, Object, External or ContainerResource",
            ));
        }
    };
    let field = format!("{field}.{key}");
    let required = |path: &[&str], what: &str| -> Result<String, SpecError> {
        str_at(source, path)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                error(
                    format!("{field}.{}", path.join(".")),
                    "Required value",
                    format!("name the {what}"),
                )
            })
    };
    let metric_name = || required(&["metric", "name"], "metric");
    let source_spec = match kind {
        "Resource" => MetricSource::Resource {
            name: required(&["name"], "resource (cpu or memory)")?,
        },
        "ContainerResource" => MetricSource::ContainerResource {
            name: required(&["name"], "resource (cpu or memory)")?,
            container: required(&["container"], "container")?,
        },
        "Pods" => MetricSource::Pods {
            name: metric_name()?,
        },
        "Object" => MetricSource::Object {
            name: metric_name()?,
            described_kind: required(&["describedObject", "kind"], "described object's kind")?,
            described_name: required(&["describedObject", "name"], "described object")?,
        },
        _ => MetricSource::External {
            name: metric_name()?,
            selector: source
                .get("metric")
                .and_then(|x| x.get("selector"))
                .cloned(),
        },
    };
    let target = parse_target(source.get("target"), kind, &format!("{field}.target"))?;
    Ok(MetricSpec {
        source: source_spec,
        target,
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn parse_target(
    target: Option<&Value>,
    kind: &str,
    field: &str,
) -> Result<MetricTarget, SpecError> {
    let allowed: &[&str] = match kind {
        "Resource" | "ContainerResource" => &["Utilization", "AverageValue"],
        "Pods" => &["AverageValue"],
        _ => &["Value", "AverageValue"],
    };
    let fix = format!("write target: {{type: {}, ...}}", allowed.join(" or "));
    let Some(target) = target.filter(|t| t.is_object()) else {
        return Err(error(
            field,
            "Required value: must specify a metric target",
            fix,
        ));
    };
    let ty = target
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !allowed.contains(&ty) {
        return Err(error(
            format!("{field}.type"),
            format!(
                "Unsupported value: \"{ty}\": supported values: {}",
                allowed
                    .iter()
                    .map(|a| format!("\"{a}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            fix,
        ));
    }
    let key = match ty {
        "Utilization" => "averageUtilization",
        "AverageValue" => "averageValue",
        _ => "value",
    };
    let raw = target.get(key).filter(|v| !v.is_null());
    let parsed = match ty {
        "Utilization" => raw.and_then(Value::as_i64),
        _ => raw.and_then(parse_value_milli),
    };
    match parsed {
        Some(v) if v > 0 => Ok(match ty {
            "Utilization" => MetricTarget::Utilization(v),
            "AverageValue" => MetricTarget::AverageValue(v),
            _ => MetricTarget::Value(v),
        }),
        _ => Err(error(
            format!("{field}.{key}"),
            match raw {
                None => {
                    "Required value: must set either a target value or averageValue".to_string()
                }
                Some(v) => format!("Invalid value: {}: must be positive", render(v)),
            },
            if ty == "Utilization" {
                "give the target as a percent of the request, e.g. averageUtilization: 70"
                    .to_string()
            } else {
                format!("give a positive quantity, e.g. {key}: \"500m\"")
            },
        )),
    }
}
