//! Unit tests for what the reference cases do not reach: parsing and validation, pod
//! classification edges, log recycling, and whole syncs with conditions and events.

use super::normalize::{self, RateInput, Recommendation, ScaleEvent};
use super::*;
use crate::time::{SECOND, SimTime};
use serde_json::{Value, json};

const NOW: SimTime = 10_000 * SECOND;

fn hpa(spec: Value) -> Value {
    let mut s = json!({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 10});
    for (k, v) in spec.as_object().unwrap() {
        s[k] = v.clone();
    }
    json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"}, "spec": s})
}

fn parse(spec: Value) -> Result<HpaSpec, SpecError> {
    HpaSpec::from_value(&hpa(spec))
}

#[test]
fn no_metrics_means_cpu_at_80_percent_and_min_1() {
    let s = parse(json!({})).unwrap();
    assert_eq!(s.min_replicas, 1);
    assert_eq!(s.metrics, vec![MetricSpec::default_cpu()]);
    assert!(s.behavior.is_none());
    assert_eq!(
        s.metrics[0].describe(),
        "cpu resource utilization (percentage of request)"
    );
}

#[test]
fn autoscaling_v1_target_cpu_is_read() {
    let s = parse(json!({"targetCPUUtilizationPercentage": 65})).unwrap();
    assert_eq!(s.metrics[0].target, MetricTarget::Utilization(65));
}

#[test]
fn metric_targets_are_parsed_to_milli_units() {
    let s = parse(json!({"metrics": [
        {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
        {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "500m"}}},
        {"type": "Object", "object": {"metric": {"name": "rps"}, "describedObject": {"kind": "Ingress", "name": "main"},
            "target": {"type": "Value", "value": "2.5"}}},
        {"type": "External", "external": {"metric": {"name": "queue", "selector": {"matchLabels": {"q": "jobs"}}},
            "target": {"type": "AverageValue", "averageValue": 30}}},
    ]}))
    .unwrap();
    let targets: Vec<MetricTarget> = s.metrics.iter().map(|m| m.target).collect();
    assert_eq!(
        targets,
        vec![
            MetricTarget::AverageValue(100 * 1024 * 1024 * 1000),
            MetricTarget::AverageValue(500),
            MetricTarget::Value(2500),
            MetricTarget::AverageValue(30_000),
        ]
    );
    let names: Vec<String> = s.metrics.iter().map(MetricSpec::describe).collect();
    assert_eq!(names[0], "memory resource");
    assert_eq!(names[1], "pods metric qps");
    assert_eq!(names[2], "Ingress metric rps");
    assert_eq!(
        names[3],
        "external metric queue(&LabelSelector{MatchLabels:map[string]string{q: jobs,},MatchExpressions:[]LabelSelectorRequirement{},})"
    );
    assert_eq!(s.metrics[3].failure_reason(), "FailedGetExternalMetric");
}

#[test]
fn behavior_fills_defaults_and_a_policy_list_replaces_the_default_list() {
    let s = parse(json!({"behavior": {"scaleDown": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]},
                                      "scaleUp": {"selectPolicy": "Min", "tolerance": "50m"}}}))
    .unwrap();
    let b = s.behavior.unwrap();
    assert_eq!(b.scale_up.stabilization_window_seconds, Some(0));
    assert_eq!(b.scale_up.select_policy, SelectPolicy::Min);
    assert_eq!(
        b.scale_up.policies,
        ScalingRules::default_scale_up().policies
    );
    assert_eq!(b.scale_up.tolerance, Some(0.05));
    assert_eq!(b.scale_down.stabilization_window_seconds, None);
    assert_eq!(
        b.scale_down.policies,
        vec![Policy {
            kind: PolicyKind::Pods,
            value: 1,
            period_seconds: 60
        }]
    );
    assert_eq!(b.scale_down.longest_period_seconds(), 60);
}

