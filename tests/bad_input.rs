//! Bad input stops a run with exit code 2 before anything changes, and says where: manifests
//! (file, line, document), scripts (file:line:column with the source line and a caret), flags.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn a_yaml_error_in_the_third_of_five_documents_names_file_and_line_and_changes_nothing() {
    let (code, report) = run_json(&[
        "run",
        "rolling",
        "--set",
        "manifests=tests/fixtures/five-documents-yaml-error.yaml",
        "--set",
        "image=x:1",
    ]);
    assert_eq!(code, 2, "{report:#}");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("tests/fixtures/five-documents-yaml-error.yaml:23:"),
        "{message}"
    );
    assert!(
        message.contains("(document 3 of 5)") && message.contains("invalid YAML"),
        "{message}"
    );
    assert_eq!(
        report["actions"],
        Value::Array(vec![]),
        "nothing was applied"
    );
}

#[test]
fn an_invalid_object_gets_the_api_servers_message_at_its_line() {
    let out = rollplay(&[
        "run",
        "rolling",
        "--set",
        "manifests=tests/fixtures/five-documents-invalid-deployment.yaml",
        "--set",
        "image=x:1",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "tests/fixtures/five-documents-invalid-deployment.yaml:28:7 (document 3 of 5): The Deployment \"web\" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"
        ),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("changes:"),
        "nothing was applied:\n{}",
        out.stderr
    );
}

#[test]
fn a_refused_batch_leaves_even_its_valid_objects_unapplied() {
    let (code, report) = run_json(&["run", "tests/fixtures/bad-batch-changes-nothing.rhai"]);
    assert_eq!(code, 0, "{report:#}");
    let r = &report["result"];
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("may not be 0 when `maxSurge` is 0"),
        "{r}"
    );
    assert_eq!(
        r["first"],
        Value::Null,
        "the ConfigMap of document 1 was not created"
    );
    assert_eq!(
        r["web"],
        Value::Null,
        "the Service of document 2 was not created"
    );
}

