//! Scenario tests of the simulator against the rules of semantics.md.

use super::*;
use rollplay_core::backend::RollbackTo;
use rollplay_core::kind::Kind;
use rollplay_core::manifest::load_text;
use rollplay_k8s::validate_all;
use serde_json::Value;

pub(crate) fn deployment_yaml(name: &str, replicas: i32, image: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
{extra_spec}  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: app
        image: {image}
        readinessProbe:
          httpGet: {{path: /ready, port: 8080}}
          periodSeconds: 5
"
    )
}

pub(crate) fn apply(sim: &mut Sim, yaml: &str) {
    let m = load_text(yaml, "test.yaml").unwrap();
    validate_all(&m).unwrap();
    sim.apply(&m, "default").unwrap();
}

fn run_until_done(sim: &mut Sim, name: &str, limit_s: u64) -> rollplay_k8s::rollout::RolloutStatus {
    let end = sim.now() + limit_s * 1000;
    loop {
        let obs = sim.deployment_observation("default", name).unwrap();
        let st = rollplay_k8s::rollout::status::deployment(&obs, 0);
        if st.done || st.error.is_some() || sim.now() >= end {
            return st;
        }
        let next = sim.next_wake().unwrap_or(end).min(end);
        sim.advance_to(next);
    }
}

fn lines(sim: &Sim, ev: &str) -> Vec<Value> {
    sim.trace_lines()
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["ev"] == ev)
        .collect()
}

#[test]
fn a_new_deployment_rolls_out_and_an_image_change_replaces_every_pod() {
    let mut sim = Sim::new(1);
    apply(&mut sim, &deployment_yaml("web", 3, "web:1", ""));
    let st = run_until_done(&mut sim, "web", 600);
    assert!(st.done, "{st:?}");
    assert_eq!(
        st.message.as_deref(),
        Some("deployment \"web\" successfully rolled out\n")
    );
    sim.set_image("default", "web", None, "web:2").unwrap();
    let st = run_until_done(&mut sim, "web", 600);
    assert!(st.done, "{st:?}");
    let pods = sim.deployment_pods("default", "web").unwrap();
    let live: Vec<_> = pods.iter().filter(|p| !p.terminating).collect();
    assert_eq!(live.len(), 3);
    assert!(
        live.iter()
            .all(|p| p.images == ["web:2"] && p.revision == Some(2))
    );
    let history = sim.deployment_history("default", "web").unwrap();
    assert_eq!(
        history.iter().map(|h| h.revision).collect::<Vec<_>>(),
        [1, 2]
    );
}

#[test]
fn surge_one_unavailable_zero_never_drops_availability_or_exceeds_four() {
    // K8S-RU-4 with maxSurge 1 / maxUnavailable 0 and 3 replicas.
    let mut sim = Sim::new(7);
    let strategy = "  strategy:\n    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}\n";
    apply(&mut sim, &deployment_yaml("web", 3, "web:1", strategy));
    assert!(run_until_done(&mut sim, "web", 600).done);
    sim.enable_trace();
    sim.set_image("default", "web", None, "web:2").unwrap();
    assert!(run_until_done(&mut sim, "web", 600).done);
    let snaps = lines(&sim, "deployment");
    assert!(snaps.len() > 5, "trace too short: {snaps:?}");
    for s in &snaps {
        assert!(s["available"].as_i64().unwrap() >= 3, "{s}");
        assert!(s["rs_spec_total"].as_i64().unwrap() <= 4, "{s}");
    }
    assert!(
        snaps.iter().any(|s| s["rs_spec_total"] == 4),
        "the surge was used"
    );
}

#[test]
fn a_never_ready_image_exceeds_the_progress_deadline() {
    let mut sim = Sim::new(1);
    apply(
        &mut sim,
        &deployment_yaml("web", 3, "web:1", "  progressDeadlineSeconds: 60\n"),
    );
    assert!(run_until_done(&mut sim, "web", 600).done);
    sim.set_profile("web:bad", &serde_json::json!({"ready": false}))
        .unwrap();
    let t0 = sim.now();
    sim.set_image("default", "web", None, "web:bad").unwrap();
    let st = run_until_done(&mut sim, "web", 600);
    assert_eq!(
        st.error.as_deref(),
        Some("deployment \"web\" exceeded its progress deadline")
    );
    // K8S-COND-5: strictly after last progress + 60 s; the controller re-checks 1 s later.
    let waited = sim.now() - t0;
    assert!((61_000..=62_000).contains(&waited), "{waited}");
    // Old pods stay: maxUnavailable 25% of 3 = 0.
    let summary = sim.deployment_summary("default", "web").unwrap();
    assert_eq!(summary.available, 3);
}

