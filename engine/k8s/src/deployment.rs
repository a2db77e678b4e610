//! The Deployment spec with the API's defaults (K8S-DEP-1) and its resolved fenceposts (K8S-RU-1..3).

use super::intstr::IntOrString;
use super::json::{at, i64_at};
use super::selector::LabelSelector;
use serde_json::Value;

/// `spec.strategy` of a Deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strategy {
    Recreate,
    RollingUpdate {
        max_surge: IntOrString,
        max_unavailable: IntOrString,
    },
}

impl Default for Strategy {
    fn default() -> Self {
        Strategy::RollingUpdate {
            max_surge: IntOrString::Str("25%".into()),
            max_unavailable: IntOrString::Str("25%".into()),
        }
    }
}

impl Strategy {
    /// Parses `spec.strategy`, filling K8S-DEP-1 defaults for missing fields.
    pub fn from_value(value: Option<&Value>) -> Strategy {
        let Some(v) = value else {
            return Strategy::default();
        };
        match v.get("type").and_then(Value::as_str) {
            Some("Recreate") => Strategy::Recreate,
            _ => {
                let ru = v.get("rollingUpdate");
                let field = |name: &str| {
                    ru.and_then(|r| r.get(name))
                        .and_then(IntOrString::from_value)
                        .unwrap_or(IntOrString::Str("25%".into()))
                };
                Strategy::RollingUpdate {
                    max_surge: field("maxSurge"),
                    max_unavailable: field("maxUnavailable"),
                }
            }
        }
    }

    pub fn is_rolling(&self) -> bool {
        matches!(self, Strategy::RollingUpdate { .. })
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Strategy::Recreate => "Recreate",
            Strategy::RollingUpdate { .. } => "RollingUpdate",
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            Strategy::Recreate => serde_json::json!({"type": "Recreate"}),
            Strategy::RollingUpdate {
                max_surge,
                max_unavailable,
            } => serde_json::json!({
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": max_surge.to_value(), "maxUnavailable": max_unavailable.to_value()}
            }),
        }
    }
}

/// The controller's bounds for one `spec.replicas` (K8S-RU-1..3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fenceposts {
    /// maxSurge in pods (0 for Recreate).
    pub max_surge: i32,
    /// maxUnavailable as resolved, after the both-zero rule (K8S-RU-2), before the cap.
    pub max_unavailable_resolved: i32,
    /// maxUnavailable as the controller uses it: capped at R, 0 for R = 0 or Recreate (K8S-RU-3).
    pub max_unavailable: i32,
}

impl Fenceposts {
    /// `ResolveFenceposts` + `MaxSurge`/`MaxUnavailable` of deployment_util.go.
    pub fn resolve(strategy: &Strategy, replicas: i32) -> Fenceposts {
        match strategy {
            Strategy::Recreate => Fenceposts {
                max_surge: 0,
                max_unavailable_resolved: 0,
                max_unavailable: 0,
            },
            Strategy::RollingUpdate {
                max_surge,
                max_unavailable,
            } => {
                let total = replicas as i64;
                let surge = max_surge.scaled(total, true).unwrap_or(0).max(0);
                let mut unavailable = max_unavailable.scaled(total, false).unwrap_or(0).max(0);
                // K8S-RU-2: both resolving to zero (only possible through rounding) forces 1.
                if surge == 0 && unavailable == 0 {
                    unavailable = 1;
                }
                let effective = if replicas == 0 {
                    0
                } else {
                    unavailable.min(total)
                };
                Fenceposts {
                    max_surge: surge as i32,
                    max_unavailable_resolved: unavailable as i32,
                    max_unavailable: effective as i32,
                }
            }
        }
    }
}

