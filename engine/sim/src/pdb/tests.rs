//! Unit tests for what the conformance cases do not reach: parsing and its errors, the
//! fail-safe sync, the 120 s edges, events, the rarer refusals and drain's timing.

use super::*;
use crate::time::SECOND;
use rollplay_k8s::intstr::IntOrString;
use serde_json::json;
use std::collections::BTreeMap;

const NOW: u64 = 1_000 * SECOND;

fn spec(v: serde_json::Value) -> PdbSpec {
    PdbSpec::from_spec_value(&v).expect("valid spec")
}

fn spec_err(v: serde_json::Value) -> SpecError {
    PdbSpec::from_spec_value(&v).expect_err("invalid spec")
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn web(name: &str, ready: bool) -> PodFacts {
    PodFacts::running(name, ready).controlled_by("Deployment", "web", "uid-web")
}

#[test]
fn spec_needs_exactly_one_budget_field() {
    let both = spec_err(json!({"minAvailable": 1, "maxUnavailable": 1}));
    assert_eq!(both.field, "spec");
    assert!(both.problem.contains("cannot be both set"), "{both}");
    let none = spec_err(json!({"selector": {}}));
    assert!(
        none.to_string()
            .starts_with("spec: Required value: one of minAvailable or maxUnavailable")
    );
    assert!(none.fix.contains("spec.minAvailable"));
    // A null field counts as absent.
    let s = spec(json!({"minAvailable": null, "maxUnavailable": "10%"}));
    assert_eq!(
        s.budget,
        Budget::MaxUnavailable(IntOrString::Str("10%".into()))
    );
}

#[test]
fn spec_values_are_checked_and_errors_say_the_fix() {
    let e = spec_err(json!({"maxUnavailable": "150%"}));
    assert_eq!(e.field, "spec.maxUnavailable");
    assert_eq!(
        e.problem,
        "Invalid value: \"150%\": must not be greater than 100%"
    );
    assert!(e.fix.contains("\"100%\""));
    let e = spec_err(json!({"minAvailable": -1}));
    assert_eq!(e.field, "spec.minAvailable");
    assert!(e.problem.contains("must be greater than or equal to 0"));
    let e = spec_err(json!({"minAvailable": "half"}));
    assert!(e.problem.contains("a valid percent string"), "{e}");
    let e = spec_err(json!({"minAvailable": true}));
    assert!(e.problem.contains("must be an integer or a percentage"));
    let e = spec_err(json!({"minAvailable": 1, "unhealthyPodEvictionPolicy": "Never"}));
    assert_eq!(e.field, "spec.unhealthyPodEvictionPolicy");
    assert!(e.problem.contains("Unsupported value: \"Never\""));
    let e = spec_err(json!({"minAvailable": 1,
        "selector": {"matchExpressions": [{"key": "a", "operator": "Near"}]}}));
    assert_eq!(e.field, "spec.selector.matchExpressions[0].operator");
    let e = spec_err(json!({"minAvailable": 1, "selector": "app=web"}));
    assert_eq!(e.field, "spec.selector");
}

#[test]
fn spec_reads_metadata_and_policy() {
    let s = PdbSpec::from_value(&json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "web-pdb", "namespace": "shop", "generation": 3},
        "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}},
                 "unhealthyPodEvictionPolicy": "AlwaysAllow"}
    }))
    .unwrap();
    assert_eq!(
        (s.name.as_str(), s.namespace.as_str(), s.generation),
        ("web-pdb", "shop", 3)
    );
    assert_eq!(
        s.unhealthy_pod_eviction_policy,
        UnhealthyPodEvictionPolicy::AlwaysAllow
    );
    assert_eq!(
        spec(json!({"minAvailable": 1})).unhealthy_pod_eviction_policy,
        UnhealthyPodEvictionPolicy::IfHealthyBudget
    );
    let missing = PdbSpec::from_value(&json!({"metadata": {"name": "x"}})).unwrap_err();
    assert_eq!(missing.field, "spec");
}

