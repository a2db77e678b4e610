//! The built-in `blue-green` playbook on the simulator against examples/k8s: a good image
//! switches the Service without a moment of zero ready endpoints; a never-ready one leaves
//! everything on blue.

mod common;

use common::*;
use serde_json::Value;

fn blue_green(test: &str, extra: &[&str]) -> (i32, Value, Vec<Value>) {
    let dir = scratch(&format!("blue-green-run-{test}"));
    let trace_path = dir.join("trace.jsonl");
    let trace_arg = trace_path.display().to_string();
    let image = new_image_arg();
    let mut args = vec![
        "run",
        "blue-green",
        "--set",
        "manifests=examples/k8s",
        "--set",
        &image,
        "--trace",
        &trace_arg,
    ];
    args.extend_from_slice(extra);
    let (code, report) = run_json(&args);
    (code, report, trace(&trace_path))
}

/// SVC-6: once the Service had ready endpoints it never had none.
fn assert_never_without_ready_endpoints(snaps: &[&Value]) {
    let first_ready = snaps
        .iter()
        .position(|s| s["ready"].as_u64() > Some(0))
        .expect("web became ready");
    for s in &snaps[first_ready..] {
        assert!(s["ready"].as_u64() > Some(0), "zero ready endpoints at {s}");
    }
}

/// The Service `web`'s snapshots in the trace, in order.
fn service_snapshots(trace: &[Value]) -> Vec<&Value> {
    trace
        .iter()
        .filter(|e| e["ev"] == "service" && e["name"] == "web")
        .collect()
}

#[test]
fn a_good_image_switches_the_service_and_keeps_blue_at_zero() {
    let (code, report, trace) = blue_green("good", &[]);
    assert_eq!(code, 0, "{report:#}");
    let r = &report["result"];
    assert_eq!(
        (r["live"].as_str(), r["previous"].as_str()),
        (Some("web-green"), Some("web"))
    );
    assert_eq!(r["selector"]["rollplay.dev/colour"], "green");
    assert_eq!(
        r["autoscalers"][0], "web",
        "the autoscaler follows the live colour"
    );

    // Through both selector changes (pinning blue, then green).
    let snaps = service_snapshots(&trace);
    assert_never_without_ready_endpoints(&snaps);
    assert_eq!(
        snaps.last().unwrap()["selector"]["rollplay.dev/colour"],
        "green"
    );
    // Until the switch only blue's pods (3, or 4 if its autoscaler adds one) take traffic:
    // green is checked through its preview Service alone.
    for s in snaps
        .iter()
        .filter(|s| s["selector"].get("rollplay.dev/colour").is_none())
    {
        assert!(
            s["targets"].as_u64() <= Some(4),
            "green got traffic early: {s}"
        );
    }

    // The old colour is scaled to 0 after the delay, not deleted.
    let actions = action_lines(&report);
    assert_eq!(actions.last().unwrap(), "scale deployment/web");
    assert_eq!(count_actions(&report, "delete", "deployment/web"), 0);
    assert_eq!(state_of(&report, "deployment/web").unwrap()["replicas"], 0);
    assert_eq!(
        count_actions(&report, "switch_selector", ""),
        2,
        "pin blue, then switch to green"
    );
}

#[test]
fn a_never_ready_green_leaves_the_selector_on_blue_and_green_at_zero() {
    let profiles = new_image_profile("blue-green-never-ready", "{ready: false}");
    let (code, report, trace) =
        blue_green("never-ready", &["--sim", &profiles, "--set", "timeout=3m"]);
    assert_eq!(code, 1, "{report:#}");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("web-green") && message.contains("still routes to web"),
        "{message}"
    );
    let snaps = service_snapshots(&trace);
    assert_eq!(
        snaps.last().unwrap()["selector"],
        serde_json::json!({"app.kubernetes.io/name": "web"})
    );
    assert_eq!(snaps.last().unwrap()["ready"], 3);
    let green = state_of(&report, "deployment/web-green").expect("green in the state");
    assert_eq!(green["replicas"], 0);
    let blue = state_of(&report, "deployment/web");
    assert!(blue.is_none_or(|b| b["available"] == 3), "{blue:?}");
    assert_eq!(
        count_actions(&report, "switch_selector", ""),
        2,
        "pinned to blue's pods, then the selector it had"
    );
}

