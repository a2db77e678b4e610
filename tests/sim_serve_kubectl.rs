//! kubectl against `rollplay sim serve`: a real, independent client that cannot tell the
//! served simulator from a cluster for the calls users make every day.

mod common;

use common::served::ServedSim;
use serde_json::Value;
use std::time::Duration;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn revisions(served: &ServedSim) -> Vec<String> {
    served
        .kubectl_ok(&["-n", "demo", "rollout", "history", "deployment/web"])
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect()
}

fn image(served: &ServedSim) -> String {
    served.kubectl_ok(&[
        "-n",
        "demo",
        "get",
        "deployment",
        "web",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
    ])
}

#[test]
fn kubectl_applies_reads_rolls_out_and_undoes_as_on_a_cluster() {
    let served = ServedSim::start(&["--speed", "30"]);
    let applied = served.kubectl_ok(&["apply", "--server-side", "-f", "examples/k8s/"]);
    assert!(
        applied.contains("deployment.apps/web serverside-applied"),
        "{applied}"
    );
    assert!(
        applied.contains("poddisruptionbudget.policy/web serverside-applied"),
        "{applied}"
    );
    let rolled = served.kubectl_ok(&[
        "-n",
        "demo",
        "rollout",
        "status",
        "deployment/web",
        "--timeout=60s",
    ]);
    assert!(
        rolled.contains("deployment \"web\" successfully rolled out"),
        "{rolled}"
    );

    let all = json(&served.kubectl_ok(&[
        "-n",
        "demo",
        "get",
        "deploy,rs,pods,svc,hpa,pdb,sts,ds",
        "-o",
        "json",
    ]));
    let kinds: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "Deployment",
        "ReplicaSet",
        "Pod",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|k| **k == "Pod").count(), 3);
    let table = served.kubectl_ok(&["-n", "demo", "get", "deployment"]);
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    assert!(table.contains("web    3/3     3            3"), "{table}");

    served.kubectl_ok(&[
        "-n",
        "demo",
        "set",
        "image",
        "deployment/web",
        "web=ghcr.io/rollplay-demo/web:1.1.0",
    ]);
    served.kubectl_ok(&[
        "-n",
        "demo",
        "rollout",
        "status",
        "deployment/web",
        "--timeout=60s",
    ]);
    assert_eq!(revisions(&served), ["1", "2"]);
    let undone = served.kubectl_ok(&["-n", "demo", "rollout", "undo", "deployment/web"]);
    assert!(undone.contains("rolled back"), "{undone}");
    served.kubectl_ok(&[
        "-n",
        "demo",
        "rollout",
        "status",
        "deployment/web",
        "--timeout=60s",
    ]);
    // K8S-REV-7: the ReplicaSet rolled back to is renumbered.
    assert_eq!(revisions(&served), ["2", "3"]);
    assert_eq!(image(&served), "ghcr.io/rollplay-demo/web:1.0.0");

    served.kubectl_ok(&["-n", "demo", "scale", "deployment/web", "--replicas=5"]);
    let d = json(&served.kubectl_ok(&["-n", "demo", "get", "deployment", "web", "-o", "json"]));
    assert_eq!(d["spec"]["replicas"], 5);
    served.kubectl_ok(&["-n", "demo", "rollout", "restart", "deployment/web"]);
    served.kubectl_ok(&[
        "-n",
        "demo",
        "rollout",
        "status",
        "deployment/web",
        "--timeout=60s",
    ]);
    let d = json(&served.kubectl_ok(&["-n", "demo", "get", "deployment", "web", "-o", "json"]));
    assert!(
        d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .is_string()
    );
    assert_eq!(d["status"]["updatedReplicas"], 5);

    let pod = served.kubectl_ok(&[
        "-n",
        "demo",
        "get",
        "pods",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    let log = served.kubectl_ok(&["-n", "demo", "logs", &pod]);
    assert!(log.contains("Started container web"), "{log}");

    let deleted = served.kubectl_ok(&["-n", "demo", "delete", "deployment", "web"]);
    assert!(
        deleted.contains("deployment.apps \"web\" deleted"),
        "{deleted}"
    );
    let gone = served.kubectl(&["-n", "demo", "get", "deployment", "web"]);
    assert_eq!(gone.code, 1);
    assert!(
        gone.stderr
            .contains("Error from server (NotFound): deployments.apps \"web\" not found"),
        "{}",
        gone.stderr
    );
}

#[test]
fn client_side_apply_keeps_the_last_applied_configuration() {
    let served = ServedSim::start(&["--speed", "30"]);
    let first = served.kubectl_ok(&["apply", "-f", "examples/k8s/"]);
    assert!(first.contains("deployment.apps/web created"), "{first}");
    let d = json(&served.kubectl_ok(&["-n", "demo", "get", "deployment", "web", "-o", "json"]));
    let last = d["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
        .as_str()
        .expect("last-applied annotation");
    assert_eq!(json(last)["spec"]["replicas"], 3);
    let again = served.kubectl_ok(&["apply", "-f", "examples/k8s/"]);
    assert!(again.contains("deployment.apps/web unchanged"), "{again}");
}

#[test]
fn rollout_status_and_get_watch_follow_a_rollout_as_it_happens() {
    let served = ServedSim::start(&["--speed", "10"]);
    served.kubectl_ok(&["apply", "--server-side", "-f", "examples/k8s/"]);
    served.kubectl_ok(&[
        "-n",
        "demo",
        "rollout",
        "status",
        "deployment/web",
        "--timeout=60s",
    ]);
    let mut watch =
        served.kubectl_spawn(&["-n", "demo", "get", "pods", "-w", "--request-timeout=30s"]);
    std::thread::sleep(Duration::from_millis(500));
    served.kubectl_ok(&[
        "-n",
        "demo",
        "set",
        "image",
        "deployment/web",
        "web=ghcr.io/rollplay-demo/web:1.1.0",
    ]);
    let status = served.kubectl_ok(&[
        "-n",
        "demo",
        "rollout",
        "status",
        "deployment/web",
        "--timeout=60s",
    ]);
    assert!(
        status.contains("Waiting for deployment \"web\" rollout to finish"),
        "{status}"
    );
    assert!(
        status
            .trim_end()
            .ends_with("deployment \"web\" successfully rolled out"),
        "{status}"
    );
    std::thread::sleep(Duration::from_millis(500));
    let _ = watch.kill();
    let seen = String::from_utf8_lossy(&watch.wait_with_output().unwrap().stdout).into_owned();
    let new_rs = served.kubectl_ok(&[
        "-n",
        "demo",
        "get",
        "rs",
        "-l",
        "app.kubernetes.io/name=web",
        "--sort-by=.metadata.creationTimestamp",
        "-o",
        "jsonpath={.items[-1:].metadata.name}",
    ]);
    assert!(
        seen.lines()
            .any(|l| l.starts_with(&new_rs) && l.contains("1/1")),
        "watch saw no new pod get ready:\n{seen}"
    );
    assert!(
        seen.contains("Terminating"),
        "watch saw no old pod terminate:\n{seen}"
    );
}

#[test]
fn kubectl_drain_is_held_by_a_disruption_budget_and_passes_without_one() {
    let served = ServedSim::start(&["--speed", "30"]);
    served.kubectl_ok(&["apply", "--server-side", "-f", "examples/k8s/"]);
    served.kubectl_ok(&[
        "-n",
        "demo",
        "rollout",
        "status",
        "deployment/web",
        "--timeout=60s",
    ]);
    served.kubectl_ok(&[
        "-n",
        "demo",
        "patch",
        "pdb",
        "web",
        "--type=merge",
        "-p",
        r#"{"spec":{"minAvailable":3}}"#,
    ]);
    let node = served.kubectl_ok(&[
        "-n",
        "demo",
        "get",
        "pods",
        "-o",
        "jsonpath={.items[0].spec.nodeName}",
    ]);
    let held = served.kubectl(&[
        "drain",
        &node,
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--timeout=3s",
    ]);
    assert_ne!(held.code, 0, "{}", held.stdout);
    assert!(
        held.stderr
            .contains("Cannot evict pod as it would violate the pod's disruption budget"),
        "{}",
        held.stderr
    );
    let nodes = served.kubectl_ok(&["get", "nodes"]);
    assert!(nodes.contains("Ready,SchedulingDisabled"), "{nodes}");
    served.kubectl_ok(&["-n", "demo", "delete", "pdb", "web"]);
    let drained = served.kubectl_ok(&[
        "drain",
        &node,
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--timeout=60s",
    ]);
    assert!(
        drained.contains(&format!("node/{node} drained")),
        "{drained}"
    );
    let on_node = served.kubectl_ok(&[
        "get",
        "pods",
        "-A",
        "--field-selector",
        &format!("spec.nodeName={node}"),
        "-o",
        "name",
    ]);
    assert!(
        on_node.trim().is_empty() || !on_node.contains("web-"),
        "{on_node}"
    );
}

#[test]
fn refusals_come_back_as_the_api_servers_errors() {
    let served = ServedSim::start(&[]);
    let missing = served.kubectl(&["get", "deployment", "nope"]);
    assert!(
        missing
            .stderr
            .contains("deployments.apps \"nope\" not found"),
        "{}",
        missing.stderr
    );
    let unknown = served.kubectl(&["get", "gizmos"]);
    assert!(
        unknown
            .stderr
            .contains("the server doesn't have a resource type \"gizmos\""),
        "{}",
        unknown.stderr
    );
    let dir = common::served::TempDir::new("bad");
    let bad = dir.0.join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: b}}\n    spec: {containers: [{name: c, image: x}]}\n",
    )
    .unwrap();
    let invalid = served.kubectl(&["apply", "--server-side", "-f", bad.to_str().unwrap()]);
    assert_ne!(invalid.code, 0);
    assert!(invalid.stderr.contains("is invalid"), "{}", invalid.stderr);
    assert!(invalid.stderr.contains("selector"), "{}", invalid.stderr);
    let none = served.kubectl_ok(&["get", "deployments", "-o", "name"]);
    assert!(
        none.trim().is_empty(),
        "a refused apply changed something: {none}"
    );
}