#[test]
fn rollback_renumbers_the_restored_revision() {
    // K8S-REV-7: 1,2,3 → undo → 1,3,4.
    let mut sim = Sim::new(1);
    apply(&mut sim, &deployment_yaml("web", 2, "web:1", ""));
    run_until_done(&mut sim, "web", 600);
    for image in ["web:2", "web:3"] {
        sim.set_image("default", "web", None, image).unwrap();
        run_until_done(&mut sim, "web", 600);
    }
    let out = sim
        .rollback("default", "web", RollbackTo::Previous)
        .unwrap();
    assert_eq!(out.message, "deployment.apps/web rolled back");
    assert_eq!((out.to_revision, out.revision_now), (Some(2), Some(4)));
    let revs: Vec<(i64, Vec<String>)> = sim
        .deployment_history("default", "web")
        .unwrap()
        .into_iter()
        .map(|h| (h.revision, h.images))
        .collect();
    assert_eq!(
        revs,
        [
            (1, vec!["web:1".to_string()]),
            (3, vec!["web:3".into()]),
            (4, vec!["web:2".into()])
        ]
    );
    let err = sim
        .rollback("default", "web", RollbackTo::Revision(2))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unable to find specified revision 2 in history"),
        "{err}"
    );
}

#[test]
fn crash_looping_pods_restart_with_back_off() {
    let mut sim = Sim::new(1);
    sim.set_profile("web:crash", &serde_json::json!({"crash_after_seconds": 3}))
        .unwrap();
    apply(&mut sim, &deployment_yaml("web", 1, "web:crash", ""));
    sim.advance_by(120_000);
    let pods = sim.deployment_pods("default", "web").unwrap();
    assert_eq!(pods.len(), 1);
    // Crashes 3 s after each start: restarts at once at 3 s, then after back-off 10, 20, 40 s
    // (at 16, 39 and 82 s); the next waits 80 s, beyond the 120 s looked at.
    assert_eq!(pods[0].restarts, 4, "{pods:?}");
    assert!(
        sim.events_about(Kind::Deployment, "default", "web")
            .iter()
            .any(|e| e.reason == "BackOff")
    );
}

#[test]
fn recreate_stops_old_pods_before_starting_new_ones() {
    let mut sim = Sim::new(1);
    apply(
        &mut sim,
        &deployment_yaml("web", 3, "web:1", "  strategy: {type: Recreate}\n"),
    );
    run_until_done(&mut sim, "web", 600);
    sim.enable_trace();
    sim.set_image("default", "web", None, "web:2").unwrap();
    assert!(run_until_done(&mut sim, "web", 600).done);
    let pods = lines(&sim, "pod");
    let last_gone = pods
        .iter()
        .filter(|p| p["state"] == "gone")
        .map(|p| p["t"].as_u64().unwrap())
        .max()
        .unwrap();
    let first_new = pods
        .iter()
        .filter(|p| p["state"] == "created")
        .map(|p| p["t"].as_u64().unwrap())
        .min()
        .unwrap();
    assert!(
        first_new >= last_gone,
        "K8S-RC-1: new pods at {first_new} before old ones were gone at {last_gone}"
    );
}

#[test]
fn paused_deployments_batch_edits_into_one_revision() {
    // K8S-PAUSE-1/2 and DEP-REV-02.
    let mut sim = Sim::new(1);
    apply(&mut sim, &deployment_yaml("web", 2, "web:1", ""));
    run_until_done(&mut sim, "web", 600);
    sim.set_paused("default", "web", true).unwrap();
    sim.set_image("default", "web", None, "web:2").unwrap();
    sim.advance_by(60_000);
    let obs = sim.deployment_observation("default", "web").unwrap();
    let st = rollplay_k8s::rollout::status::deployment(&obs, 0);
    assert_eq!(
        st.kind, "waiting_updated",
        "K8S-ROS-5c: paused with an edit waits at 0 out of R"
    );
    assert_eq!(obs.revision, Some(1));
    assert_eq!(obs.progressing_reason.as_deref(), Some("DeploymentPaused"));
    sim.set_paused("default", "web", false).unwrap();
    assert!(run_until_done(&mut sim, "web", 600).done);
    assert_eq!(
        sim.deployment_observation("default", "web")
            .unwrap()
            .revision,
        Some(2)
    );
}

#[test]
fn same_seed_same_trace() {
    let run = |seed| {
        let mut sim = Sim::new(seed);
        sim.enable_trace();
        apply(&mut sim, &deployment_yaml("web", 4, "web:1", ""));
        run_until_done(&mut sim, "web", 600);
        sim.set_image("default", "web", None, "web:2").unwrap();
        run_until_done(&mut sim, "web", 600);
        sim.take_trace().join("\n")
    };
    assert_eq!(run(42), run(42));
    assert_ne!(run(42), run(43), "pod names come from the seed");
}

