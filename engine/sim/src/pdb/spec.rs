//! A policy/v1 PodDisruptionBudget as the disruption controller and the eviction handler read
//! it (PDB-1), parsed from its JSON with errors that name the field and say how to fix it.

use rollplay_k8s::intstr::IntOrString;
use rollplay_k8s::json::{i64_at, render, str_at};
use rollplay_k8s::selector::LabelSelector;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// How much disruption the budget tolerates: exactly one of the two fields (PDB-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Budget {
    /// `spec.minAvailable`: pods that must stay healthy (a count, or a percentage of the
    /// controllers' scale).
    MinAvailable(IntOrString),
    /// `spec.maxUnavailable`: pods that may be down, of the controllers' scale.
    MaxUnavailable(IntOrString),
}

impl Budget {
    pub fn field(&self) -> &'static str {
        match self {
            Budget::MinAvailable(_) => "minAvailable",
            Budget::MaxUnavailable(_) => "maxUnavailable",
        }
    }

    pub fn value(&self) -> &IntOrString {
        match self {
            Budget::MinAvailable(v) | Budget::MaxUnavailable(v) => v,
        }
    }
}

/// `spec.unhealthyPodEvictionPolicy`: may a pod that is not Ready be evicted while the
/// application is short of healthy pods (PDB-4)?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnhealthyPodEvictionPolicy {
    /// Only when the application has its desired healthy pods (the API default).
    #[default]
    IfHealthyBudget,
    /// Always, without touching the budget.
    AlwaysAllow,
}

impl UnhealthyPodEvictionPolicy {
    pub fn parse(text: &str) -> Option<UnhealthyPodEvictionPolicy> {
        match text {
            "IfHealthyBudget" => Some(UnhealthyPodEvictionPolicy::IfHealthyBudget),
            "AlwaysAllow" => Some(UnhealthyPodEvictionPolicy::AlwaysAllow),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UnhealthyPodEvictionPolicy::IfHealthyBudget => "IfHealthyBudget",
            UnhealthyPodEvictionPolicy::AlwaysAllow => "AlwaysAllow",
        }
    }
}

/// The parts of a PodDisruptionBudget object that decide its status and its evictions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdbSpec {
    pub name: String,
    pub namespace: String,
    /// `metadata.generation`, raised by every spec change: until `status.observedGeneration`
    /// catches up the eviction handler refuses to rely on the status (PDB-4).
    pub generation: i64,
    pub budget: Budget,
    /// `spec.selector`. Absent selects no pod; an empty selector `{}` selects every pod of the
    /// namespace, as policy/v1 defines it (PDB-1).
    pub selector: Option<LabelSelector>,
    pub unhealthy_pod_eviction_policy: UnhealthyPodEvictionPolicy,
}

/// A field of the budget that cannot be used, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The field path, `spec.minAvailable`.
    pub field: String,
    /// What is wrong, in the API server's words where it has some.
    pub problem: String,
    /// What to write instead.
    pub fix: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (fix: {})", self.field, self.problem, self.fix)
    }
}

impl std::error::Error for SpecError {}

fn error(field: &str, problem: impl Into<String>, fix: impl Into<String>) -> SpecError {
    SpecError {
        field: field.to_string(),
        problem: problem.into(),
        fix: fix.into(),
    }
}

impl PdbSpec {
    /// Parses a whole PodDisruptionBudget object (`metadata` and `spec`; the status lives in
    /// [`crate::pdb::PdbStatus`], which the controller owns).
    pub fn from_value(object: &Value) -> Result<PdbSpec, SpecError> {
        let spec = object.get("spec").ok_or_else(|| {
            error(
                "spec",
                "Required value",
                "add a spec with a selector and one of minAvailable or maxUnavailable",
            )
        })?;
        let mut parsed = PdbSpec::from_spec_value(spec)?;
        parsed.name = str_at(object, &["metadata", "name"])
            .unwrap_or_default()
            .to_string();
        parsed.namespace = str_at(object, &["metadata", "namespace"])
            .unwrap_or_default()
            .to_string();
        parsed.generation = i64_at(object, &["metadata", "generation"]).unwrap_or(0);
        Ok(parsed)
    }