#[test]
fn an_unknown_primitive_names_line_and_column_with_a_caret_and_a_suggestion() {
    let out = rollplay(&["run", "tests/fixtures/unknown-primitive.rhai"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    // Found before the script runs: the apply() on line 2 never happens.
    let expected = "error: unknown function sclae()\n  --> tests/fixtures/unknown-primitive.rhai:4:5\n  |\n4 |     sclae(\"web\", 5);\n  |     ^\n  = hint: did you mean `scale`?\n";
    assert!(out.stderr.contains(expected), "{}", out.stderr);
    assert!(!out.stderr.contains("changes:"), "{}", out.stderr);
    let (_, report) = run_json(&["run", "tests/fixtures/unknown-primitive.rhai"]);
    assert_eq!(report["actions"], Value::Array(vec![]));
    let e = &report["error"];
    assert_eq!(
        (e["file"].as_str(), e["line"].as_u64(), e["column"].as_u64()),
        (
            Some("tests/fixtures/unknown-primitive.rhai"),
            Some(4),
            Some(5)
        )
    );
}

#[test]
fn a_wrong_argument_type_names_line_and_column_and_the_expected_signature() {
    let out = rollplay(&["run", "tests/fixtures/wrong-argument-type.rhai"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("error: wrong arguments for scale(string, string)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("--> tests/fixtures/wrong-argument-type.rhai:2:10"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: scale takes: scale(workload, replicas: int)"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_syntax_error_is_reported_before_anything_runs() {
    let out = rollplay(&["run", "tests/fixtures/syntax-error.rhai"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("error: syntax error") && out.stderr.contains("syntax-error.rhai:2:9"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("let b = ;"), "{}", out.stderr);
}

#[test]
fn a_missing_required_parameter_says_how_to_pass_it() {
    let (code, report) = run_json(&["run", "rolling", "--set", "manifests=examples/k8s"]);
    assert_eq!(code, 2);
    assert_eq!(
        report["error"]["message"],
        "parameter \"image\": missing: pass --set image=VALUE"
    );
    assert_eq!(
        report["actions"],
        Value::Array(vec![]),
        "parameters are read before anything changes"
    );
}

#[test]
fn bad_flags_and_profiles_exit_2() {
    let out = rollplay(&["run", "rolling", "--target", "moon"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("expected sim, sim:swarm, kube[:CONTEXT] or swarm[:HOST]"),
        "{}",
        out.stderr
    );
    for (target, says) in [
        (
            "swarm:unix:///nonexistent/docker.sock",
            "cannot reach the Docker engine at unix:///nonexistent/docker.sock",
        ),
        ("sim:swarm", "no Swarm flavour of the simulator yet"),
    ] {
        let (code, report) = run_json(&[
            "run",
            "rolling",
            "--target",
            target,
            "--set",
            "manifests=examples/k8s",
            "--set",
            "image=x:1",
        ]);
        assert_eq!(code, 2, "{target}");
        let message = report["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(says), "{target}: {message}");
        assert_eq!(report["actions"], Value::Array(vec![]), "{target}");
    }
    let out = rollplay(&["run", "no-such-playbook"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("built-in: rolling"), "{}", out.stderr);
    let dir = scratch("bad-profile");
    let profiles = write(&dir, "p.yaml", "images:\n  web:1: {redy: false}\n");
    let out = rollplay(&["run", "rolling", "--sim", &profiles, "--set", "image=x"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("p.yaml:2") && out.stderr.contains("redy"),
        "{}",
        out.stderr
    );
    let out = rollplay(&["run", "rolling", "--timeout", "soon"]);
    assert_eq!(
        out.code, 2,
        "clap reports bad values with exit 2: {}",
        out.stderr
    );
}

#[test]
fn a_bad_timeout_is_rejected_before_anything_changes() {
    for bad in ["10mins", "0s"] {
        let (code, report) = run_json(&[
            "run",
            "rolling",
            "--set",
            "manifests=examples/k8s",
            "--set",
            "image=x:2",
            "--set",
            &format!("timeout={bad}"),
        ]);
        assert_eq!(code, 2, "{bad}: {report:#}");
        assert_eq!(
            report["actions"],
            Value::Array(vec![]),
            "{bad}: nothing was applied"
        );
    }
}

#[test]
fn manifests_with_several_deployments_need_a_workload_and_nothing_is_applied() {
    let (code, report) = run_json(&[
        "run",
        "rolling",
        "--set",
        "manifests=tests/fixtures/two-deployments.yaml",
        "--set",
        "image=x:2",
    ]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(
        report["error"]["message"],
        "playbook input: the manifests contain 2 Deployments ([\"web\", \"api\"]): pass --set workload=NAME"
    );
    assert_eq!(report["actions"], Value::Array(vec![]));
}

#[test]
fn json_output_is_one_object_even_for_bad_flags() {
    let (code, report) = run_json(&["run", "rolling", "--target", "moon"]);
    assert_eq!(code, 2);
    assert_eq!(report["ok"], false);
    assert_eq!(report["error"]["kind"], "bad_input");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expected sim, sim:swarm, kube[:CONTEXT] or swarm[:HOST]")
    );
}

#[test]
fn bad_input_after_a_change_is_a_failed_run_not_exit_2() {
    let dir = scratch("bad-after-change");
    let script = write(
        &dir,
        "late.rhai",
        "apply(\"tests/fixtures/web.yaml\");\nwait_ready(\"web\");\nscale(\"web\", 5);\nrollback(\"web\", 9);\n",
    );
    let (code, report) = run_json(&["run", &script]);
    assert_eq!(code, 1, "exit 2 promises nothing changed: {report:#}");
    assert_eq!(report["error"]["kind"], "refused");
    assert_eq!(report["state"][0]["replicas"], 5);
}

#[test]
fn a_wrong_number_of_arguments_is_found_before_the_script_runs() {
    let (code, report) = run_json(&["run", "tests/fixtures/wrong-argument-count.rhai"]);
    assert_eq!(code, 2, "{report:#}");
    let e = &report["error"];
    assert_eq!(e["message"], "set_image() takes 2 or 3 argument(s), not 1");
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(report["actions"], Value::Array(vec![]));
}
