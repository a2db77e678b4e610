//! One HorizontalPodAutoscaler's controller state and its 15-second sync: bounds (HPA-2),
//! every metric's proposal (HPA-3..7), their maximum (HPA-8), then the legacy limits (HPA-9)
//! or behavior (HPA-10..13), with the conditions and the event the real controller writes.
//!
//! # Driving it from the simulator
//!
//! Keep one [`HpaState`] per HorizontalPodAutoscaler (drop it when the object is deleted)
//! and, every [`ControllerConfig::sync_period`] of virtual time ([`HpaState::due`]), call
//! [`HpaState::sync`] with the parsed [`HpaSpec`], the target's scale and a reader that
//! answers each of `spec.metrics` from the traffic model:
//!
//! ```
//! use rollplay_sim::hpa::{HpaSpec, HpaState, MetricSpec, PodSample, Reading, Scale};
//! use serde_json::json;
//!
//! let spec = HpaSpec::from_value(&json!({
//!     "metadata": {"name": "web"},
//!     "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
//!              "minReplicas": 1, "maxReplicas": 10}
//! })).unwrap();
//! let mut state = HpaState::default();
//! let now = 600_000; // SimTime in ms: the pods started at 0, past the CPU initialization period
//! let pods = vec![
//!     PodSample::running("web-a", Some(500), Some(450)),
//!     PodSample::running("web-b", Some(500), Some(450)),
//! ];
//! let decision = state.sync(&spec, now, Scale { spec_replicas: 2, status_replicas: 2 },
//!     &|_metric: &MetricSpec| Ok(Reading::Pods(pods.clone())));
//! assert!(decision.rescale);
//! assert_eq!(decision.desired_replicas, 3); // 90% of request against 80%: ceil(1.125 * 2)
//! // The caller now writes 3 to the Deployment's spec.replicas (HPA-16).
//! ```
//!
//! With the [`Decision`]: when `rescale`, write `desired_replicas` to the target's
//! `spec.replicas` (during a rollout that is a scaling event, K8S-PS); record `event`;
//! merge `conditions` into `status.conditions` by type (a condition keeps its
//! `lastTransitionTime` while its status stays the same); write `desired_replicas` to
//! `status.desiredReplicas` and `current_metrics` to `status.currentMetrics`.
//!
//! A [`PodSample`] per pod of the selector, per metric: phase, deletion, the Ready condition
//! and `startTime` as the pod has them; the request summed over its containers; the sample as
//! metrics-server would serve it (its value, the end of its window, the window's length), or
//! None before the pod's first sample.

use super::decision::{Condition, ConditionType, Decision, HpaEvent, set};
use super::metric::MetricSpec;
use super::normalize::{
    Bounds, RateInput, Recommendation, ScaleEvent, legacy_limit, legacy_stabilize, rate_limit,
    reconcile_bounds, record_scale_event, stabilize,
};
use super::proposal::{self, Combined, MetricReader, Proposal, Reading, combine};
use super::replicas::{Calculator, Tolerance};
use super::spec::HpaSpec;
use crate::time::{SECOND, SimTime};