#[test]
fn history_is_cleaned_up_to_the_revision_history_limit() {
    // K8S-REV-5: revisionHistoryLimit 10 keeps ten old ReplicaSets.
    let mut sim = Sim::new(1);
    apply(&mut sim, &deployment_yaml("web", 3, "web:0", ""));
    run_until_done(&mut sim, "web", 600);
    for i in 1..=15 {
        sim.set_image("default", "web", None, &format!("web:{i}"))
            .unwrap();
        assert!(run_until_done(&mut sim, "web", 600).done);
    }
    sim.advance_by(60_000);
    let sets = sim.deployment_replica_sets("default", "web").unwrap();
    assert_eq!(
        sets.len(),
        11,
        "{:?}",
        sets.iter()
            .map(|s| (s.revision, s.replicas, s.status_replicas))
            .collect::<Vec<_>>()
    );
    assert_eq!(sets.iter().map(|s| s.revision).min(), Some(6));
}

#[test]
fn back_to_back_rollouts_still_clean_up_history() {
    // The controller re-reads the status it wrote, so cleanup runs even when the next image
    // arrives the moment the previous rollout is done (K8S-REV-5).
    let mut sim = Sim::new(1);
    apply(&mut sim, &deployment_yaml("web", 10, "web:0", ""));
    run_until_done(&mut sim, "web", 600);
    for i in 1..=30 {
        sim.set_image("default", "web", None, &format!("web:{i}"))
            .unwrap();
        assert!(run_until_done(&mut sim, "web", 600).done);
    }
    assert_eq!(
        sim.deployment_replica_sets("default", "web").unwrap().len(),
        11
    );
}

#[test]
fn re_applying_a_manifest_keeps_a_pause_and_the_live_replica_count() {
    let yaml = deployment_yaml("web", 3, "web:1", "").replace("  replicas: 3\n", "");
    let mut sim = Sim::new(1);
    apply(&mut sim, &yaml);
    run_until_done(&mut sim, "web", 600);
    sim.scale("default", "web", 5).unwrap();
    sim.set_paused("default", "web", true).unwrap();
    apply(&mut sim, &yaml);
    let s = sim.deployment_summary("default", "web").unwrap();
    assert!(s.paused, "apply without spec.paused does not resume");
    assert_eq!(
        s.replicas, 5,
        "apply without spec.replicas keeps the scaled count"
    );
}

#[test]
fn a_service_cluster_ip_cannot_change() {
    let mut sim = Sim::new(1);
    apply(
        &mut sim,
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}], clusterIP: 10.96.0.50}\n",
    );
    let m = load_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}], clusterIP: 10.96.0.51}\n", "svc.yaml").unwrap();
    let err = sim.apply(&m, "default").unwrap_err().to_string();
    assert!(
        err.contains("spec.clusterIPs[0]: Invalid value")
            && err.contains("may not change once set"),
        "{err}"
    );
}

#[test]
fn a_refusal_in_the_middle_of_a_batch_reports_what_was_applied_before_it() {
    let mut sim = Sim::new(1);
    apply(&mut sim, &deployment_yaml("web", 1, "web:1", ""));
    // The same Deployment with another selector (immutable), after a ConfigMap that installs
    // first: applied without `validate_batch`, the ConfigMap stays and the Deployment is refused.
    let changed = deployment_yaml("web", 1, "web:1", "").replace("app: web", "app: other");
    let batch = load_text(
        &format!("{changed}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\n"),
        "batch.yaml",
    )
    .unwrap();
    assert!(
        sim.validate_batch(&batch, "default").is_err(),
        "validation sees it"
    );
    let outcome = sim.apply_batch(&batch, "default");
    let lines: Vec<String> = outcome.applied.iter().map(|a| a.line()).collect();
    assert_eq!(lines, ["configmap/c created"]);
    let refused = outcome.refused.expect("refused").to_string();
    assert!(refused.contains("field is immutable"), "{refused}");
    assert!(sim.get(Kind::ConfigMap, "default", "c").is_some());
}

#[test]
fn every_builtin_kind_users_apply_is_stored_and_served_back() {
    let mut sim = Sim::new(1);
    let modelled = [
        Kind::Deployment,
        Kind::Service,
        Kind::HorizontalPodAutoscaler,
        Kind::PodDisruptionBudget,
        Kind::CustomResourceDefinition,
        Kind::Namespace,
    ];
    for kind in rollplay_core::kind::BUILTIN_KINDS
        .iter()
        .filter(|k| !k.is_controller_owned() && !modelled.contains(k))
    {
        let yaml = format!(
            "apiVersion: {}\nkind: {}\nmetadata: {{name: sample}}\n",
            kind.api_version(),
            kind.name()
        );
        let m = load_text(&yaml, "kind.yaml").unwrap();
        let applied = sim
            .apply(&m, "default")
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(
            applied[0].result,
            rollplay_core::backend::ApplyResult::Created
        );
        let got = sim
            .get(*kind, "default", "sample")
            .unwrap_or_else(|| panic!("{kind} is served back"));
        assert_eq!(got["kind"], kind.name());
        assert_eq!(got["apiVersion"], kind.api_version());
        let again = sim.apply(&m, "default").unwrap();
        assert_eq!(
            again[0].result,
            rollplay_core::backend::ApplyResult::Unchanged,
            "{kind}"
        );
    }
}
