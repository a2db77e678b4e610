//! The simulator against the reference cases it must pass (deployment rolling, rollout status,
//! service endpoints, Swarm updates); every failing case is printed with expected and actual values.

use rollplay_sim::conformance::run_paths;
use std::path::PathBuf;

fn case(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/cases")
        .join(file)
}

fn assert_all_pass(file: &str) {
    let report = run_paths(&[case(file)]).expect("case file readable");
    let failures: Vec<String> = report
        .results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}: {}", r.id, r.detail))
        .collect();
    assert!(report.passed() > 0, "{file}: no cases ran");
    assert!(
        failures.is_empty(),
        "{file}: {} passed, {} failed\n{}",
        report.passed(),
        report.failed(),
        failures.join("\n")
    );
}

#[test]
fn deployment_rolling_cases_pass() {
    assert_all_pass("deployment_rolling.json");
}

#[test]
fn rollout_status_cases_pass() {
    assert_all_pass("rollout_status.json");
}

#[test]
fn service_endpoint_cases_pass() {
    assert_all_pass("service_endpoints.json");
}

#[test]
fn swarm_update_cases_pass() {
    assert_all_pass("swarm_update.json");
}

#[test]
fn a_function_the_simulator_lacks_fails_as_unsupported() {
    let dir = std::env::temp_dir().join(format!("rollplay-cases-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("unknown.json");
    std::fs::write(
        &file,
        r#"{"cases": [{"id": "X-1", "function": "no_such_rule", "input": {}, "expected": {"a": 1}}]}"#,
    )
    .expect("case written");
    let report = run_paths(&[file]).expect("readable");
    assert_eq!(report.failed(), 1);
    assert!(report.results[0].detail.starts_with("unsupported"));
}

#[test]
fn additional_cases_of_the_same_schemas_pass() {
    for file in [
        "extra/deployment_rolling_extra.json",
        "extra/rollout_status_extra.json",
        "extra/service_endpoints_extra.json",
    ] {
        assert_all_pass(file);
    }
}
