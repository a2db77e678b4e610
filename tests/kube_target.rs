//! The built-in playbooks with `--target kube` against `rollplay sim serve`, and the same
//! playbook, seed and profiles on `--target sim`: the same final state on both.

mod common;

use common::served::{ServedSim, rollplay_with};
use common::*;
use serde_json::Value;

/// `rolling` on the simulator and on kube against `sim serve` at `speed`.
fn on_both(profile: Option<(&str, &str)>, speed: &str) -> ((i32, Value), (i32, Value)) {
    let profiles = profile.map(|(test, p)| new_image_profile(test, p));
    let image = new_image_arg();
    let mut extra: Vec<&str> = Vec::new();
    if let Some(p) = &profiles {
        extra.extend(["--sim", p.as_str()]);
    }
    let on_sim = run_json(&rolling_args(&image, &extra));
    let served = ServedSim::start(&[&["--speed", speed], extra.as_slice()].concat());
    let on_kube = served.rollplay_json(&rolling_args(&image, &[]));
    (on_sim, on_kube)
}

#[test]
fn rolling_ends_in_the_same_state_on_kube_as_on_the_simulator() {
    let ((sim_code, sim), (kube_code, kube)) = on_both(None, "60");
    assert_eq!((sim_code, kube_code), (0, 0), "{kube:#}");
    assert_eq!(kube["target"], "kube:rollplay-sim");
    assert_eq!(kube["result"]["old_revision"], 1);
    assert_eq!(kube["result"]["new_revision"], 2);
    assert_eq!(kube["result"]["new_image"], NEW_IMAGE);
    assert_eq!(final_state(&sim), final_state(&kube));
}

#[test]
fn a_never_ready_image_is_rolled_back_on_kube_as_on_the_simulator() {
    let ((sim_code, sim), (kube_code, kube)) =
        on_both(Some(("kube-never-ready", "{ready: false}")), "60");
    assert_eq!((sim_code, kube_code), (1, 1), "{kube:#}");
    let message = kube["error"]["message"].as_str().unwrap();
    assert!(message.contains("rolled back to revision 1"), "{message}");
    // K8S-REV-7 on a served cluster too: the old template returns as revision 3.
    assert_eq!(final_state(&kube)[0].1, 3);
    assert_eq!(final_state(&sim), final_state(&kube));
}

/// A 60 s progress deadline and an image that never becomes ready: at 10× the deadline is
/// 6 s of wall time; the Deployment controller of the served simulator reports it, the wait
/// ends with kubectl's text, and the rollout is undone, as on the simulator.
#[test]
fn an_exceeded_progress_deadline_fails_and_is_rolled_back_on_kube_as_on_the_simulator() {
    let dir = scratch("kube-deadline");
    let manifests = dir.join("manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    let deployment = std::fs::read_to_string(root().join("examples/k8s/30-deployment.yaml"))
        .unwrap()
        .replace(
            "progressDeadlineSeconds: 600",
            "progressDeadlineSeconds: 60",
        );
    write(&manifests, "deployment.yaml", &deployment);
    write(
        &manifests,
        "namespace.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n",
    );
    let profiles = new_image_profile("kube-deadline-profiles", "{ready: false}");
    let manifests_arg = format!("manifests={}", manifests.display());
    let image = new_image_arg();
    let args = ["run", "rolling", "--set", &manifests_arg, "--set", &image];
    let (sim_code, sim) = run_json(&[&args[..], &["--sim", &profiles]].concat());
    let served = ServedSim::start(&["--speed", "10", "--sim", &profiles]);
    let (kube_code, kube) = served.rollplay_json(&args);
    assert_eq!((sim_code, kube_code), (1, 1), "{kube:#}");
    for report in [&sim, &kube] {
        let message = report["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("deployment \"web\" exceeded its progress deadline")
                && message.contains("rolled back to revision 1"),
            "{message}"
        );
    }
    assert_eq!(final_state(&sim), final_state(&kube));
}

#[test]
fn a_crash_looping_image_is_rolled_back_on_kube() {
    // The playbook looks at pods every 15 s of wall time; at 20× the progress deadline
    // (600 s) is 30 s away, so the crash loop is what it finds first, as on a cluster.
    let ((_, sim), (kube_code, kube)) =
        on_both(Some(("kube-crash", "{crash_after_seconds: 4}")), "20");
    assert_eq!(kube_code, 1, "{kube:#}");
    let message = kube["error"]["message"].as_str().unwrap();
    assert!(message.contains("crash-looping"), "{message}");
    assert_eq!(final_state(&sim), final_state(&kube));
}

