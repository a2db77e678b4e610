//! The built-in playbooks and the primitives through the binary on the real Docker engine of
//! this machine (`--target swarm`), with the docker CLI as an independent witness: a good
//! image promoted, the staged unhealthy image rolled back by the engine without its healthy
//! tasks being killed (moby#37972), a rollback two revisions back, and bad stack files refused
//! before anything changes. Without an engine the tests print why and pass, unless
//! `ROLLPLAY_REQUIRE_SWARM=1` (CI).

mod common;

use common::{rollplay, run_json, scratch, write};
use std::process::Command;
use std::sync::Mutex;

/// One test drives the engine at a time: two cores run one stack's updates in seconds,
/// several at once in minutes.
static ENGINE: Mutex<()> = Mutex::new(());

use rollplay_contract::engine::{docker, swarm_engine_missing as engine_missing};

/// A stack that is empty when the test starts and removed when it ends.
struct Stack(&'static str);

impl Stack {
    fn new(name: &'static str) -> Stack {
        let stack = Stack(name);
        stack.remove();
        stack
    }

    fn remove(&self) {
        let label = format!("label=com.docker.stack.namespace={}", self.0);
        let ids = docker(&["service", "ls", "-q", "--filter", &label]).unwrap_or_default();
        for id in ids.split_whitespace() {
            let _ = docker(&["service", "rm", id]);
        }
        for _ in 0..150 {
            if docker(&["ps", "-aq", "--filter", &label])
                .unwrap_or_default()
                .is_empty()
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    fn service(&self) -> String {
        format!("{}_web", self.0)
    }

    fn inspect(&self, format: &str) -> String {
        docker(&["service", "inspect", &self.service(), "--format", format])
            .expect("the service exists")
    }

    /// IDs of the tasks meant to run, with their images.
    fn running_tasks(&self) -> Vec<(String, String)> {
        let out = docker(&[
            "service",
            "ps",
            &self.service(),
            "--filter",
            "desired-state=running",
            "--format",
            "{{.ID}} {{.Image}}",
        ])
        .unwrap_or_default();
        out.lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(id, image)| (id.to_string(), image.to_string()))
            .collect()
    }

    /// Every task of the service with its slot, states and error: what a failed assertion
    /// about tasks shows.
    fn task_history(&self) -> String {
        docker(&[
            "service",
            "ps",
            &self.service(),
            "--no-trunc",
            "--format",
            "{{.ID}} {{.Name}} {{.Image}} desired={{.DesiredState}} now={{.CurrentState}} {{.Error}}",
        ])
        .unwrap_or_default()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.remove();
    }
}

fn run_on(stack: &Stack, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["run", "rolling", "--target", "swarm", "-n", stack.0];
    args.extend(extra);
    run_json(&args)
}

#[test]
fn rolling_promotes_a_good_image_and_the_engine_rolls_back_a_bad_one_keeping_healthy_tasks() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    if engine_missing().is_some() {
        return;
    }
    let stack = Stack::new("rp-rolling");
    let (code, report) = run_on(
        &stack,
        &[
            "--set",
            "manifests=examples/swarm",
            "--set",
            "image=rollplay-demo/web:1.1.0",
        ],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["target"], "swarm:unix:///var/run/docker.sock");
    assert_eq!(report["result"]["new_revision"], 2);
    assert_eq!(
        stack.inspect("{{.Spec.TaskTemplate.ContainerSpec.Image}}"),
        "rollplay-demo/web:1.1.0"
    );
    // The health check of the stack file survives rollplay's read-modify-write of the spec.
    let check = stack.inspect("{{json .Spec.TaskTemplate.ContainerSpec.Healthcheck}}");
    assert!(
        check.contains("/ready") && check.contains("1000000000"),
        "{check}"
    );
    let healthy = stack.running_tasks();
    assert_eq!(healthy.len(), 3, "{healthy:?}");

    let (code, report) = run_on(
        &stack,
        &[
            "--set",
            "workload=web",
            "--set",
            "image=rollplay-demo/web:1.2.0-unhealthy",
        ],
    );
    assert_eq!(code, 1, "{report:#}");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(message.contains("rolled back"), "{message}");
    let state = &report["state"][0];
    assert_eq!(state["images"][0], "rollplay-demo/web:1.1.0", "{state}");
    assert_eq!(
        (state["available"].as_i64(), state["rolled_out"].as_bool()),
        (Some(3), Some(true)),
        "{state}"
    );
    assert_eq!(
        stack.inspect("{{.Spec.TaskTemplate.ContainerSpec.Image}}"),
        "rollplay-demo/web:1.1.0"
    );
    // start-first: the new task never became healthy, so no healthy task was stopped for it,
    // and the rollback left the old tasks running (moby#37972 would have killed them).
    assert_eq!(
        stack.running_tasks(),
        healthy,
        "the healthy tasks are the ones that ran before; the service's tasks:\n{}",
        stack.task_history()
    );

    // The other staged bad releases: one that crashes 5 s after it starts, one that starts too
    // slowly for the stack's health check. Each is stopped and the service settles on 1.1.0.
    for bad in [
        "rollplay-demo/web:1.2.0-crash",
        "rollplay-demo/web:1.2.0-slow",
    ] {
        let (code, report) = run_on(
            &stack,
            &["--set", "workload=web", "--set", &format!("image={bad}")],
        );
        assert_eq!(code, 1, "{bad}: {report:#}");
        let state = &report["state"][0];
        assert_eq!(
            state["images"][0], "rollplay-demo/web:1.1.0",
            "{bad}: {state}"
        );
        assert_eq!(
            (state["available"].as_i64(), state["rolled_out"].as_bool()),
            (Some(3), Some(true)),
            "{bad}: {state}"
        );
    }
}

#[test]
fn rollback_goes_two_revisions_back_with_kubernetes_numbering() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    if engine_missing().is_some() {
        return;
    }
    let stack = Stack::new("rp-history");
    let dir = scratch("swarm-history");
    let script = write(
        &dir,
        "history.rhai",
        r#"
apply("examples/swarm");
wait_ready("web", "2m");
for image in ["rollplay-demo/web:1.1.0", "rollplay-demo/web:1.2.0-errors"] {
    set_image("web", image);
    wait_ready("web", "2m");
}
let back = rollback("web", 1);
wait_ready("web", "2m");
#{ to: back.to_revision, now: back.revision, image: status("web").image,
   revisions: history("web").map(|h| h.revision) }
"#,
    );
    let (code, report) = run_json(&["run", &script, "--target", "swarm", "-n", stack.0]);
    assert_eq!(code, 0, "{report:#}");
    let r = &report["result"];
    assert_eq!(
        (r["to"].as_i64(), r["now"].as_i64()),
        (Some(1), Some(4)),
        "{r}"
    );
    assert_eq!(r["image"], "rollplay-demo/web:1.0.0");
    assert_eq!(
        r["revisions"],
        serde_json::json!([2, 3, 4]),
        "K8S-REV-7: revision 1 returns as 4"
    );
    assert_eq!(
        stack.inspect("{{.Spec.TaskTemplate.ContainerSpec.Image}}"),
        "rollplay-demo/web:1.0.0"
    );
}