    /// Parses `spec` alone; name and namespace are empty and the generation 0.
    pub fn from_spec_value(spec: &Value) -> Result<PdbSpec, SpecError> {
        let budget = parse_budget(spec)?;
        let selector = match spec.get("selector") {
            None | Some(Value::Null) => None,
            Some(v @ Value::Object(_)) => Some(LabelSelector::from_value(v).map_err(|e| {
                // The selector's own messages start with the path inside the selector.
                let (inner, problem) = e.split_once(": ").unwrap_or(("", e.as_str()));
                let field = if inner.is_empty() {
                    "spec.selector".to_string()
                } else {
                    format!("spec.selector.{inner}")
                };
                error(
                    &field,
                    problem,
                    "write matchExpressions entries as {key, operator: In|NotIn|Exists|DoesNotExist, values}",
                )
            })?),
            Some(other) => {
                return Err(error(
                    "spec.selector",
                    format!("Invalid value: {}: must be a label selector", render(other)),
                    "write a selector such as {matchLabels: {app: web}}; {} selects every pod of the namespace",
                ));
            }
        };
        let unhealthy_pod_eviction_policy = match spec.get("unhealthyPodEvictionPolicy") {
            None | Some(Value::Null) => UnhealthyPodEvictionPolicy::default(),
            Some(v) => v
                .as_str()
                .and_then(UnhealthyPodEvictionPolicy::parse)
                .ok_or_else(|| {
                    error(
                        "spec.unhealthyPodEvictionPolicy",
                        format!(
                            "Unsupported value: {}: supported values: \"AlwaysAllow\", \"IfHealthyBudget\"",
                            render(v)
                        ),
                        "use \"IfHealthyBudget\" (the default) or \"AlwaysAllow\"",
                    )
                })?,
        };
        Ok(PdbSpec {
            name: String::new(),
            namespace: String::new(),
            generation: 0,
            budget,
            selector,
            unhealthy_pod_eviction_policy,
        })
    }

    /// Whether the budget covers a pod with these labels (the caller checks the namespace).
    pub fn selects(&self, labels: &BTreeMap<String, String>) -> bool {
        self.selector.as_ref().is_some_and(|s| s.matches(labels))
    }
}

/// Exactly one of minAvailable / maxUnavailable, a non-negative count or a percentage up to
/// 100% (PDB-1).
fn parse_budget(spec: &Value) -> Result<Budget, SpecError> {
    let present = |k: &str| spec.get(k).filter(|v| !v.is_null());
    let (field, raw) = match (present("minAvailable"), present("maxUnavailable")) {
        (Some(_), Some(_)) => {
            return Err(error(
                "spec",
                "Invalid value: minAvailable and maxUnavailable cannot be both set",
                "keep one: minAvailable for the pods that must stay up, maxUnavailable for the pods that may be down",
            ));
        }
        (None, None) => {
            return Err(error(
                "spec",
                "Required value: one of minAvailable or maxUnavailable is required",
                "add spec.minAvailable (e.g. 1 or \"50%\") or spec.maxUnavailable",
            ));
        }
        (Some(v), None) => ("minAvailable", v),
        (None, Some(v)) => ("maxUnavailable", v),
    };
    let path = format!("spec.{field}");
    let fix = format!("write {field} as a pod count such as 1 or a percentage such as \"25%\"");
    let value = IntOrString::from_value(raw).ok_or_else(|| {
        error(
            &path,
            format!(
                "Invalid value: {}: must be an integer or a percentage",
                render(raw)
            ),
            fix.clone(),
        )
    })?;
    if let Some(problem) = value.validate_non_negative() {
        return Err(error(
            &path,
            format!("Invalid value: {}: {problem}", value.render()),
            fix,
        ));
    }
    if value.percent().is_some_and(|p| p > 100) {
        return Err(error(
            &path,
            format!(
                "Invalid value: {}: must not be greater than 100%",
                value.render()
            ),
            format!("use a percentage from \"0%\" to \"100%\" for {field}"),
        ));
    }
    Ok(match field {
        "minAvailable" => Budget::MinAvailable(value),
        _ => Budget::MaxUnavailable(value),
    })
}