/// The kube-controller-manager flags the HPA controller reads (HPA-1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ControllerConfig {
    /// `--horizontal-pod-autoscaler-sync-period`.
    pub sync_period: SimTime,
    /// `--horizontal-pod-autoscaler-tolerance`, both directions.
    pub tolerance: f64,
    /// `--horizontal-pod-autoscaler-downscale-stabilization`, in seconds.
    pub downscale_stabilization_seconds: i64,
    /// `--horizontal-pod-autoscaler-cpu-initialization-period`.
    pub cpu_initialization_period: SimTime,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay`.
    pub initial_readiness_delay: SimTime,
}

impl Default for ControllerConfig {
    fn default() -> ControllerConfig {
        ControllerConfig {
            sync_period: 15 * SECOND,
            tolerance: 0.1,
            downscale_stabilization_seconds: 300,
            cpu_initialization_period: 300 * SECOND,
            initial_readiness_delay: 30 * SECOND,
        }
    }
}

/// The target's scale subresource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// `spec.replicas`: what the controller calls the current replicas.
    pub spec_replicas: i64,
    /// `status.replicas`: the pods that exist (AverageValue of Object/External divides by it).
    pub status_replicas: i64,
}

/// What the controller remembers about one HorizontalPodAutoscaler between syncs.
#[derive(Debug, Clone, Default)]
pub struct HpaState {
    pub config: ControllerConfig,
    /// Raw proposals with their times (HPA-9, HPA-11, HPA-14).
    pub recommendations: Vec<Recommendation>,
    pub scale_up_events: Vec<ScaleEvent>,
    pub scale_down_events: Vec<ScaleEvent>,
    /// Whether the first sync happened (HPA-14).
    pub seen: bool,
    pub last_sync: Option<SimTime>,
}

impl HpaState {
    pub fn new(config: ControllerConfig) -> HpaState {
        HpaState {
            config,
            ..HpaState::default()
        }
    }

    /// Whether a sync is due at `now`: the first one at once, then every sync period.
    pub fn due(&self, now: SimTime) -> bool {
        self.last_sync
            .is_none_or(|t| now >= t + self.config.sync_period)
    }

    /// The tolerance of this HPA: the controller's, overridden per direction by behavior.
    pub fn tolerance(&self, spec: &HpaSpec) -> Tolerance {
        let t = self.config.tolerance;
        let b = spec.behavior.as_ref();
        Tolerance {
            scale_down: b.and_then(|b| b.scale_down.tolerance).unwrap_or(t),
            scale_up: b.and_then(|b| b.scale_up.tolerance).unwrap_or(t),
        }
    }

    /// The replica calculator for this HPA at `now`.
    pub fn calculator(&self, spec: &HpaSpec, now: SimTime) -> Calculator {
        Calculator {
            now,
            cpu_initialization_period: self.config.cpu_initialization_period,
            initial_readiness_delay: self.config.initial_readiness_delay,
            tolerance: self.tolerance(spec),
        }
    }

    /// One metric's proposal from its reading at `now` (HPA-3).
    pub fn propose(
        &self,
        spec: &HpaSpec,
        now: SimTime,
        scale: Scale,
        metric: &MetricSpec,
        reading: Result<Reading, String>,
    ) -> Proposal {
        proposal::propose(&self.calculator(spec, now), scale, metric, reading)
    }

    /// One whole sync at `now` (HPA-2 → metrics → HPA-8 → HPA-9 or HPA-10..13): reads each
    /// of `spec.metrics` through `reader` (only when the target is within bounds) and
    /// returns what to write. When `rescale` is set the caller writes `desired_replicas` to
    /// the target's `spec.replicas` and emits `event`.
    pub fn sync(
        &mut self,
        spec: &HpaSpec,
        now: SimTime,
        scale: Scale,
        reader: &dyn MetricReader,
    ) -> Decision {
        self.sync_with(spec, now, scale, |state| {
            spec.metrics
                .iter()
                .map(|m| state.propose(spec, now, scale, m, reader.read(m)))
                .collect()
        })
    }

    /// [`HpaState::sync`] with the metrics' proposals already computed (one per
    /// `spec.metrics` entry, e.g. by [`HpaState::propose`]); they are ignored when HPA-2
    /// decides without metrics.
    pub fn sync_with_proposals(
        &mut self,
        spec: &HpaSpec,
        now: SimTime,
        scale: Scale,
        proposals: Vec<Proposal>,
    ) -> Decision {
        self.sync_with(spec, now, scale, |_| proposals)
    }

    fn sync_with(
        &mut self,
        spec: &HpaSpec,
        now: SimTime,
        scale: Scale,
        proposals: impl FnOnce(&HpaState) -> Vec<Proposal>,
    ) -> Decision {
        use ConditionType::*;
        self.last_sync = Some(now);
        let current = scale.spec_replicas;
        // HPA-14: a scale-down in the first window is held at the size the HPA found.
        if !self.seen {
            self.seen = true;
            self.recommendations.push(Recommendation {
                at: now,
                replicas: current,
            });
        }
        let mut d = Decision {
            desired_replicas: current,
            rescale: false,
            reason: String::new(),
            metric: None,
            conditions: Vec::new(),
            event: None,
            current_metrics: Vec::new(),
            error: None,
        };
        set(
            &mut d.conditions,
            AbleToScale,
            true,
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale".into(),
        );
        let desired = match reconcile_bounds(current, spec.min_replicas, spec.max_replicas) {
            Bounds::Disabled => {
                set(
                    &mut d.conditions,
                    ScalingActive,
                    false,
                    "ScalingDisabled",
                    "scaling is disabled since the replica count of the target is zero".into(),
                );
                return d;
            }
            Bounds::Clamp { replicas, reason } => {
                d.reason = reason.into();
                replicas
            }
            Bounds::Compute => {
                let proposals = proposals(self);
                d.current_metrics = proposals
                    .iter()
                    .map(|p| p.result.as_ref().ok().map(|e| e.current))
                    .collect();
                let (raw, metric) = match combine(current, &proposals) {
                    Combined::Failed { failure, error } => {
                        set(
                            &mut d.conditions,
                            ScalingActive,
                            false,
                            failure.reason,
                            format!(
                                "the HPA was unable to compute the replica count: {}",
                                failure.message
                            ),
                        );
                        d.event = Some(HpaEvent {
                            kind: "Warning",
                            reason: "FailedComputeMetricsReplicas",
                            message: error.clone(),
                        });
                        d.error = Some(error);
                        return d;
                    }
                    Combined::Proposal {
                        replicas,
                        metric,
                        error,
                    } => {
                        set(
                            &mut d.conditions,
                            ScalingActive,
                            true,
                            "ValidMetricFound",
                            format!(
                                "the HPA was able to successfully calculate a replica count from {metric}"
                            ),
                        );
                        d.error = error;
                        (replicas, metric)
                    }
                };
                // The reason compares the raw proposal with the current count, before any
                // stabilization or limit.
                if raw > current {
                    d.reason = format!("{metric} above target");
                } else if raw < current {
                    d.reason = "All metrics below target".into();
                }
                d.metric = Some(metric);
                self.normalize(spec, now, current, raw, &mut d.conditions)
            }
        };
        if desired != current {
            d.desired_replicas = desired;
            d.rescale = true;
            // HPA-13: only with behavior are the events used, so only then kept.
            if let Some(b) = &spec.behavior {
                if desired > current {
                    record_scale_event(
                        &mut self.scale_up_events,
                        now,
                        b.scale_up.longest_period_seconds(),
                        desired - current,
                    );
                } else {
                    record_scale_event(
                        &mut self.scale_down_events,
                        now,
                        b.scale_down.longest_period_seconds(),
                        current - desired,
                    );
                }
            }
            set(
                &mut d.conditions,
                AbleToScale,
                true,
                "SucceededRescale",
                format!("the HPA controller was able to update the target scale to {desired}"),
            );
            d.event = Some(HpaEvent {
                kind: "Normal",
                reason: "SuccessfulRescale",
                message: format!("New size: {desired}; reason: {}", d.reason),
            });
        }
        d
    }

    /// HPA-9 without behavior, HPA-10..12 with it; sets AbleToScale and ScalingLimited.
    fn normalize(
        &mut self,
        spec: &HpaSpec,
        now: SimTime,
        current: i64,
        raw: i64,
        conditions: &mut Vec<Condition>,
    ) -> i64 {
        use ConditionType::*;
        let (stabilized, stabilized_reason, limited) = match &spec.behavior {
            None => {
                let s = legacy_stabilize(
                    &mut self.recommendations,
                    now,
                    self.config.downscale_stabilization_seconds,
                    raw,
                );
                (
                    s,
                    "ScaleDownStabilized",
                    legacy_limit(current, s, spec.min_replicas, spec.max_replicas),
                )
            }
            Some(b) => {
                let up_window = b.scale_up.stabilization_window_seconds.unwrap_or(0);
                let down_window = b
                    .scale_down
                    .stabilization_window_seconds
                    .unwrap_or(self.config.downscale_stabilization_seconds);
                let s = stabilize(
                    &mut self.recommendations,
                    now,
                    up_window,
                    down_window,
                    current,
                    raw,
                );
                let input = RateInput {
                    now,
                    current,
                    min: spec.min_replicas,
                    max: spec.max_replicas,
                    scale_up: &b.scale_up,
                    scale_down: &b.scale_down,
                    up_events: &self.scale_up_events,
                    down_events: &self.scale_down_events,
                };
                (s.replicas, s.reason, rate_limit(&input, s.replicas))
            }
        };
        if stabilized != raw {
            let message = if stabilized_reason == "ScaleUpStabilized" {
                "recent recommendations were lower than current one, applying the lowest recent recommendation"
            } else {
                "recent recommendations were higher than current one, applying the highest recent recommendation"
            };
            set(
                conditions,
                AbleToScale,
                true,
                stabilized_reason,
                message.into(),
            );
        } else {
            set(
                conditions,
                AbleToScale,
                true,
                "ReadyForNewScale",
                "recommended size matches current size".into(),
            );
        }
        set(
            conditions,
            ScalingLimited,
            limited.replicas != stabilized,
            limited.reason.as_str(),
            limited.reason.message().into(),
        );
        limited.replicas
    }
}
