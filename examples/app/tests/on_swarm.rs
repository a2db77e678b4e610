//! The demo images on a real Docker engine in swarm mode, against what `rollplay-stack`
//! predicts for the same update configuration: a good image completes, the staged unhealthy
//! image is rolled back automatically, and with start-first the healthy tasks survive the
//! rollback (the moby#37972 failure would kill them). Needs the images of `build-images.sh`.
//! Without an engine the tests print why and pass, unless `ROLLPLAY_REQUIRE_SWARM=1` (CI).

use rollplay_stack::update::{Scenario, TaskPlan, run_update};
use rollplay_stack::{FailureAction, Order, UpdateConfig, UpdateState};
use std::process::Command;
use std::time::{Duration, Instant};

use rollplay_contract::engine::{docker, swarm_engine_missing as engine_missing};

/// A service removed when the test ends, pass or fail.
struct Service(String);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = docker(&["service", "rm", &self.0]);
    }
}

fn create(name: &str, image: &str) -> Service {
    docker(&[
        "service",
        "create",
        "--quiet",
        "--detach",
        "--name",
        name,
        "--replicas",
        "2",
        "--update-parallelism",
        "1",
        "--update-failure-action",
        "rollback",
        "--update-monitor",
        "5s",
        "--update-order",
        "start-first",
        image,
    ])
    .expect("service created");
    Service(name.to_string())
}