/// `spec` of an apps/v1 Deployment, defaulted.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentSpec {
    pub replicas: i32,
    /// Whether the manifest set `replicas` (an apply without it keeps the live count).
    pub replicas_given: bool,
    pub selector: LabelSelector,
    /// `spec.template` as written; compared (ignoring the hash label) to find the new ReplicaSet.
    pub template: Value,
    pub strategy: Strategy,
    pub min_ready_seconds: i32,
    pub revision_history_limit: i32,
    /// None when unset to MaxInt32: no Progressing condition is kept (K8S-COND-2).
    pub progress_deadline_seconds: Option<i32>,
    pub paused: bool,
}

impl DeploymentSpec {
    /// Reads a validated `spec`, filling the apps/v1 defaults (K8S-DEP-1).
    pub fn from_value(spec: &Value) -> DeploymentSpec {
        let replicas = i64_at(spec, &["replicas"]);
        let deadline = i64_at(spec, &["progressDeadlineSeconds"]).unwrap_or(600);
        DeploymentSpec {
            replicas: replicas.unwrap_or(1) as i32,
            replicas_given: replicas.is_some(),
            selector: spec
                .get("selector")
                .and_then(|s| LabelSelector::from_value(s).ok())
                .unwrap_or_default(),
            template: at(spec, &["template"]).cloned().unwrap_or(Value::Null),
            strategy: Strategy::from_value(spec.get("strategy")),
            min_ready_seconds: i64_at(spec, &["minReadySeconds"]).unwrap_or(0) as i32,
            revision_history_limit: i64_at(spec, &["revisionHistoryLimit"]).unwrap_or(10) as i32,
            progress_deadline_seconds: (deadline < i32::MAX as i64).then_some(deadline as i32),
            paused: spec.get("paused").and_then(Value::as_bool).unwrap_or(false),
        }
    }

    pub fn fenceposts(&self) -> Fenceposts {
        Fenceposts::resolve(&self.strategy, self.replicas)
    }

    pub fn max_surge(&self) -> i32 {
        self.fenceposts().max_surge
    }

    pub fn max_unavailable(&self) -> i32 {
        self.fenceposts().max_unavailable
    }

    pub fn to_value(&self) -> Value {
        let mut spec = serde_json::json!({
            "replicas": self.replicas,
            "selector": self.selector.to_value(),
            "template": self.template,
            "strategy": self.strategy.to_value(),
            "minReadySeconds": self.min_ready_seconds,
            "revisionHistoryLimit": self.revision_history_limit,
            "progressDeadlineSeconds": self.progress_deadline_seconds.unwrap_or(i32::MAX),
        });
        if self.paused {
            spec["paused"] = Value::Bool(true);
        }
        spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rolling(surge: IntOrString, unavailable: IntOrString) -> Strategy {
        Strategy::RollingUpdate {
            max_surge: surge,
            max_unavailable: unavailable,
        }
    }

    #[test]
    fn percent_surge_rounds_up_unavailable_down() {
        // K8S-RU-1: R=10 at 25% → surge ceil(2.5)=3, unavailable floor(2.5)=2.
        let f = Fenceposts::resolve(&Strategy::default(), 10);
        assert_eq!((f.max_surge, f.max_unavailable), (3, 2));
    }

    #[test]
    fn both_zero_after_rounding_forces_one_unavailable() {
        // K8S-RU-2
        let f = Fenceposts::resolve(
            &rolling(IntOrString::Str("0%".into()), IntOrString::Str("1%".into())),
            10,
        );
        assert_eq!((f.max_surge, f.max_unavailable), (0, 1));
    }

    #[test]
    fn unavailable_is_capped_at_replicas_and_zero_for_recreate() {
        // K8S-RU-3
        let f = Fenceposts::resolve(&rolling(IntOrString::Int(0), IntOrString::Int(5)), 3);
        assert_eq!((f.max_unavailable_resolved, f.max_unavailable), (5, 3));
        assert_eq!(
            Fenceposts::resolve(&Strategy::Recreate, 3).max_unavailable,
            0
        );
        assert_eq!(
            Fenceposts::resolve(&Strategy::default(), 0).max_unavailable,
            0
        );
    }
}
