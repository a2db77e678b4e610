//! `spec.behavior`: per-direction stabilization windows, scaling policies and tolerances,
//! with the defaults the API server fills in (HPA-10) and their validation (HPA-1).

use super::spec::{SpecError, error};
use rollplay_k8s::json::render;
use rollplay_k8s::quantity::parse_value_milli;
use serde_json::Value;

/// Upper bound of `stabilizationWindowSeconds` (HPA-1).
pub const MAX_STABILIZATION_WINDOW_SECONDS: i64 = 3600;
/// Upper bound of a policy's `periodSeconds` (HPA-1).
pub const MAX_PERIOD_SECONDS: i64 = 1800;

/// `selectPolicy` of a scaling direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectPolicy {
    /// The policy allowing the largest change.
    Max,
    /// The policy allowing the smallest change.
    Min,
    /// No scaling in this direction.
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    Pods,
    Percent,
}

/// One `policies[]` entry: at most `value` pods or percent per `period_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub kind: PolicyKind,
    pub value: i64,
    pub period_seconds: i64,
}

/// `behavior.scaleUp` or `behavior.scaleDown` with its defaults filled in (HPA-10).
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingRules {
    /// None for scale-down when unset: the controller's `--horizontal-pod-autoscaler-
    /// downscale-stabilization` flag applies (HPA-10).
    pub stabilization_window_seconds: Option<i64>,
    pub select_policy: SelectPolicy,
    pub policies: Vec<Policy>,
    /// The per-direction tolerance (HPA-4); None uses the controller's.
    pub tolerance: Option<f64>,
}

impl ScalingRules {
    /// The scale-up defaults: no window, the larger of 4 pods or 100% per 15 s (HPA-10).
    pub fn default_scale_up() -> ScalingRules {
        ScalingRules {
            stabilization_window_seconds: Some(0),
            select_policy: SelectPolicy::Max,
            policies: vec![
                Policy {
                    kind: PolicyKind::Pods,
                    value: 4,
                    period_seconds: 15,
                },
                Policy {
                    kind: PolicyKind::Percent,
                    value: 100,
                    period_seconds: 15,
                },
            ],
            tolerance: None,
        }
    }

    /// The scale-down defaults: the controller's window, 100% per 15 s (HPA-10).
    pub fn default_scale_down() -> ScalingRules {
        ScalingRules {
            stabilization_window_seconds: None,
            select_policy: SelectPolicy::Max,
            policies: vec![Policy {
                kind: PolicyKind::Percent,
                value: 100,
                period_seconds: 15,
            }],
            tolerance: None,
        }
    }

