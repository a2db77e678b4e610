//! One wait over several workloads (a list, or a label selector): a workload that fails is
//! reported at the moment it fails, while the others are still rolling, and named.

mod common;

use common::{run_json, scratch, write};
use serde_json::Value;

/// Rolls web to an image that takes five minutes per pod and api to one that never becomes
/// ready, then waits for both with `wait` (a `wait_ready(...)` call); returns what the wait
/// said and when.
fn wait_while_api_fails(test: &str, wait: &str) -> Value {
    let dir = scratch(test);
    let script = write(
        &dir,
        "wait.rhai",
        &format!(
            r#"apply("tests/fixtures/web-and-api.yaml");
let ready = {wait};
assert(ready.len() == 2 && ready.all(|s| s.done));
sim_image("web:slow", #{{ startup_seconds: 300 }});
sim_image("api:broken", #{{ ready: false }});
set_image("web", "web:slow");
set_image("api", "api:broken");
let started = now();
let outcome = "the wait succeeded";
try {{
    {wait};
}} catch (e) {{
    outcome = #{{ message: e.message, kind: e.kind, after: now() - started, web_done: status("web").done }};
}}
outcome
"#
        ),
    );
    let (code, report) = run_json(&["run", &script]);
    assert_eq!(code, 0, "{report:#}");
    report["result"].clone()
}

fn assert_api_named_at_its_deadline(result: &Value) {
    let message = result["message"].as_str().unwrap_or_default();
    assert_eq!(result["kind"], "rollout_failed", "{result:#}");
    assert!(message.contains("deployment/api"), "{message}");
    assert!(
        message.contains("exceeded its progress deadline"),
        "{message}"
    );
    let after = result["after"].as_f64().unwrap();
    // api's progressDeadlineSeconds is 60: the error comes then (the API stores seconds,
    // K8S-COND-5), not after web's five-minute pods.
    assert!((60.0..=62.0).contains(&after), "failed after {after} s");
    assert_eq!(result["web_done"], false, "web was still rolling");
}

#[test]
fn a_list_wait_names_the_workload_that_fails_while_the_other_still_rolls() {
    let result = wait_while_api_fails("wait-list", r#"wait_ready(["web", "api"], "30m")"#);
    assert_api_named_at_its_deadline(&result);
}

#[test]
fn a_selector_wait_names_the_workload_that_fails_while_the_other_still_rolls() {
    let result = wait_while_api_fails("wait-selector", r#"wait_ready("app in (web,api)", "30m")"#);
    assert_api_named_at_its_deadline(&result);
}

#[test]
fn a_selector_that_matches_nothing_is_named() {
    let dir = scratch("wait-selector-none");
    let script = write(
        &dir,
        "none.rhai",
        "apply(\"tests/fixtures/web-and-api.yaml\");\nwait_ready(\"app=nothing\");\n",
    );
    let (code, report) = run_json(&["run", &script]);
    assert_eq!(code, 1, "{report:#}");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("-l app=nothing") && message.contains("no workload's labels match"),
        "{message}"
    );
}
