//! The simulator takes what real manifests contain: every built-in kind is stored as applied
//! (served back by `get`, shown by `apply` as created, configured or unchanged), and a custom
//! resource needs its CustomResourceDefinition, as on a cluster.

mod common;

use common::{run_json, scratch, write};
use serde_json::Value;

#[test]
fn a_statefulset_application_applies_and_is_served_back() {
    let dir = scratch("kinds-statefulset");
    let script = write(
        &dir,
        "quorum.rhai",
        r#"let first = apply("tests/fixtures/quorum-statefulset.yaml").map(|o| o.line);
let again = apply("tests/fixtures/quorum-statefulset.yaml").map(|o| o.outcome);
let sts = get("statefulset", "quorum");
#{ first: first, again: again, kind: sts.kind, replicas: sts.spec.replicas,
   claims: sts.spec.volumeClaimTemplates.len(), peers: get("svc", "quorum-peers").spec.clusterIP,
   listed: list("sts").map(|s| s.metadata.name) }
"#,
    );
    let (code, report) = run_json(&["run", &script]);
    assert_eq!(code, 0, "{report:#}");
    let r = &report["result"];
    assert_eq!(
        r["first"],
        serde_json::json!([
            "poddisruptionbudget.policy/quorum created",
            "service/quorum-peers created",
            "service/quorum-client created",
            "statefulset.apps/quorum created"
        ]),
        "install order: budgets, Services, workloads"
    );
    assert!(
        r["again"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o == "unchanged"),
        "{r:#}"
    );
    assert_eq!(
        (&r["kind"], &r["replicas"], &r["claims"], &r["peers"]),
        (
            &Value::from("StatefulSet"),
            &Value::from(3),
            &Value::from(1),
            &Value::from("None")
        )
    );
    assert_eq!(r["listed"], serde_json::json!(["quorum"]));
}

const WIDGET: &str = "apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
spec: {size: 3}
";

const WIDGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
";

#[test]
fn a_custom_resource_without_its_crd_is_refused_and_nothing_changes() {
    let dir = scratch("kinds-no-crd");
    let manifests = write(
        &dir,
        "batch.yaml",
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings}}\ndata: {{mode: fast}}\n---\n{WIDGET}"
        ),
    );
    let script = write(&dir, "apply.rhai", &format!("apply(\"{manifests}\");\n"));
    let (code, report) = run_json(&["run", &script]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["error"]["kind"], "refused");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "the simulator does not have the CustomResourceDefinition widgets.example.com"
        ),
        "{message}"
    );
    assert!(
        message.contains("batch.yaml:7"),
        "points at the document: {message}"
    );
    assert_eq!(
        report["actions"],
        Value::Array(vec![]),
        "the ConfigMap before it is not applied either"
    );
}

#[test]
fn a_custom_resource_with_its_crd_in_the_batch_is_stored() {
    let dir = scratch("kinds-crd");
    let manifests = write(&dir, "widgets.yaml", &format!("{WIDGET}---\n{WIDGET_CRD}"));
    let script = write(
        &dir,
        "apply.rhai",
        &format!(
            "let lines = apply(\"{manifests}\").map(|o| o.line);\n#{{ lines: lines, size: get(\"widgets.example.com\", \"w1\").spec.size }}\n"
        ),
    );
    let (code, report) = run_json(&["run", &script]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["result"]["lines"],
        serde_json::json!([
            "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created",
            "widget.example.com/w1 created"
        ]),
        "the CRD is applied before what it defines"
    );
    assert_eq!(report["result"]["size"], 3);
}