    /// Parses one direction at `field` (`spec.behavior.scaleUp`), filling what is missing from
    /// `defaults`; a given `policies` list replaces the default list whole (HPA-10).
    pub fn from_value(
        value: Option<&Value>,
        defaults: ScalingRules,
        field: &str,
    ) -> Result<ScalingRules, SpecError> {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return Ok(defaults);
        };
        let mut rules = defaults;
        if let Some(w) = value
            .get("stabilizationWindowSeconds")
            .filter(|v| !v.is_null())
        {
            let f = format!("{field}.stabilizationWindowSeconds");
            let w = w.as_i64().ok_or_else(|| {
                error(
                    &f,
                    format!("Invalid value: {}: must be an integer", render(w)),
                    "write a number of seconds",
                )
            })?;
            if !(0..=MAX_STABILIZATION_WINDOW_SECONDS).contains(&w) {
                return Err(error(
                    f,
                    format!(
                        "Invalid value: {w}: must be between 0 and {MAX_STABILIZATION_WINDOW_SECONDS}"
                    ),
                    "use a window of 0 to 3600 seconds",
                ));
            }
            rules.stabilization_window_seconds = Some(w);
        }
        if let Some(p) = value.get("selectPolicy").filter(|v| !v.is_null()) {
            rules.select_policy = match p.as_str() {
                Some("Max") => SelectPolicy::Max,
                Some("Min") => SelectPolicy::Min,
                Some("Disabled") => SelectPolicy::Disabled,
                _ => {
                    return Err(error(
                        format!("{field}.selectPolicy"),
                        format!(
                            "Unsupported value: {}: supported values: \"Disabled\", \"Max\", \"Min\"",
                            render(p)
                        ),
                        "write Max, Min or Disabled",
                    ));
                }
            };
        }
        if let Some(list) = value.get("policies").filter(|v| !v.is_null()) {
            let f = format!("{field}.policies");
            let list = list.as_array().ok_or_else(|| {
                error(
                    &f,
                    "must be a list",
                    "write a list of {type, value, periodSeconds}",
                )
            })?;
            if list.is_empty() {
                return Err(error(
                    f,
                    "Required value: must specify at least one Policy",
                    "add a policy, or remove `policies` to keep the defaults",
                ));
            }
            rules.policies = list
                .iter()
                .enumerate()
                .map(|(i, p)| parse_policy(p, &format!("{f}[{i}]")))
                .collect::<Result<_, _>>()?;
        }
        if let Some(t) = value.get("tolerance").filter(|v| !v.is_null()) {
            let milli = parse_value_milli(t).filter(|m| *m >= 0).ok_or_else(|| {
                error(
                    format!("{field}.tolerance"),
                    format!(
                        "Invalid value: {}: must be a non-negative quantity",
                        render(t)
                    ),
                    "write a fraction such as 0.05 or 50m",
                )
            })?;
            rules.tolerance = Some(milli as f64 / 1000.0);
        }
        Ok(rules)
    }

    /// The longest policy period: older scale events no longer limit anything (HPA-13).
    pub fn longest_period_seconds(&self) -> i64 {
        self.policies
            .iter()
            .map(|p| p.period_seconds)
            .max()
            .unwrap_or(0)
    }
}

fn parse_policy(p: &Value, field: &str) -> Result<Policy, SpecError> {
    let kind = match p.get("type").and_then(Value::as_str) {
        Some("Pods") => PolicyKind::Pods,
        Some("Percent") => PolicyKind::Percent,
        other => {
            return Err(error(
                format!("{field}.type"),
                format!(
                    "Unsupported value: {}: supported values: \"Percent\", \"Pods\"",
                    other.map_or("null".into(), |o| format!("\"{o}\""))
                ),
                "write type: Pods or type: Percent",
            ));
        }
    };
    let value = p.get("value").and_then(Value::as_i64).unwrap_or(0);
    if value <= 0 {
        return Err(error(
            format!("{field}.value"),
            format!("Invalid value: {value}: must be greater than zero"),
            "give the number of pods or the percent allowed per period",
        ));
    }
    let period_seconds = p.get("periodSeconds").and_then(Value::as_i64).unwrap_or(0);
    if !(1..=MAX_PERIOD_SECONDS).contains(&period_seconds) {
        return Err(error(
            format!("{field}.periodSeconds"),
            format!(
                "Invalid value: {period_seconds}: must be greater than zero and less than or equal to {MAX_PERIOD_SECONDS}"
            ),
            "use a period of 1 to 1800 seconds",
        ));
    }
    Ok(Policy {
        kind,
        value,
        period_seconds,
    })
}

/// `spec.behavior`, both directions filled in (HPA-10).
#[derive(Debug, Clone, PartialEq)]
pub struct Behavior {
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}

impl Default for Behavior {
    /// What an explicit empty `behavior: {}` means.
    fn default() -> Behavior {
        Behavior {
            scale_up: ScalingRules::default_scale_up(),
            scale_down: ScalingRules::default_scale_down(),
        }
    }
}

impl Behavior {
    pub fn from_value(value: &Value) -> Result<Behavior, SpecError> {
        Ok(Behavior {
            scale_up: ScalingRules::from_value(
                value.get("scaleUp"),
                ScalingRules::default_scale_up(),
                "spec.behavior.scaleUp",
            )?,
            scale_down: ScalingRules::from_value(
                value.get("scaleDown"),
                ScalingRules::default_scale_down(),
                "spec.behavior.scaleDown",
            )?,
        })
    }
}