/// IDs of the tasks meant to run, once `want` of them run `image` (bounded wait).
fn running_tasks(name: &str, image: &str, want: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let listed = docker(&[
            "service",
            "ps",
            name,
            "--filter",
            "desired-state=running",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.Image}} {{.CurrentState}}",
        ])
        .unwrap_or_default();
        let ids: Vec<String> = listed
            .lines()
            .filter(|l| l.contains(image) && l.contains("Running"))
            .filter_map(|l| l.split(' ').next().map(String::from))
            .collect();
        if ids.len() == want {
            return ids;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: {want} tasks of {image} not running:\n{listed}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The update states seen, polling until one that ends the update (bounded wait).
fn update_states(name: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen: Vec<String> = Vec::new();
    loop {
        let state = docker(&[
            "service",
            "inspect",
            name,
            "--format",
            "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}",
        ])
        .unwrap_or_default();
        if !state.is_empty() && seen.last() != Some(&state) {
            seen.push(state.clone());
        }
        if UpdateState::parse(&state).is_some_and(|s| !s.in_progress()) {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: update did not end; states {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn update_config() -> UpdateConfig {
    UpdateConfig {
        parallelism: 1,
        failure_action: FailureAction::Rollback,
        monitor_seconds: 5.0,
        order: Order::StartFirst,
        ..UpdateConfig::default()
    }
}

fn predicted(task: TaskPlan) -> Vec<&'static str> {
    let plan = move |_| task;
    let t = run_update(&Scenario {
        replicas: 2,
        slots_on_new_spec: 0,
        update: update_config(),
        rollback: UpdateConfig::default(),
        old_task_stop_seconds: 1.0,
        update_task: &plan,
        rollback_task: &|_| TaskPlan::Runs {
            seconds_to_running: 1.0,
        },
    });
    t.states.iter().map(|(_, s, _)| s.as_str()).collect()
}

#[test]
fn an_unhealthy_release_is_rolled_back_and_the_healthy_tasks_survive() {
    if engine_missing().is_some() {
        return;
    }
    let name = format!("rollplay-test-unhealthy-{}", std::process::id());
    let _service = create(&name, "rollplay-demo/web:1.0.0");
    let before = running_tasks(&name, "rollplay-demo/web:1.0.0", 2);
    docker(&[
        "service",
        "update",
        "--quiet",
        "--detach",
        "--image",
        "rollplay-demo/web:1.2.0-unhealthy",
        &name,
    ])
    .expect("update accepted");
    let seen = update_states(&name);
    let expected = predicted(TaskPlan::FailsBeforeRunning { after: 4.0 });
    assert_eq!(
        expected,
        ["updating", "rollback_started", "rollback_completed"]
    );
    assert_eq!(
        seen.last().map(String::as_str),
        Some("rollback_completed"),
        "states {seen:?}"
    );
    assert!(
        seen.iter().all(|s| expected.contains(&s.as_str())),
        "states {seen:?}, predicted {expected:?}"
    );
    let image = docker(&[
        "service",
        "inspect",
        &name,
        "--format",
        "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
    ])
    .expect("inspect");
    assert_eq!(image, "rollplay-demo/web:1.0.0");
    let after = running_tasks(&name, "rollplay-demo/web:1.0.0", 2);
    assert_eq!(
        after, before,
        "the healthy tasks were replaced during the rollback"
    );
}

#[test]
fn a_good_release_completes_as_predicted() {
    if engine_missing().is_some() {
        return;
    }
    let name = format!("rollplay-test-good-{}", std::process::id());
    let _service = create(&name, "rollplay-demo/web:1.0.0");
    running_tasks(&name, "rollplay-demo/web:1.0.0", 2);
    docker(&[
        "service",
        "update",
        "--quiet",
        "--detach",
        "--image",
        "rollplay-demo/web:1.1.0",
        &name,
    ])
    .expect("update accepted");
    let seen = update_states(&name);
    let expected = predicted(TaskPlan::Runs {
        seconds_to_running: 2.0,
    });
    assert_eq!(expected, ["updating", "completed"]);
    assert_eq!(
        seen.last().map(String::as_str),
        Some("completed"),
        "states {seen:?}"
    );
    running_tasks(&name, "rollplay-demo/web:1.1.0", 2);
}

/// A stack removed when the test ends.
struct DeployedStack(String);

impl Drop for DeployedStack {
    fn drop(&mut self) {
        let _ = docker(&["stack", "rm", &self.0]);
    }
}

fn nanos(seconds: f64) -> u64 {
    (seconds * 1e9).round() as u64
}

#[test]
fn the_example_stack_deploys_as_rollplay_stack_reads_it() {
    if engine_missing().is_some() {
        return;
    }
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../swarm/stack.yml");
    let text = std::fs::read_to_string(file).expect("examples/swarm/stack.yml");
    let name = format!("rptest{}", std::process::id());
    let env = std::collections::BTreeMap::from([("TAG".to_string(), "1.1.0".to_string())]);
    let stack = rollplay_stack::compose::load_stack(&text, file, &name, &env).expect("valid stack");
    let out = Command::new("docker")
        .args(["stack", "deploy", "--compose-file", file, &name])
        .env("TAG", "1.1.0")
        .output()
        .expect("docker stack deploy runs");
    let _deployed = DeployedStack(name.clone());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for service in &stack.services {
        let spec: serde_json::Value = serde_json::from_str(
            &docker(&[
                "service",
                "inspect",
                &service.name,
                "--format",
                "{{json .Spec}}",
            ])
            .expect("the engine has the service rollplay-stack names"),
        )
        .expect("spec is JSON");
        let image = spec["TaskTemplate"]["ContainerSpec"]["Image"]
            .as_str()
            .unwrap_or("");
        assert_eq!(image, service.image);
        let replicas = spec["Mode"]["Replicated"]["Replicas"].as_u64();
        assert_eq!(
            replicas.map(|r| rollplay_stack::compose::Mode::Replicated(r as u32)),
            Some(service.mode)
        );
        assert_eq!(
            spec["Labels"][rollplay_stack::compose::STACK_NAMESPACE_LABEL],
            name.as_str()
        );
        assert_eq!(spec["EndpointSpec"]["Mode"], service.endpoint_mode.as_str());
        for (engine, ours) in [
            (&spec["UpdateConfig"], &service.update),
            (&spec["RollbackConfig"], &service.rollback),
        ] {
            assert_eq!(
                engine["Parallelism"].as_u64(),
                Some(u64::from(ours.parallelism)),
                "{engine}"
            );
            assert_eq!(
                engine["Delay"].as_u64().unwrap_or(0),
                nanos(ours.delay_seconds),
                "{engine}"
            );
            assert_eq!(
                engine["Monitor"].as_u64(),
                Some(nanos(ours.monitor_seconds)),
                "{engine}"
            );
            let action = format!("{:?}", ours.failure_action).to_lowercase();
            assert_eq!(engine["FailureAction"], action.as_str(), "{engine}");
            let order = match ours.order {
                Order::StartFirst => "start-first",
                Order::StopFirst => "stop-first",
            };
            assert_eq!(engine["Order"], order, "{engine}");
        }
        let check = service
            .healthcheck
            .as_ref()
            .expect("the example has a health check");
        let engine = &spec["TaskTemplate"]["ContainerSpec"]["Healthcheck"];
        assert_eq!(
            engine["Interval"].as_u64(),
            Some(nanos(check.interval_seconds))
        );
        assert_eq!(engine["Retries"].as_u64(), Some(u64::from(check.retries)));
    }
}
