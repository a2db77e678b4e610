//! The simulated cluster under load, through scripts against examples/k8s: saturation shows
//! in the metrics, the HorizontalPodAutoscaler scales on the pods' CPU, and a drain waits for
//! the PodDisruptionBudget.

mod common;

use common::*;
use serde_json::Value;

/// Runs a script file written from `source`; returns the exit code and the JSON report.
fn script(test: &str, source: &str, extra: &[&str]) -> (i32, Value) {
    let dir = scratch(test);
    let path = write(&dir, "script.rhai", source);
    let mut args = vec!["run", path.as_str()];
    args.extend_from_slice(extra);
    run_json(&args)
}

fn result(test: &str, source: &str, extra: &[&str]) -> Value {
    let (code, report) = script(test, source, extra);
    assert_eq!(code, 0, "{report:#}");
    report["result"].clone()
}

/// Three pods with a 500m limit at 5m of CPU a request serve about 300 req/s: below that
/// latency grows, above it requests fail.
#[test]
fn saturated_pods_get_slower_then_fail() {
    let r = result(
        "saturation",
        r#"
        apply("examples/k8s");
        namespace("demo");
        delete("hpa", "web");
        wait_ready("web");
        let out = [];
        for rate in [100, 250, 600] {
            sim_traffic("web", rate);
            sleep("2m");
            out.push(metrics("web", "1m"));
        }
        out
        "#,
        &[],
    );
    let at = |i: usize, key: &str| r[i][key].as_f64().unwrap();
    assert!((95.0..105.0).contains(&at(0, "rps")), "{:#}", r[0]);
    assert_eq!((at(0, "error_rate"), at(1, "error_rate")), (0.0, 0.0));
    assert!(at(0, "p99_ms") < 100.0, "{:#}", r[0]);
    assert!(at(1, "p99_ms") > 2.0 * at(0, "p99_ms"), "{:#}", r[1]);
    // CPU is capped at the limit (200 % of the 250m request); half the requests are shed.
    assert_eq!(at(2, "cpu_utilization"), 200.0);
    assert!((0.45..0.55).contains(&at(2, "error_rate")), "{:#}", r[2]);
    assert!(at(2, "p99_ms") > 1000.0);
}

#[test]
fn an_image_error_rate_shows_in_the_metrics_and_its_samples() {
    let sim = new_image_profile("error-rate-profile", "{error_rate: 0.02}");
    let r = result(
        "error-rate",
        &format!(
            r#"
            apply("examples/k8s");
            namespace("demo");
            set_image("web", "{NEW_IMAGE}");
            wait_ready("web");
            sleep("5m");
            metrics("web", "5m")
            "#
        ),
        &["--sim", &sim],
    );
    let rate = r["error_rate"].as_f64().unwrap();
    assert!((0.015..0.025).contains(&rate), "{rate}");
    let requests = r["requests"].as_u64().unwrap();
    assert!((28_000..32_000).contains(&requests), "{requests}");
    let samples = r["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 60);
    let errors: u64 = samples.iter().map(|s| s["errors"].as_u64().unwrap()).sum();
    assert_eq!(errors, r["errors"].as_u64().unwrap());
}

/// HPA-1: 250 req/s is 1250m of CPU; at a 70 % target of 250m requests that is 8 pods. When
/// the load goes, the scale-down waits out the 5-minute stabilization window (HPA-9) and
/// then follows the larger of the two metrics (HPA-6): CPU alone would go to minReplicas 2,
/// but memory (64 MiB of a 256 Mi request, 25 % against 80 %) asks for ceil(8 x 25/80) = 3.
#[test]
fn the_autoscaler_follows_cpu_up_and_the_larger_metric_down() {
    let r = result(
        "hpa",
        r#"
        apply("examples/k8s");
        namespace("demo");
        wait_ready("web");
        sim_traffic("web", 250);
        sleep("3m");
        let up = status("web").replicas;
        let hpa = get("hpa", "web");
        sim_traffic("web", 10);
        sleep("4m");
        let held = status("web").replicas;
        sleep("3m");
        #{ up: up, held: held, down: status("web").replicas, hpa: hpa,
           events: events(#{ kind: "HorizontalPodAutoscaler", name: "web" }) }
        "#,
        &[],
    );
    assert_eq!(r["up"], 8, "{r:#}");
    assert_eq!(r["hpa"]["status"]["desiredReplicas"], 8);
    assert_eq!(
        r["held"], 8,
        "scale-down waits for the stabilization window"
    );
    assert_eq!(r["down"], 3);
    let rescales: Vec<&str> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == "SuccessfulRescale")
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        rescales.iter().any(|m| m.ends_with("above target")),
        "{rescales:?}"
    );
    assert_eq!(
        rescales.last().unwrap(),
        &"New size: 3; reason: All metrics below target"
    );
}

