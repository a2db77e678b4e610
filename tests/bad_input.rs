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
    let expected = "error: unknown function sclae(string, int)\n  --> tests/fixtures/unknown-primitive.rhai:4:5\n  |\n4 |     sclae(\"web\", 5);\n  |     ^\n  = hint: did you mean `scale`?\n";
    assert!(out.stderr.contains(expected), "{}", out.stderr);
    let (_, report) = run_json(&["run", "tests/fixtures/unknown-primitive.rhai"]);
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
            .contains("expected sim, kube[:CONTEXT] or swarm[:HOST]"),
        "{}",
        out.stderr
    );
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