#[test]
fn a_bad_stack_file_names_the_key_and_line_and_changes_nothing() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    if engine_missing().is_some() {
        return;
    }
    let stack = Stack::new("rp-bad");
    let dir = scratch("swarm-bad-stack");
    let cases = [
        (
            "services:\n  web:\n    image: rollplay-demo/web:1.0.0\n    deploy:\n      replicaz: 3\n",
            "stack.yml:5",
            "replicaz",
        ),
        (
            "services:\n  web:\n    image: rollplay-demo/web:1.0.0\n    deploy:\n      replicas: three\n",
            "stack.yml:5",
            "replicas",
        ),
        (
            "services:\n  api:\n    image: rollplay-demo/web:1.0.0\n  web:\n    environment: {A: b}\n",
            "stack.yml:4",
            "image",
        ),
    ];
    for (text, at, names) in cases {
        let file = write(&dir, "stack.yml", text);
        let out = rollplay(&[
            "run",
            "rolling",
            "--target",
            "swarm",
            "-n",
            stack.0,
            "--set",
            &format!("manifests={file}"),
            "--set",
            "workload=web",
            "--set",
            "image=rollplay-demo/web:1.1.0",
        ]);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr.contains(at) && out.stderr.contains(names),
            "{at} {names}: {}",
            out.stderr
        );
        let label = format!("label=com.docker.stack.namespace={}", stack.0);
        assert_eq!(
            docker(&["service", "ls", "-q", "--filter", &label]).unwrap(),
            "",
            "nothing was created"
        );
    }
}