/// PDB-3: with minAvailable 1 and one pod, no eviction is allowed, so a drain waits and times
/// out with the node left cordoned and the pod running; with a second pod ready elsewhere it
/// goes through.
#[test]
fn a_drain_waits_for_the_disruption_budget() {
    let r = result(
        "drain",
        r#"
        apply("examples/k8s");
        namespace("demo");
        delete("hpa", "web");
        scale("web", 1);
        wait_ready("web");
        let node = pods("web")[0].node;
        let error = "";
        try { drain(node, "1m"); } catch (e) { error = e.message; }
        let blocked = #{ error: error, nodes: nodes(), pods: pods("web").map(|p| p.node) };
        scale("web", 2);
        wait_ready("web");
        let report = drain(node);
        #{ node: node, blocked: blocked, report: report, after: pods("web").map(|p| p.node) }
        "#,
        &[],
    );
    let node = r["node"].as_str().unwrap();
    let blocked = &r["blocked"];
    let error = blocked["error"].as_str().unwrap();
    assert!(error.contains("global timeout reached: 1m0s"), "{error}");
    assert!(error.contains("stays cordoned"), "{error}");
    let cordoned: Vec<&str> = blocked["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["schedulable"] == false)
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(cordoned, [node]);
    assert_eq!(blocked["pods"], serde_json::json!([node]));
    assert_eq!(r["report"]["evicted"].as_array().unwrap().len(), 1);
    let after: Vec<&str> = r["after"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(after.len(), 2);
    assert!(!after.contains(&node), "{after:?}");
}

/// HPA-1: one sync every 15 s per autoscaler, also for one deleted and created again (the
/// first one's syncs stop). Pods without CPU requests make every sync record the same
/// warning, so the event's count is the number of syncs.
#[test]
fn a_re_created_autoscaler_syncs_once_every_fifteen_seconds() {
    let r = result(
        "hpa-recreated",
        r#"
        let app = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "web:1"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
`;
        let hpa = `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 10
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]
`;
        apply(app);
        wait_ready("web");
        sleep("20s");
        apply(hpa);
        sleep("5s");
        delete("hpa", "web");
        apply(hpa);
        sleep("60s");
        events("hpa/web").filter(|e| e.message.contains("missing request for cpu"))
            .map(|e| e.count).reduce(|sum, c| sum + c, 0)
        "#,
        &[],
    );
    // The first autoscaler's sync at creation, then the second's at 0, 15, 30, 45 and 60 s.
    assert_eq!(r, 6);
}

/// kubectl drain waits for evicted pods to be gone within its timeout; a pod still shutting
/// down at the timeout fails the drain with kubectl's text.
#[test]
fn a_drain_times_out_while_a_pod_is_still_terminating() {
    let (code, report) = script(
        "drain-terminating",
        r#"
        sim_image("web:slow", #{shutdown_seconds: 120});
        apply(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 300
      containers: [{name: web, image: "web:slow"}]
`);
        wait_ready("web");
        drain(pods("web")[0].node, "30s")
        "#,
        &[],
    );
    assert_eq!(code, 1, "{report:#}");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("to terminate: timed out waiting for the condition"),
        "{message}"
    );
    assert!(message.contains("stays cordoned"), "{message}");
}

/// PDB-2: the budget's DisruptionAllowed condition moves when the pods it counts change, and
/// reading it later does not move it again.
#[test]
fn a_budget_condition_keeps_the_time_it_changed() {
    let r = result(
        "pdb-transition",
        r#"
        apply("examples/k8s");
        namespace("demo");
        delete("hpa", "web");
        wait_ready("web");
        apply(`
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: demo}
spec: {minAvailable: 3, selector: {matchLabels: {app.kubernetes.io/name: web}}}
`);
        let before = get("pdb", "web").status.conditions[0];
        scale("web", 4);
        wait_ready("web");
        let changed_by = now();
        sleep("2m");
        #{ before: before, after: get("pdb", "web").status.conditions[0], changed_by: changed_by,
           read_at: now() }
        "#,
        &[],
    );
    assert_eq!(r["before"]["reason"], "InsufficientPods", "{r:#}");
    assert_eq!(r["after"]["reason"], "SufficientPods", "{r:#}");
    // Seconds into the (simulated) day, as `now()` counts them too.
    let of_day = |t: &str| {
        let hms: Vec<f64> = t[11..19].split(':').map(|x| x.parse().unwrap()).collect();
        hms[0] * 3600.0 + hms[1] * 60.0 + hms[2]
    };
    let changed = of_day(r["after"]["lastTransitionTime"].as_str().unwrap());
    let changed_by = r["changed_by"].as_f64().unwrap() % 86400.0;
    let read_at = r["read_at"].as_f64().unwrap() % 86400.0;
    assert!(
        changed > of_day(r["before"]["lastTransitionTime"].as_str().unwrap()),
        "{r:#}"
    );
    assert!(
        changed <= changed_by,
        "it changed when the fourth pod was ready: {r:#}"
    );
    assert!(
        read_at - changed >= 120.0,
        "reading two minutes later did not move it"
    );
}
