//! A Secret's values never appear in what rollplay prints or writes: text, JSON, traces,
//! error messages, or what a script sees of the Secret; yet the cluster gets the real values.

mod common;

use common::served::ServedSim;
use common::*;
use std::path::Path;

const PLAIN: &str = "hunter2-plaintext-value";
/// `PLAIN` as `stringData` is stored: base64 in `data`.
const PLAIN_STORED: &str = "aHVudGVyMi1wbGFpbnRleHQtdmFsdWU=";
/// A `data` value as written in the manifest ("token-written-as-base64").
const ENCODED: &str = "dG9rZW4td3JpdHRlbi1hcy1iYXNlNjQ=";
const DECODED: &str = "token-written-as-base64";

fn secret_yaml(string_data: &str, data: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-db\n  namespace: demo\ntype: Opaque\nstringData:\n  password: {string_data}\ndata:\n  token: {data}\n"
    )
}

/// The demo manifests plus a Secret, in a directory of their own.
fn manifests_with_secret(test: &str, secret: &str) -> String {
    let dir = scratch(test);
    let source = root().join("examples/k8s");
    for entry in std::fs::read_dir(&source).expect("examples/k8s") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dir.join(path.file_name().expect("name"))).expect("copy");
    }
    write(&dir, "15-secret.yaml", secret);
    dir.display().to_string()
}

fn assert_not_shown(what: &str, text: &str) {
    for value in [PLAIN, PLAIN_STORED, ENCODED, DECODED] {
        assert!(
            !text.contains(value),
            "{what} shows the Secret value {value:?}:\n{text}"
        );
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_rollout_that_applies_a_secret_shows_none_of_its_values_in_text_json_or_trace() {
    let manifests = manifests_with_secret("secret-rollout", &secret_yaml(PLAIN, ENCODED));
    let manifests_arg = format!("manifests={manifests}");
    let image = new_image_arg();
    let dir = scratch("secret-rollout-out");
    let trace_file = dir.join("trace.jsonl");
    let trace_arg = trace_file.display().to_string();
    let args = [
        "run",
        "rolling",
        "--set",
        &manifests_arg,
        "--set",
        &image,
        "--trace",
        &trace_arg,
    ];
    let text = rollplay(&args);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stderr.contains("secret/web-db created"),
        "{}",
        text.stderr
    );
    assert_not_shown(
        "the text output",
        &format!("{}{}", text.stdout, text.stderr),
    );
    assert_not_shown("the trace", &read(&trace_file));

    let json = rollplay(&[&args[..], &["--output", "json"]].concat());
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_not_shown(
        "the JSON report",
        &format!("{}{}", json.stdout, json.stderr),
    );
}

#[test]
fn scripts_see_a_secrets_keys_with_its_values_redacted() {
    let manifests = manifests_with_secret("secret-script", &secret_yaml(PLAIN, ENCODED));
    let dir = scratch("secret-script-playbook");
    let playbook = write(
        &dir,
        "peek.rhai",
        &format!(
            r#"
let objects = read_manifests("{manifests}");
print(objects);
apply(objects);
let secret = get("secret", "web-db");
print(secret);
print(list("secret"));
if secret.data.keys() != ["password", "token"] {{ fail(`keys: ${{secret.data.keys()}}`); }}
#{{ secret: secret, listed: list("secret") }}
"#
        ),
    );
    let out = rollplay(&["run", &playbook, "-n", "demo", "--output", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_not_shown(
        "a script's prints and result",
        &format!("{}{}", out.stdout, out.stderr),
    );
    let report: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("JSON");
    assert_eq!(
        report["result"]["secret"]["data"],
        serde_json::json!({"password": "<redacted>", "token": "<redacted>"}),
        "stringData is stored in data, as the API server stores it"
    );
    assert!(report["result"]["secret"].get("stringData").is_none());
}

#[test]
fn the_cluster_gets_the_real_values_of_a_secret_the_script_saw_redacted() {
    let served = ServedSim::start(&[]);
    let manifests = manifests_with_secret("secret-kube", &secret_yaml(PLAIN, ENCODED));
    let dir = scratch("secret-kube-playbook");
    let playbook = write(
        &dir,
        "apply.rhai",
        &format!(
            "let objects = read_manifests(\"{manifests}\");\nprint(objects);\napply(objects);\n"
        ),
    );
    let (code, report) = served.rollplay_json(&["run", &playbook]);
    assert_eq!(code, 0, "{report:#}");
    assert_not_shown("the kube run's report", &report.to_string());
    // kubectl, a client with the right to read Secrets, sees what was applied.
    let stored = served.kubectl_ok(&[
        "get",
        "secret",
        "web-db",
        "-n",
        "demo",
        "-o",
        "jsonpath={.data.password} {.data.token}",
    ]);
    assert_eq!(stored, format!("{PLAIN_STORED} {ENCODED}"));
}

#[test]
fn a_secret_copied_from_get_is_refused_rather_than_overwritten_with_the_placeholder() {
    let dir = scratch("secret-copy");
    let playbook = write(
        &dir,
        "copy.rhai",
        r#"
apply(#{apiVersion: "v1", kind: "Secret", metadata: #{name: "db"}, stringData: #{password: "s3cr3t-original"}});
let copy = get("secret", "db");
copy.metadata = #{name: "db"};
apply(copy);
"#,
    );
    let out = rollplay(&["run", &playbook, "--output", "json"]);
    // Bad input, but after the script's first change: exit 1, and only that change was made.
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("JSON");
    assert_eq!(report["error"]["kind"], "bad_input", "{report:#}");
    assert_eq!(action_lines(&report).len(), 1, "{report:#}");
    let message = report["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(
            "secret/db holds values that read \"<redacted>\" (what scripts see of a Secret)"
        ),
        "{message}"
    );
    let everything = format!("{}{}", out.stdout, out.stderr);
    assert!(!everything.contains("s3cr3t-original"), "{everything}");
}

#[test]
fn an_invalid_secret_is_refused_naming_the_key_and_never_the_value() {
    let cases = [
        (
            secret_yaml("123456789012", ENCODED),
            "stringData.password: Invalid value: <redacted>: must be a string",
            "123456789012",
        ),
        (
            secret_yaml(PLAIN, "not-base64-VALUE!"),
            "data.token: Invalid value: <redacted>: illegal base64 data at input byte 3",
            "not-base64-VALUE!",
        ),
    ];
    for (i, (yaml, message, value)) in cases.iter().enumerate() {
        let manifests = manifests_with_secret(&format!("secret-invalid-{i}"), yaml);
        let manifests_arg = format!("manifests={manifests}");
        let image = new_image_arg();
        let (code, report) =
            run_json(&["run", "rolling", "--set", &manifests_arg, "--set", &image]);
        assert_eq!(code, 2, "{report:#}");
        assert_eq!(report["actions"], serde_json::json!([]), "nothing applied");
        let error = report["error"]["message"].as_str().unwrap_or_default();
        assert!(error.contains(message), "{error}");
        assert!(error.contains("15-secret.yaml:"), "names the file: {error}");
        assert!(!report.to_string().contains(value), "{report:#}");
    }
}