/// Green passes its smoke check, takes the traffic, then crashes 90 s after its start, inside
/// `scale_down_delay`: the selector goes straight back to blue, which is still running, and
/// the autoscaler follows; green ends at 0 and the run fails.
#[test]
fn green_faltering_after_the_switch_switches_straight_back_to_blue() {
    let profiles = new_image_profile("blue-green-crash-profile", "{crash_after_seconds: 90}");
    let (code, report, trace) = blue_green(
        "falters",
        &["--sim", &profiles, "--set", "scale_down_delay=2m"],
    );
    assert_eq!(code, 1, "{report:#}");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(message.contains("faltered after the switch"), "{message}");
    assert_eq!(
        count_actions(&report, "switch_selector", ""),
        4,
        "pin blue, green, back to blue's pods, then the selector it had"
    );
    let snaps = service_snapshots(&trace);
    let last = snaps.last().unwrap();
    assert_eq!(
        last["selector"],
        serde_json::json!({"app.kubernetes.io/name": "web"}),
        "{last}"
    );
    assert!(last["ready"].as_u64() >= Some(3), "{last}");
    assert_never_without_ready_endpoints(&snaps);
    assert_eq!(
        state_of(&report, "deployment/web-green").unwrap()["replicas"],
        0
    );
    assert_eq!(
        count_actions(&report, "apply", "horizontalpodautoscaler/web"),
        3,
        "created, to green, back to blue"
    );
}

/// Parameters and names that cannot work stop the run before anything is applied (exit 2).
#[test]
fn bad_input_is_refused_before_anything_changes() {
    for (extra, says) in [
        ("smoke_window=0", "expected more than 0"),
        ("smoke_rps=-5", "expected 0 or more requests per second"),
        ("container=nope", "has containers [\"web\"]"),
    ] {
        let (code, report, _) = blue_green(
            &format!("bad-{}", extra.split('=').next().unwrap()),
            &["--set", extra],
        );
        assert_eq!(code, 2, "{extra}: {report:#}");
        assert_eq!(report["actions"], serde_json::json!([]), "{extra}");
        let message = report["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{extra}: {message}");
    }
}

/// The run's `--timeout` expires while green is being checked (during the smoke check) and
/// after it took the traffic (inside `scale_down_delay`): either way the abort path puts the
/// Service and its autoscaler back on blue, removes the preview Service and scales green to 0.
#[test]
fn a_timeout_goes_back_to_blue_whether_or_not_green_took_the_traffic() {
    for (test, timeout, switched) in [("smoke", "35s", false), ("switched", "1m30s", true)] {
        let (code, report, trace) = blue_green(
            &format!("timeout-{test}"),
            &["--set", "scale_down_delay=2m", "--timeout", timeout],
        );
        assert_eq!(code, 1, "{test}: {report:#}");
        let message = report["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("--timeout"), "{test}: {message}");
        let snaps = service_snapshots(&trace);
        let last = snaps.last().unwrap();
        assert_eq!(
            last["selector"],
            serde_json::json!({"app.kubernetes.io/name": "web"}),
            "{test}: {last}"
        );
        assert!(last["ready"].as_u64() >= Some(3), "{test}: {last}");
        assert_never_without_ready_endpoints(&snaps);
        assert_eq!(
            state_of(&report, "deployment/web-green").unwrap()["replicas"],
            0,
            "{test}"
        );
        let actions = action_lines(&report);
        assert_eq!(
            count_actions(&report, "delete", "service/web-preview"),
            1,
            "{test}: {actions:?}"
        );
        assert_eq!(
            count_actions(&report, "apply", "horizontalpodautoscaler/web"),
            if switched { 3 } else { 1 },
            "{test}: created, then (once switched) to green and back to blue: {actions:?}"
        );
        assert_eq!(
            actions.last().map(String::as_str),
            Some("switch_selector service/web"),
            "{test}: the selector it had is the last change: {actions:?}"
        );
    }
}