#[test]
fn validation_names_the_field_and_the_fix() {
    let cases = [
        (json!({"maxReplicas": null}), "spec.maxReplicas"),
        (json!({"minReplicas": 0}), "spec.minReplicas"),
        (
            json!({"minReplicas": 5, "maxReplicas": 3}),
            "spec.maxReplicas",
        ),
        (
            json!({"behavior": {"scaleDown": {"stabilizationWindowSeconds": 3601}}}),
            "spec.behavior.scaleDown.stabilizationWindowSeconds",
        ),
        (
            json!({"behavior": {"scaleUp": {"policies": []}}}),
            "spec.behavior.scaleUp.policies",
        ),
        (
            json!({"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 1801}]}}}),
            "spec.behavior.scaleUp.policies[0].periodSeconds",
        ),
        (
            json!({"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 0, "periodSeconds": 15}]}}}),
            "spec.behavior.scaleUp.policies[0].value",
        ),
        (
            json!({"behavior": {"scaleUp": {"selectPolicy": "Fastest"}}}),
            "spec.behavior.scaleUp.selectPolicy",
        ),
        (
            json!({"metrics": [{"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "Utilization", "averageUtilization": 50}}}]}),
            "spec.metrics[0].pods.target.type",
        ),
        (
            json!({"metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}}]}),
            "spec.metrics[0].resource.target.averageUtilization",
        ),
        (
            json!({"metrics": [{"type": "Resource"}]}),
            "spec.metrics[0].resource",
        ),
    ];
    for (spec, field) in cases {
        let e = parse(spec.clone()).expect_err(&spec.to_string());
        assert_eq!(e.field, field, "{spec}");
        assert!(!e.fix.is_empty());
        assert!(
            e.to_string().starts_with("HorizontalPodAutoscaler web: "),
            "{e}"
        );
    }
    let e = HpaSpec::from_spec_value(&json!({"maxReplicas": 3})).unwrap_err();
    assert_eq!(e.field, "spec.scaleTargetRef.kind");
}

#[test]
fn min_replicas_zero_needs_an_object_or_external_metric() {
    let external = json!([{"type": "External", "external": {"metric": {"name": "queue"}, "target": {"type": "Value", "value": "10"}}}]);
    assert_eq!(
        parse(json!({"minReplicas": 0, "metrics": external}))
            .unwrap()
            .min_replicas,
        0
    );
}

fn calc() -> Calculator {
    Calculator::new(NOW)
}

fn pod(name: &str, usage: Option<i64>) -> PodSample {
    PodSample {
        name: name.into(),
        phase: PodPhase::Running,
        deleting: false,
        ready: Some(ReadyCondition {
            status: true,
            last_transition: NOW - 3500 * SECOND,
        }),
        start_time: Some(NOW - 3600 * SECOND),
        request_milli: Some(1000),
        sample: usage.map(|v| Sample {
            value_milli: v,
            timestamp: NOW,
            window: 60 * SECOND,
        }),
    }
}

#[test]
fn pending_and_deleting_pods_do_not_count() {
    let mut pending = pod("c", Some(5000));
    pending.phase = PodPhase::Pending;
    let mut deleting = pod("d", Some(5000));
    deleting.deleting = true;
    let pods = [
        pod("a", Some(1000)),
        pod("b", Some(1000)),
        pending,
        deleting,
    ];
    // 100% of request against 50%: r = 2 with a Pending pod → it counts as 0: 2000/3000 = 66%.
    let e = calc()
        .resource_utilization(4, 50, "cpu", &pods, &[])
        .unwrap();
    assert_eq!(e.current.average_utilization, Some(100));
    assert_eq!(e.replicas, 4); // ceil(66/50 · 3) = 4
}

#[test]
fn a_young_pod_counts_once_a_whole_window_follows_readiness() {
    let mut young = pod("a", Some(900));
    young.start_time = Some(NOW - 100 * SECOND);
    young.ready = Some(ReadyCondition {
        status: true,
        last_transition: NOW - 30 * SECOND,
    });
    let pods = [young.clone(), pod("b", Some(900))];
    // The young pod's sample covers time before it was ready: unready, so only b counts;
    // r = 90/50 > 1 fills it at 0: 900/2000 = 45%, r' = 0.9 < 1 flips the direction → 2.
    let e = calc()
        .resource_utilization(2, 50, "cpu", &pods, &[])
        .unwrap();
    assert_eq!(e.current.average_utilization, Some(90));
    assert_eq!(e.replicas, 2);
    // For memory readiness does not matter: 90% of 50% → ceil(1.8 · 2) = 4.
    let e = calc()
        .resource_utilization(2, 50, "memory", &pods, &[])
        .unwrap();
    assert_eq!(e.replicas, 4);
    // A window later the sample counts.
    young.ready.as_mut().unwrap().last_transition = NOW - 60 * SECOND;
    let e = calc()
        .resource_utilization(2, 50, "cpu", &[young, pod("b", Some(900))], &[])
        .unwrap();
    assert_eq!(e.replicas, 4);
}

#[test]
fn resource_errors_say_what_is_missing() {
    let c = calc();
    assert!(
        c.resource_utilization(1, 50, "cpu", &[], &[])
            .unwrap_err()
            .starts_with("no pods returned by selector")
    );
    let mut unready = pod("a", Some(100));
    unready.phase = PodPhase::Pending;
    assert!(
        c.resource_utilization(1, 50, "cpu", &[unready], &[])
            .unwrap_err()
            .starts_with("did not receive metrics")
    );
    let mut no_request = pod("b", Some(100));
    no_request.request_milli = None;
    assert_eq!(
        c.resource_utilization(2, 50, "cpu", &[pod("a", Some(100)), no_request], &[])
            .unwrap_err(),
        "missing request for cpu in Pod b (set resources.requests.cpu on every container)"
    );
}

#[test]
fn plain_average_fills_missing_pods_at_the_target_on_scale_down() {
    // Average 2000 of 10000 → r = 0.2; the missing pod filled at 10000: 12000/2 = 6000 →
    // r' = 0.6 → ceil(0.6 · 2) = 2.
    let pods = [pod("a", Some(2000)), pod("b", None)];
    let e = calc().plain_average(4, 10_000, None, &pods, &[]).unwrap();
    assert_eq!(e.current.average_value_milli, Some(2000));
    assert_eq!(e.replicas, 2);
}

#[test]
fn value_targets_need_pods_unless_scaling_from_zero() {
    let c = calc();
    assert!(
        c.value(3, 40_000, 20_000, PodCount::default())
            .unwrap_err()
            .contains("no pods")
    );
    let none_ready = PodCount {
        listed: 3,
        ready: 0,
    };
    assert_eq!(c.value(3, 40_000, 20_000, none_ready).unwrap().replicas, 0);
    assert_eq!(
        c.value(0, 40_000, 20_000, PodCount::default())
            .unwrap()
            .replicas,
        2
    );
    let e = c.average_value(0, 9000, 2000);
    assert_eq!((e.replicas, e.current.average_value_milli), (5, Some(9000)));
}

#[test]
fn stale_recommendations_and_events_are_recycled() {
    let mut log = vec![
        Recommendation {
            at: NOW - 1000 * SECOND,
            replicas: 9,
        },
        Recommendation {
            at: NOW - 10 * SECOND,
            replicas: 3,
        },
    ];
    let s = normalize::stabilize(&mut log, NOW, 0, 300, 5, 2);
    assert_eq!(s.replicas, 3);
    assert_eq!(s.reason, "ScaleDownStabilized");
    assert_eq!(log.len(), 2);
    assert_eq!(
        log[0],
        Recommendation {
            at: NOW,
            replicas: 2
        }
    );

    let mut events = vec![ScaleEvent {
        at: NOW - 15 * SECOND,
        change: 4,
    }];
    normalize::record_scale_event(&mut events, NOW, 15, 6);
    assert_eq!(events, vec![ScaleEvent { at: NOW, change: 6 }]);
    normalize::record_scale_event(&mut events, NOW + SECOND, 15, 1);
    assert_eq!(events.len(), 2);
}

#[test]
fn legacy_window_is_strict_like_every_other_window() {
    let mut log = vec![Recommendation {
        at: NOW - 300 * SECOND,
        replicas: 10,
    }];
    assert_eq!(normalize::legacy_stabilize(&mut log, NOW, 300, 2), 2);
    let mut log = vec![Recommendation {
        at: NOW - 299 * SECOND,
        replicas: 10,
    }];
    assert_eq!(normalize::legacy_stabilize(&mut log, NOW, 300, 2), 10);
}

#[test]
fn a_limit_equal_to_max_reports_too_many_replicas() {
    let (up, down) = (
        ScalingRules::default_scale_up(),
        ScalingRules::default_scale_down(),
    );
    let input = RateInput {
        now: NOW,
        current: 5,
        min: 1,
        max: 10,
        scale_up: &up,
        scale_down: &down,
        up_events: &[],
        down_events: &[],
    };
    let l = normalize::rate_limit(&input, 50);
    assert_eq!((l.replicas, l.reason), (10, LimitReason::TooManyReplicas));
}

fn cpu_reader(usage: i64, pods: usize) -> impl Fn(&MetricSpec) -> Result<Reading, String> {
    move |_m: &MetricSpec| {
        Ok(Reading::Pods(
            (0..pods)
                .map(|i| pod(&format!("p{i}"), Some(usage)))
                .collect(),
        ))
    }
}

fn scale(n: i64) -> Scale {
    Scale {
        spec_replicas: n,
        status_replicas: n,
    }
}

#[test]
fn a_sync_scales_up_with_the_controllers_event_and_conditions() {
    let spec = parse(json!({})).unwrap();
    let mut state = HpaState::default();
    // 1200m of 1000m = 120% against 80%: ceil(1.5 · 2) = 3.
    let d = state.sync(&spec, NOW, scale(2), &cpu_reader(1200, 2));
    assert!(d.rescale);
    assert_eq!(d.desired_replicas, 3);
    assert_eq!(
        d.event.as_ref().unwrap().message,
        "New size: 3; reason: cpu resource utilization (percentage of request) above target"
    );
    assert_eq!(
        d.condition(ConditionType::AbleToScale).unwrap().reason,
        "SucceededRescale"
    );
    let active = d.condition(ConditionType::ScalingActive).unwrap();
    assert!(active.status);
    assert_eq!(active.reason, "ValidMetricFound");
    let limited = d.condition(ConditionType::ScalingLimited).unwrap();
    assert!(!limited.status);
    assert_eq!(limited.reason, "DesiredWithinRange");
    assert_eq!(
        d.current_metrics,
        vec![Some(CurrentValue {
            average_utilization: Some(120),
            average_value_milli: Some(1200),
            value_milli: None
        })]
    );
    // Without behavior no scale events are kept (HPA-13).
    assert!(state.scale_up_events.is_empty());
}

#[test]
fn a_scale_down_inside_the_first_window_is_held_and_says_so() {
    let spec = parse(json!({})).unwrap();
    let mut state = HpaState::default();
    let d = state.sync(&spec, NOW, scale(4), &cpu_reader(200, 4));
    assert!(!d.rescale);
    assert_eq!(d.desired_replicas, 4);
    assert_eq!(d.reason, "All metrics below target");
    assert_eq!(
        d.condition(ConditionType::AbleToScale).unwrap().reason,
        "ScaleDownStabilized"
    );
    assert!(d.event.is_none());
}

#[test]
fn behavior_keeps_scale_events_and_the_tolerance_per_direction() {
    let spec = parse(json!({"behavior": {"scaleUp": {"tolerance": 0.5}}})).unwrap();
    let mut state = HpaState::default();
    // 120% against 80% is r = 1.5: inside a 50% scale-up tolerance.
    let d = state.sync(&spec, NOW, scale(2), &cpu_reader(1200, 2));
    assert!(!d.rescale);
    let d = state.sync(&spec, NOW + 15 * SECOND, scale(2), &cpu_reader(1300, 2));
    assert_eq!(d.desired_replicas, 4);
    assert_eq!(
        state.scale_up_events,
        vec![ScaleEvent {
            at: NOW + 15 * SECOND,
            change: 2
        }]
    );
}

#[test]
fn failing_metrics_stop_scaling_with_a_warning() {
    let spec = parse(json!({})).unwrap();
    let mut state = HpaState::default();
    let d = state.sync(&spec, NOW, scale(3), &|_: &MetricSpec| {
        Err("no metrics returned from resource metrics API".to_string())
    });
    assert!(!d.rescale);
    let active = d.condition(ConditionType::ScalingActive).unwrap();
    assert!(!active.status);
    assert_eq!(active.reason, "FailedGetResourceMetric");
    assert_eq!(
        active.message,
        "the HPA was unable to compute the replica count: failed to get cpu resource metric value: no metrics returned from resource metrics API"
    );
    let event = d.event.unwrap();
    assert_eq!(
        (event.kind, event.reason),
        ("Warning", "FailedComputeMetricsReplicas")
    );
    assert!(
        d.error
            .unwrap()
            .starts_with("invalid metrics (1 invalid out of 1)")
    );
}

#[test]
fn bounds_act_without_reading_metrics() {
    let spec = parse(json!({"minReplicas": 2, "maxReplicas": 5})).unwrap();
    let never = |_: &MetricSpec| -> Result<Reading, String> { panic!("metrics read") };
    let d = HpaState::default().sync(&spec, NOW, scale(1), &never);
    assert_eq!((d.rescale, d.desired_replicas), (true, 2));
    assert_eq!(
        d.event.unwrap().message,
        "New size: 2; reason: Current number of replicas below Spec.MinReplicas"
    );
    let d = HpaState::default().sync(&spec, NOW, scale(0), &never);
    assert_eq!((d.rescale, d.desired_replicas), (false, 0));
}

#[test]
fn syncs_are_due_every_period() {
    let mut state = HpaState::default();
    assert!(state.due(0));
    state.last_sync = Some(NOW);
    assert!(!state.due(NOW + 14 * SECOND));
    assert!(state.due(NOW + 15 * SECOND));
}