#[test]
fn selectors_absent_select_nothing_empty_select_everything() {
    let none = spec(json!({"minAvailable": 1}));
    let all = spec(json!({"minAvailable": 1, "selector": {}}));
    let web_only = spec(json!({"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}));
    for l in [
        labels(&[]),
        labels(&[("app", "db")]),
        labels(&[("app", "web")]),
    ] {
        assert!(!none.selects(&l));
        assert!(all.selects(&l));
    }
    assert!(web_only.selects(&labels(&[("app", "web"), ("track", "canary")])));
    assert!(!web_only.selects(&labels(&[("app", "db")])));
}

#[test]
fn scale_is_summed_once_per_controller() {
    let pods = vec![
        web("a", true),
        web("b", true),
        PodFacts::running("c", true).controlled_by("StatefulSet", "db", "uid-db"),
        PodFacts::running("loose", true),
    ];
    let mut asked = Vec::new();
    let s = controller_scale_sum(&pods, |c| {
        asked.push(c.name.clone());
        Some(if c.name == "web" { 3 } else { 2 })
    })
    .unwrap();
    assert_eq!(s.total, 5);
    assert_eq!(s.unmanaged, vec!["loose".to_string()]);
    assert_eq!(asked, vec!["web".to_string(), "db".to_string()]);
    let err = controller_scale_sum(&pods, |_| None).unwrap_err();
    assert_eq!(err, "found no controllers for pod \"a\"");
}

#[test]
fn integer_min_available_never_asks_for_scale() {
    let s = spec(json!({"minAvailable": 1, "selector": {}}));
    let pods = vec![web("a", true), web("b", true)];
    let sync = sync_status(&s, &pods, |_| None, &PdbStatus::default(), NOW);
    assert_eq!(sync.status.disruptions_allowed, 1);
    assert!(sync.events.is_empty());
}

#[test]
fn failed_sync_writes_zero_and_keeps_the_rest() {
    let mut s = spec(json!({"maxUnavailable": 1, "selector": {}}));
    s.generation = 2;
    let previous = PdbStatus {
        observed_generation: 1,
        disruptions_allowed: 2,
        current_healthy: 3,
        desired_healthy: 1,
        expected_pods: 2,
        ..PdbStatus::default()
    };
    let sync = sync_status(&s, &[web("a", true)], |_| None, &previous, NOW);
    let st = &sync.status;
    assert_eq!(st.disruptions_allowed, 0);
    assert_eq!((st.current_healthy, st.expected_pods), (3, 2));
    // Not advanced: evictions keep getting "still being processed".
    assert_eq!(st.observed_generation, 1);
    let c = st.condition.as_ref().unwrap();
    assert_eq!((c.status, c.reason), (false, SYNC_FAILED));
    assert_eq!(c.message, "found no controllers for pod \"a\"");
    assert_eq!(sync.events[0].reason, "CalculateExpectedPodCountFailed");
    assert_eq!(
        sync.events[0].message,
        "Failed to calculate the number of expected pods: found no controllers for pod \"a\""
    );
}

#[test]
fn disrupted_pods_expire_after_120_seconds() {
    let mut s = spec(json!({"minAvailable": 1, "selector": {}}));
    s.namespace = "shop".into();
    let pods = vec![
        web("at-119", true),
        web("at-120", true),
        web("at-121", true),
        PodFacts {
            deleting: true,
            ..web("gone", true)
        },
    ];
    let previous = PdbStatus {
        disrupted_pods: BTreeMap::from([
            ("at-119".to_string(), NOW - 119 * SECOND),
            ("at-120".to_string(), NOW - 120 * SECOND),
            ("at-121".to_string(), NOW - 121 * SECOND),
            ("gone".to_string(), NOW - 10 * SECOND),
            ("deleted-already".to_string(), NOW - 10 * SECOND),
        ]),
        ..PdbStatus::default()
    };
    let sync = sync_status(&s, &pods, |_| Some(4), &previous, NOW);
    let st = &sync.status;
    // 119 s: still out of currentHealthy. 120 s: counted again but still listed. 121 s: dropped.
    assert_eq!(st.current_healthy, 2);
    assert_eq!(
        st.disrupted_pods.keys().collect::<Vec<_>>(),
        vec!["at-119", "at-120"]
    );
    assert_eq!(sync.recheck_at, Some(NOW));
    let not_deleted: Vec<_> = sync
        .events
        .iter()
        .filter(|e| e.reason == "NotDeleted")
        .collect();
    assert_eq!(not_deleted.len(), 1);
    assert_eq!(not_deleted[0].pod.as_deref(), Some("at-121"));
    assert_eq!(
        not_deleted[0].message,
        "Pod was expected by PDB shop/shop to be deleted but it wasn't"
    );
}

#[test]
fn sync_events_for_no_pods_and_unmanaged_pods() {
    let s = spec(json!({"maxUnavailable": "10%",
        "selector": {"matchLabels": {"app": "web"},
                     "matchExpressions": [{"key": "track", "operator": "In", "values": ["a", "b"]}]}}));
    let empty = sync_status(&s, &[], |_| Some(3), &PdbStatus::default(), NOW);
    assert_eq!(empty.events[0].reason, "NoPods");
    assert_eq!(empty.events[0].message, "No matching pods found");
    assert!(!empty.events[0].warning);
    let sync = sync_status(
        &s,
        &[PodFacts::running("loose", true)],
        |_| Some(3),
        &PdbStatus::default(),
        NOW,
    );
    let e = &sync.events[0];
    assert_eq!((e.reason, e.warning), ("UnmanagedPods", true));
    assert!(e.message.starts_with(
        "Pods selected by this PodDisruptionBudget (selector: &LabelSelector{MatchLabels:map[string]string{app: web,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:track,Operator:In,Values:[a b],},},}) were found to be unmanaged."
    ), "{}", e.message);
}

#[test]
fn condition_transition_time_moves_only_on_flips() {
    let mut s = spec(json!({"minAvailable": 1, "selector": {}}));
    s.generation = 1;
    let pods = vec![web("a", true), web("b", true)];
    let first = sync_status(&s, &pods, |_| None, &PdbStatus::default(), NOW).status;
    let c = first.condition.clone().unwrap();
    assert_eq!(
        (c.status, c.reason, c.last_transition),
        (true, SUFFICIENT_PODS, NOW)
    );
    assert_eq!(c.observed_generation, 1);
    let later = sync_status(&s, &pods, |_| None, &first, NOW + 60 * SECOND).status;
    assert_eq!(later.condition.unwrap().last_transition, NOW);
    let short = sync_status(&s, &pods[..1], |_| None, &first, NOW + 90 * SECOND).status;
    let c = short.condition.unwrap();
    assert_eq!((c.status, c.reason), (false, INSUFFICIENT_PODS));
    assert_eq!(c.last_transition, NOW + 90 * SECOND);
}

#[test]
fn status_renders_as_the_api_does() {
    let st = PdbStatus {
        observed_generation: 1,
        disruptions_allowed: 0,
        current_healthy: 2,
        desired_healthy: 2,
        expected_pods: 3,
        disrupted_pods: BTreeMap::from([("web-1".to_string(), 65 * SECOND)]),
        condition: None,
    };
    let mut with_condition = st.clone();
    with_condition.update_allowed_condition(0);
    let v = with_condition.to_value();
    assert_eq!(v["disruptedPods"]["web-1"], "2026-01-01T00:01:05Z");
    assert_eq!(v["conditions"][0]["type"], DISRUPTION_ALLOWED);
    assert_eq!(v["conditions"][0]["status"], "False");
    assert_eq!(v["conditions"][0]["reason"], "InsufficientPods");
    assert!(st.to_value().get("conditions").is_none());
}

#[test]
fn an_approved_eviction_takes_one_disruption_and_lists_the_pod() {
    let mut s = spec(json!({"minAvailable": 2, "selector": {}}));
    s.name = "web-pdb".into();
    s.generation = 1;
    let pods = vec![web("web-0", true), web("web-1", true), web("web-2", true)];
    let mut status = sync_status(&s, &pods, |_| Some(3), &PdbStatus::default(), NOW).status;
    assert_eq!(status.disruptions_allowed, 1);

    let now = NOW + 1_500;
    let d = decide_eviction(&pods[0], &[s.view(&status)], now);
    assert_eq!((d.http_status, d.path), (201, EvictionPath::Decremented));
    let dec = d.decrement.clone().unwrap();
    assert_eq!(dec.disrupted_at, NOW + SECOND, "seconds precision");
    dec.apply(&mut status, now);
    assert_eq!(status.disruptions_allowed, 0);
    assert_eq!(status.condition.as_ref().unwrap().reason, INSUFFICIENT_PODS);

    // Before the pod is gone, the next eviction is refused with the counts of the status.
    let again = decide_eviction(&pods[1], &[s.view(&status)], now);
    assert_eq!(again.http_status, 429);
    assert_eq!(again.message(), Some(BUDGET_VIOLATION));
    let err = again.error.unwrap();
    assert_eq!(err.reason, Some("TooManyRequests"));
    assert_eq!(err.retry_after_seconds, 0);
    assert_eq!(
        err.causes,
        vec!["The disruption budget web-pdb needs 2 healthy pods and has 3 currently".to_string()]
    );

    // The controller keeps the listed pod out of currentHealthy while it is not deleted.
    let resynced = sync_status(&s, &pods, |_| Some(3), &status, now).status;
    assert_eq!(
        (resynced.current_healthy, resynced.disruptions_allowed),
        (2, 0)
    );
}

#[test]
fn unknown_phase_and_degraded_apps_go_through_the_budget() {
    let mut s = spec(json!({"maxUnavailable": "100%", "selector": {}}));
    s.name = "b".into();
    let unknown = PodFacts {
        phase: PodPhase::Unknown,
        ..web("x", true)
    };
    let none_left = PdbStatus::default();
    assert_eq!(
        decide_eviction(&unknown, &[s.view(&none_left)], NOW).http_status,
        429
    );
    // desiredHealthy 0 is not "within budget" for an unready pod: the allowance decides.
    let unready = web("y", false);
    let d = decide_eviction(&unready, &[s.view(&none_left)], NOW);
    assert_eq!(
        (d.http_status, d.path),
        (429, EvictionPath::BudgetExhausted)
    );
}

#[test]
fn still_processing_comes_before_the_allowance() {
    let mut s = spec(json!({"minAvailable": 1, "selector": {}}));
    s.name = "b".into();
    s.generation = 2;
    let st = PdbStatus {
        observed_generation: 1,
        disruptions_allowed: 0,
        ..PdbStatus::default()
    };
    let d = decide_eviction(&web("a", true), &[s.view(&st)], NOW);
    let err = d.error.unwrap();
    assert_eq!(err.retry_after_seconds, 10);
    assert_eq!(
        err.causes,
        vec!["The disruption budget b is still being processed by the server.".to_string()]
    );
}

#[test]
fn unusable_statuses_are_forbidden() {
    let mut s = spec(json!({"minAvailable": 1, "selector": {}}));
    s.name = "b".into();
    let negative = PdbStatus {
        disruptions_allowed: -1,
        ..PdbStatus::default()
    };
    let d = decide_eviction(&web("a", true), &[s.view(&negative)], NOW);
    assert_eq!((d.http_status, d.path), (403, EvictionPath::BudgetCorrupt));
    assert_eq!(
        d.message(),
        Some("poddisruptionbudget.policy \"b\" is forbidden: pdb disruptions allowed is negative")
    );
    let crowded = PdbStatus {
        disruptions_allowed: 5,
        disrupted_pods: (0..=MAX_DISRUPTED_POD_SIZE)
            .map(|i| (format!("p{i}"), NOW))
            .collect(),
        ..PdbStatus::default()
    };
    let d = decide_eviction(&web("a", true), &[s.view(&crowded)], NOW);
    assert_eq!(d.http_status, 403);
    assert!(
        d.message()
            .unwrap()
            .ends_with("not confirmed by PDB controller")
    );
}

#[test]
fn terminal_and_terminating_pods_skip_even_several_budgets() {
    let s = spec(json!({"minAvailable": 1, "selector": {}}));
    let st = PdbStatus::default();
    let views = [s.view(&st), s.view(&st)];
    for pod in [
        PodFacts {
            phase: PodPhase::Succeeded,
            ..web("a", false)
        },
        PodFacts {
            phase: PodPhase::Failed,
            ..web("b", false)
        },
        PodFacts {
            deleting: true,
            ..web("c", true)
        },
    ] {
        let d = decide_eviction(&pod, &views, NOW);
        assert_eq!((d.http_status, d.path), (201, EvictionPath::BudgetsIgnored));
        assert!(d.decrement.is_none());
    }
    assert_eq!(
        disruption_target_condition()["reason"],
        "EvictionByEvictionAPI"
    );
}

#[test]
fn drain_retries_every_five_seconds_until_the_timeout() {
    let s = spec(json!({"minAvailable": 1, "selector": {}}));
    let st = PdbStatus::default();
    let refused = decide_eviction(&web("web-0", true), &[s.view(&st)], NOW);
    assert_eq!(
        drain_step("shop", "web-0", &refused),
        DrainStep::Retry {
            after: 5 * SECOND,
            stderr: "error when evicting pods/\"web-0\" -n \"shop\" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.".into(),
        }
    );
    let two = decide_eviction(&web("web-0", true), &[s.view(&st), s.view(&st)], NOW);
    assert_eq!(
        drain_step("shop", "web-0", &two),
        DrainStep::Failed {
            error: format!("error when evicting pods/\"web-0\" -n \"shop\": {MULTIPLE_BUDGETS}")
        }
    );
    let free = decide_eviction(&web("web-0", true), &[], NOW);
    assert_eq!(drain_step("shop", "web-0", &free), DrainStep::Evicted);
    assert_eq!(evicting_line("shop", "web-0"), "evicting pod shop/web-0");
    assert_eq!(evicted_line("web-0"), "pod/web-0 evicted");

    assert_eq!(next_attempt(0, None), Some(5 * SECOND));
    assert_eq!(
        next_attempt(5 * SECOND, Some(11 * SECOND)),
        Some(10 * SECOND)
    );
    assert_eq!(next_attempt(10 * SECOND, Some(15 * SECOND)), None);
    assert_eq!(
        timeout_error("shop", "web-0", 60 * SECOND),
        "error when evicting pods/\"web-0\" -n \"shop\": global timeout reached: 1m0s"
    );
    assert!(timeout_error("n", "p", 1_500).ends_with("reached: 1.5s"));
    assert!(timeout_error("n", "p", 3_690 * SECOND).ends_with("reached: 1h1m30s"));
}

#[test]
fn only_evictions_are_gated() {
    assert!(DisruptionSource::Eviction.gated_by_budgets());
    for s in [
        DisruptionSource::ControllerScaleDown,
        DisruptionSource::Delete,
        DisruptionSource::OwnerDeleted,
        DisruptionSource::NodeFailure,
    ] {
        assert!(!s.gated_by_budgets());
        assert_eq!(s.budget_effect(), UNGATED_EFFECT);
    }
}
