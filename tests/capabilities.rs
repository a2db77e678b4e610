//! A playbook that needs what the target lacks stops before its first change, with exit 2 and
//! the missing capability named; what the target has is there to ask.

mod common;

use common::{run_json, scratch, write};
use serde_json::Value;

#[test]
fn a_playbook_that_needs_traffic_weights_stops_before_any_change_on_the_simulator() {
    let dir = scratch("capability-weights");
    let script = write(
        &dir,
        "weighted-canary.rhai",
        "require([\"metrics\", \"traffic_weights\"]);\napply(\"tests/fixtures/web.yaml\");\n",
    );
    let (code, report) = run_json(&["run", &script]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["error"]["kind"], "missing_capability");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("weighted-canary.rhai needs traffic_weights")
            && message.contains("the sim target does not have"),
        "{message}"
    );
    assert_eq!(report["error"]["line"], 1);
    assert_eq!(report["actions"], Value::Array(vec![]));
}

#[test]
fn the_simulator_lists_what_it_has() {
    let dir = scratch("capability-list");
    let script = write(
        &dir,
        "caps.rhai",
        "#{ all: capabilities(), metrics: has_capability(\"metrics\"), weights: has_capability(\"traffic_weights\") }\n",
    );
    let (code, report) = run_json(&["run", &script]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["result"]["all"],
        serde_json::json!([
            "metrics",
            "nodes",
            "numbered_revisions",
            "selectors",
            "pause",
            "simulator"
        ])
    );
    assert_eq!(report["result"]["metrics"], true);
    assert_eq!(report["result"]["weights"], false);
}