#[test]
fn playbooks_needing_what_swarm_lacks_stop_before_any_change() {
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    if engine_missing().is_some() {
        return;
    }
    let stack = Stack::new("rp-lacks");
    for (playbook, needs) in [
        ("blue-green", "needs selectors"),
        ("canary", "needs metrics"),
    ] {
        let out = rollplay(&[
            "run",
            playbook,
            "--target",
            "swarm",
            "-n",
            stack.0,
            "--set",
            "manifests=examples/swarm",
            "--set",
            "image=rollplay-demo/web:1.1.0",
        ]);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains(needs), "{playbook}: {}", out.stderr);
        let label = format!("label=com.docker.stack.namespace={}", stack.0);
        assert_eq!(
            docker(&["service", "ls", "-q", "--filter", &label]).unwrap(),
            "",
            "nothing was created"
        );
    }
}

/// The engine's socket behind one of the test's own, which the test can take away: to rollplay
/// that is dockerd stopping (connections cut, new ones refused).
struct VanishingEngine {
    path: String,
    open: std::sync::Arc<Mutex<Vec<std::os::unix::net::UnixStream>>>,
}

impl VanishingEngine {
    fn start(name: &str) -> VanishingEngine {
        use std::os::unix::net::{UnixListener, UnixStream};
        let path =
            std::env::temp_dir().join(format!("rollplay-{name}-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("bind");
        let open: std::sync::Arc<Mutex<Vec<UnixStream>>> = Default::default();
        let kept = open.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let Ok(engine) = UnixStream::connect("/var/run/docker.sock") else {
                    break;
                };
                let mut all = kept.lock().unwrap();
                all.push(client.try_clone().unwrap());
                all.push(engine.try_clone().unwrap());
                drop(all);
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), engine.try_clone().unwrap()),
                    (engine, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        VanishingEngine {
            path: path.display().to_string(),
            open,
        }
    }

    /// Cuts every connection and refuses new ones.
    fn stop(&self) {
        let _ = std::fs::remove_file(&self.path);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

#[test]
fn an_engine_gone_mid_rollout_is_a_clear_failure_never_reported_done() {
    use std::io::{BufRead, BufReader};
    let _engine = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    if engine_missing().is_some() {
        return;
    }
    let stack = Stack::new("rp-gone");
    let engine = VanishingEngine::start("gone");
    let target = format!("swarm:unix://{}", engine.path);
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollplay"))
        .args([
            "run",
            "rolling",
            "--target",
            &target,
            "-n",
            stack.0,
            "--set",
            "manifests=examples/swarm",
            "--set",
            "image=rollplay-demo/web:1.1.0",
            "--set",
            "timeout=2m",
        ])
        .current_dir(common::root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("rollplay starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    // Cut the engine once the new image is rolling out.
    while stderr.read_line(&mut line).unwrap_or(0) > 0 {
        seen.push_str(&line);
        let rolling = line.contains("new replicas have been updated");
        line.clear();
        if rolling && seen.contains("successfully rolled out") {
            engine.stop();
            break;
        }
    }
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    seen.push_str(&rest);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{seen}");
    assert!(
        seen.contains(&target) && seen.contains("rolling: failed"),
        "{seen}"
    );
    let after_cut = &seen[seen.rfind("new replicas have been updated").unwrap()..];
    assert!(
        !after_cut.contains("successfully rolled out"),
        "never reported done after the cut: {seen}"
    );
}
