//! Every primitive is documented (summary and a ```rhai example) and every example runs on
//! the simulator against the documented fixture: a Deployment `web` (labelled `app=web`, 3 ×
//! `web:1.0`, container `web`) and a Service `web`.

use rollplay_script::api::docs;
use rollplay_script::output::Collect;
use rollplay_script::{Connection, Playbook, RunOptions, Target, TargetOptions, run};
use std::sync::Arc;

const FIXTURE: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: web:1.0
        readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 5}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
";

fn options() -> RunOptions {
    RunOptions {
        namespace: "default".into(),
        namespace_pinned: false,
        abort_timeout: std::time::Duration::from_secs(120),
        max_operations: rollplay_script::engine::MAX_OPERATIONS,
        force_unlock: false,
        params: [("image".to_string(), "web:1.1".to_string())].into(),
        timeout: None,
        output: Arc::new(Collect::default()),
        assume_yes: true,
        ask: None,
        cancel: Default::default(),
        interrupt: Default::default(),
        record: None,
    }
}

/// A fresh simulator with the fixture applied and rolled out (a minute later).
async fn fixture() -> Connection {
    let connection = Target::Sim
        .connect(
            &TargetOptions {
                seed: 1,
                ..Default::default()
            },
            &tokio::runtime::Handle::current(),
        )
        .expect("the simulator connects");
    let setup = Playbook {
        name: "fixture".into(),
        file: "<fixture>".into(),
        source: format!("apply(`{FIXTURE}`);\nsleep(\"60s\");\n"),
        dir: None,
    };
    let report = run(connection.clone(), &setup, options()).await;
    assert!(report.ok, "the fixture applies: {:?}", report.error);
    connection
}

#[test]
fn every_primitive_has_a_summary_and_an_example() {
    let all = docs::all();
    assert!(all.len() >= 25, "{} documented primitives", all.len());
    for d in all {
        assert!(!d.summary().is_empty(), "{} has no summary", d.signature);
        assert!(
            !d.examples.is_empty(),
            "{} has no ```rhai example",
            d.signature
        );
    }
    for name in [
        "apply",
        "get",
        "delete",
        "scale",
        "set_image",
        "wait_ready",
        "switch_selector",
        "rollback",
        "status",
        "history",
        "pods",
        "events",
        "sleep",
        "now",
        "log",
        "info",
        "warn",
        "param",
        "fail",
        "sim_image",
    ] {
        assert!(!docs::lookup(name).is_empty(), "{name} is not documented");
    }
    let reference = docs::reference();
    assert!(
        reference.contains("### `wait_ready(workload, timeout)`"),
        "{reference}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_example_runs_on_the_simulator() {
    let mut failures = Vec::new();
    for d in docs::all() {
        for (i, example) in d.examples.iter().enumerate() {
            // `fail` stops a script by design; its example only fails when the fixture is broken.
            let playbook = Playbook {
                name: format!("{}#{i}", d.name),
                file: format!("<example of {}>", d.signature),
                source: example.clone(),
                dir: None,
            };
            let report = run(fixture().await, &playbook, options()).await;
            if let Some(e) = report.error {
                failures.push(format!("{}: {}", d.signature, e.render()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "examples failed:\n{}",
        failures.join("\n")
    );
}