#[test]
fn playbooks_that_need_metrics_stop_before_any_change_on_kube() {
    let served = ServedSim::start(&[]);
    let image = new_image_arg();
    for playbook in ["canary", "blue-green"] {
        let (code, report) = served.rollplay_json(&playbook_args(playbook, &image, &[]));
        assert_eq!(code, 2, "{playbook}: {report:#}");
        assert_eq!(
            report["error"]["kind"], "missing_capability",
            "{playbook}: {report:#}"
        );
        assert!(
            report["error"]["message"]
                .as_str()
                .unwrap()
                .contains("metrics")
        );
        assert_eq!(
            report["actions"].as_array().map(Vec::len),
            Some(0),
            "{playbook}"
        );
    }
    let none = served.kubectl_ok(&["get", "deployments", "-A", "-o", "name"]);
    assert!(none.trim().is_empty(), "something was applied: {none}");
}

/// RBAC refusing a request mid-run (the scale subresource, after the manifests went in):
/// the error names the verb, the resource and the namespace, and says what to grant.
#[test]
fn a_request_rbac_refuses_mid_run_names_the_verb_resource_and_namespace() {
    let served = ServedSim::start(&["--faults", "forbid=patch:deployments/scale"]);
    let dir = scratch("kube-forbidden");
    let script = write(
        &dir,
        "scale.rhai",
        "apply(\"examples/k8s\");\nscale(\"web\", 5);\n",
    );
    let (code, report) = served.rollplay_json(&["run", &script, "-n", "demo"]);
    // The applies went in: a refusal after a change is a failed run.
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["error"]["kind"], "refused", "{report:#}");
    let message = report["error"]["message"].as_str().unwrap();
    for part in [
        "patch deployments.apps in namespace \"demo\" is forbidden",
        "cannot patch resource \"deployments/scale\"",
        "examples/rbac/rollplay.yaml",
    ] {
        assert!(message.contains(part), "{part:?} not in {message}");
    }
    let replicas = served.kubectl_ok(&[
        "-n",
        "demo",
        "get",
        "deployment",
        "web",
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(replicas.trim(), "3");
}

#[test]
fn a_context_that_does_not_exist_names_those_that_do() {
    let served = ServedSim::start(&[]);
    let image = new_image_arg();
    let out = rollplay_with(
        &served.kubeconfig,
        &rolling_args(&image, &["--target", "kube:prod"]),
    );
    assert_eq!(out.code, 2);
    let stderr = &out.stderr;
    assert!(
        stderr.contains("no context \"prod\" in the kubeconfig")
            && stderr.contains("contexts: rollplay-sim"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_server_is_one_line_with_its_address_and_exit_2() {
    let dir = scratch("unreachable");
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kubeconfig = write(
        &dir,
        "kubeconfig",
        &format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster: {{server: \"http://127.0.0.1:{port}\"}}\ncontexts:\n- name: gone\n  context: {{cluster: gone, user: gone}}\ncurrent-context: gone\nusers:\n- name: gone\n  user: {{}}\n"
        ),
    );
    let image = new_image_arg();
    let out = rollplay_with(
        std::path::Path::new(&kubeconfig),
        &rolling_args(&image, &["--target", "kube"]),
    );
    assert_eq!(out.code, 2);
    let stderr = &out.stderr;
    let error_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(error_lines.len(), 1, "{stderr}");
    assert!(
        error_lines[0].contains(&format!(
            "cannot reach the Kubernetes API at http://127.0.0.1:{port}"
        )),
        "{stderr}"
    );
}

#[test]
fn rolling_ends_correctly_through_server_errors_throttling_and_dropped_watches() {
    // 5 % of requests answered 500, 2 % answered 429 with Retry-After, every watch cut after
    // 4 s; at 3× the run lasts long enough for several cuts.
    let served = ServedSim::start(&[
        "--speed",
        "3",
        "--faults",
        "5xx=0.05,429=0.02,drop-watch=4s,seed=11",
    ]);
    let image = new_image_arg();
    let (code, report) = served.rollplay_json(&rolling_args(&image, &[]));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["result"]["new_revision"], 2);
    let client = &report["client"];
    assert!(client["retried_requests"].as_u64().unwrap() > 0, "{client}");
    assert!(client["resumed_watches"].as_u64().unwrap() > 0, "{client}");
    let state = &report["state"][0];
    assert_eq!(
        (state["rolled_out"].as_bool(), state["images"][0].as_str()),
        (Some(true), Some(NEW_IMAGE))
    );
}

/// Every watch cut after 3 s and its resumption answered 410 Gone (as after a compaction):
/// the waits list again and the rollout ends as without faults.
#[test]
fn rolling_ends_correctly_when_resumed_watches_are_gone() {
    let served = ServedSim::start(&["--speed", "3", "--faults", "drop-watch=3s,410=1,seed=3"]);
    let image = new_image_arg();
    let (code, report) = served.rollplay_json(&rolling_args(&image, &[]));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["result"]["new_revision"], 2);
    let client = &report["client"];
    assert!(client["relists"].as_u64().unwrap() > 0, "{client}");
    assert_eq!(report["state"][0]["rolled_out"], true);
}

#[test]
fn kubectl_and_rollplay_agree_on_a_rollout_either_of_them_drives() {
    let served = ServedSim::start(&["--speed", "5"]);
    let image = new_image_arg();
    let rolling = std::process::Command::new(env!("CARGO_BIN_EXE_rollplay"))
        .args(rolling_args(
            &image,
            &["--target", "kube", "--output", "json"],
        ))
        .env("KUBECONFIG", &served.kubeconfig)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Once rollplay has changed the image, kubectl follows the same rollout.
    let mut changed = false;
    for _ in 0..600 {
        let out = served.kubectl(&[
            "-n",
            "demo",
            "get",
            "deployment",
            "web",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ]);
        if out.stdout == NEW_IMAGE {
            changed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(changed, "rollplay never set the new image");
    let status = served.kubectl_ok(&[
        "-n",
        "demo",
        "rollout",
        "status",
        "deployment/web",
        "--timeout=120s",
    ]);
    assert!(
        status
            .trim_end()
            .ends_with("deployment \"web\" successfully rolled out"),
        "{status}"
    );
    let out = rolling.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["state"][0]["rolled_out"], true);

    // kubectl undoes it; rollplay's status and history say what kubectl's do.
    served.kubectl_ok(&["-n", "demo", "rollout", "undo", "deployment/web"]);
    served.kubectl_ok(&[
        "-n",
        "demo",
        "rollout",
        "status",
        "deployment/web",
        "--timeout=120s",
    ]);
    let kubectl_revisions: Vec<i64> = served
        .kubectl_ok(&["-n", "demo", "rollout", "history", "deployment/web"])
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(kubectl_revisions, [2, 3]);
    let (code, seen) = served.rollplay_json(&[
        "run",
        "tests/fixtures/status-and-history.rhai",
        "-n",
        "demo",
    ]);
    assert_eq!(code, 0, "{seen:#}");
    let r = &seen["result"];
    assert_eq!(r["history"], serde_json::json!(kubectl_revisions));
    assert_eq!(
        (
            r["revision"].as_i64(),
            r["image"].as_str(),
            r["done"].as_bool()
        ),
        (Some(3), Some(OLD_IMAGE), Some(true))
    );
    assert_eq!(r["current"], serde_json::json!([3]));
}

#[test]
fn autoscale_tuning_rehearses_on_the_simulator_when_the_target_is_kube() {
    let served = ServedSim::start(&["--speed", "20"]);
    let (code, report) =
        served.rollplay_json(&["run", "autoscale-tuning", "--set", "manifests=examples/k8s"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["target"], "kube:rollplay-sim");
    assert!(
        report["result"]["autoscaler"]["behavior"].is_object(),
        "{report:#}"
    );
}

#[test]
fn a_kind_the_cluster_does_not_serve_names_its_document_and_changes_nothing() {
    let served = ServedSim::start(&[]);
    let dir = scratch("kube-unknown-kind");
    let manifests = dir.join("manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    for f in ["00-namespace.yaml", "30-deployment.yaml"] {
        std::fs::copy(root().join("examples/k8s").join(f), manifests.join(f)).unwrap();
    }
    write(
        &manifests,
        "90-widget.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: demo}\nspec: {size: 3}\n",
    );
    let (code, report) = served.rollplay_json(&[
        "run",
        "rolling",
        "--set",
        &format!("manifests={}", manifests.display()),
        "--set",
        &new_image_arg(),
    ]);
    assert_eq!(code, 2, "{report:#}");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("90-widget.yaml")
            && message.contains("no matches for kind \"Widget\" in version \"example.com/v1\""),
        "{message}"
    );
    assert_eq!(report["actions"].as_array().map(Vec::len), Some(0));
    let namespaces = served.kubectl_ok(&["get", "namespaces", "-o", "name"]);
    assert!(
        !namespaces.contains("namespace/demo"),
        "the batch was partly applied: {namespaces}"
    );
}

#[test]
fn a_server_with_a_token_takes_rollplay_with_it_and_refuses_it_without() {
    // kubectl sends no bearer token over plain HTTP, so rollplay (kube-rs) is the client here.
    let served = ServedSim::start(&["--speed", "60", "--token", "s3cret"]);
    let (code, report) = served.rollplay_json(&rolling_args(&new_image_arg(), &[]));
    assert_eq!(code, 0, "{report:#}");
    let config = std::fs::read_to_string(&served.kubeconfig).unwrap();
    let dir = scratch("wrong-token");
    let wrong = write(
        &dir,
        "kubeconfig",
        &config.replace("token: s3cret", "token: wrong"),
    );
    let image = new_image_arg();
    let out = rollplay_with(
        std::path::Path::new(&wrong),
        &rolling_args(&image, &["--target", "kube"]),
    );
    assert_eq!(out.code, 2);
    let stderr = &out.stderr;
    assert!(
        stderr.contains("401") && stderr.contains("Unauthorized"),
        "{stderr}"
    );
}
