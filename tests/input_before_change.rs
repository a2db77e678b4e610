//! Every built-in playbook checks its input before its first change: an unknown workload, a
//! workload of another kind, an image that is not a reference, manifests for another namespace
//! than `-n` names. Each is exit 2 with no action, the message naming the parameter; and a
//! flag clap refuses still prints one JSON object with `--output json`.

mod common;

use common::*;
use serde_json::Value;

const PLAYBOOKS: [&str; 3] = ["rolling", "canary", "blue-green"];

fn refused(playbook: &str, extra: &[&str], says: &str) {
    let mut args = vec!["run", playbook, "--set", "manifests=examples/k8s"];
    args.extend(extra);
    let (code, report) = run_json(&args);
    let message = report["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(code, 2, "{playbook} {extra:?}: {report:#}");
    assert!(message.contains(says), "{playbook} {extra:?}: {message}");
    assert_eq!(
        report["actions"],
        Value::Array(vec![]),
        "{playbook} {extra:?}: nothing is changed"
    );
}

#[test]
fn a_workload_in_neither_the_manifests_nor_the_target_is_refused_naming_the_ones_there() {
    for playbook in PLAYBOOKS {
        refused(
            playbook,
            &["--set", "image=x:1", "--set", "workload=api"],
            "--set workload=api: no Deployment \"api\" in the manifests or in namespace ",
        );
        refused(
            playbook,
            &["--set", "image=x:1", "--set", "workload=api"],
            " on sim; the manifests have [\"web\"]",
        );
        refused(
            playbook,
            &["--set", "image=x:1", "--set", "workload=service/web"],
            "--set workload=service/web: expected NAME or deployment/NAME",
        );
    }
}

#[test]
fn an_image_that_is_not_a_reference_is_refused_before_the_apply() {
    for playbook in PLAYBOOKS {
        for (image, says) in [
            ("image=", "--set image=: the image reference is empty"),
            (
                "image=x y",
                "--set image=x y: \"x y\" is not an image reference",
            ),
            (
                "image=Web:1",
                "the repository name \"Web\" must be lowercase",
            ),
            ("image=web:", "the tag after ':' is empty"),
            (
                "image=web@sha256:abc",
                "a sha256 digest is 64 hexadecimal characters",
            ),
        ] {
            refused(playbook, &["--set", image], says);
        }
    }
}

#[test]
fn manifests_for_another_namespace_than_the_one_given_are_refused_as_kubectl_does() {
    for playbook in PLAYBOOKS {
        refused(
            playbook,
            &["-n", "other", "--set", "image=x:1"],
            "configmap/web-config is for namespace \"demo\", but -n other was given; pass -n demo or leave -n out",
        );
    }
    // The namespace the manifests name, given or not, deploys there.
    let image = new_image_arg();
    for namespace in [&["-n", "demo"][..], &[]] {
        let (code, report) = run_json(&rolling_args(&image, namespace));
        assert_eq!(code, 0, "{namespace:?}: {report:#}");
        assert_eq!(report["result"]["namespace"], "demo");
    }
}

#[test]
fn a_workload_given_as_deployment_slash_name_is_the_deployment_of_the_manifests() {
    let image = new_image_arg();
    for form in ["workload=deployment/web", "workload=deploy/web"] {
        let (code, report) = run_json(&rolling_args(&image, &["--set", form]));
        assert_eq!(code, 0, "{form}: {report:#}");
        assert_eq!(
            (
                report["result"]["workload"].as_str(),
                report["result"]["new_revision"].as_i64()
            ),
            (Some("web"), Some(2)),
            "{form}"
        );
    }
}

#[test]
fn flags_clap_refuses_still_give_one_json_object_on_stdout() {
    for (flag, says) in [
        (
            &["--seed", "abc"][..],
            "invalid value 'abc' for '--seed <SEED>'",
        ),
        (
            &["--timeout", "10x"],
            "invalid value '10x' for '--timeout <TIMEOUT>'",
        ),
        (&["--no-such-flag"], "unexpected argument '--no-such-flag'"),
    ] {
        let mut args = vec!["run", "rolling", "--set", "image=x:1"];
        args.extend(flag);
        let (code, report) = run_json(&args);
        assert_eq!(code, 2, "{flag:?}");
        assert_eq!(
            (report["ok"].as_bool(), report["error"]["kind"].as_str()),
            (Some(false), Some("bad_input")),
            "{flag:?}"
        );
        let message = report["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{flag:?}: {message}");
        assert_eq!(report["actions"], Value::Array(vec![]));
    }
}
