//! Docker Swarm update cases (SW-*): the failure ratio, which failures count, whole update
//! and rollback scenarios, manual and automatic rollback, and the CLI's progress lines, run
//! through `rollplay-stack`, which the Swarm flavour and the swarm target decide with.

use super::Outcome;
use rollplay_stack::update::{
    HealthCheck, HealthOutcome, Scenario, SpecChange, TaskPlan, Timeline, action_message,
    plan_change, probe, run_update,
};
use rollplay_stack::{
    FailureAction, Order, SpecHistory, TaskState, UpdateConfig, UpdateState, cli_progress,
    failure_counted, failure_triggers_action, manual_rollback,
};
use serde_json::{Value, json};

/// What swarmkit answers a rollback without a previous spec with (SW-9).
const NO_PREVIOUS_SPEC_CODE: &str = "FailedPrecondition";

pub fn failure_ratio(input: &Value) -> Outcome {
    let fires = failure_triggers_action(
        input["failures"].as_u64().unwrap_or(0) as u32,
        input["dirtySlots"].as_u64().unwrap_or(0) as u32,
        input["maxFailureRatio"].as_f64().unwrap_or(0.0) as f32,
    );
    Outcome::Actual(json!({ "actionFires": fires }))
}

pub fn failure_counting(input: &Value) -> Outcome {
    let monitor = input["monitorSeconds"].as_f64().unwrap_or(5.0);
    if let Some(check) = input.get("healthcheck") {
        let check = HealthCheck {
            interval_seconds: check["intervalSeconds"].as_f64().unwrap_or(30.0),
            retries: check["retries"].as_u64().unwrap_or(3) as u32,
            start_period_seconds: check["startPeriodSeconds"].as_f64().unwrap_or(0.0),
            ..HealthCheck::default()
        };
        let results: Vec<bool> = input["probeResults"]
            .as_array()
            .map(|r| r.iter().map(|p| p == "pass").collect())
            .unwrap_or_default();
        // SW-10: a task with a health check stays STARTING until healthy, so an unhealthy
        // verdict fails it before it ever ran.
        return Outcome::Actual(match probe(&check, &results) {
            HealthOutcome::Unhealthy { error, .. } => json!({
                "counted": failure_counted(true, TaskState::Failed, None, monitor),
                "taskError": error,
            }),
            HealthOutcome::Healthy { .. } | HealthOutcome::Starting => json!({ "counted": false }),
        });
    }
    let Some(state) = input["finalState"].as_str().and_then(TaskState::parse) else {
        return Outcome::Unsupported("finalState is not a task state".into());
    };
    let after_running = input["reachedRunning"]
        .as_bool()
        .unwrap_or(false)
        .then(|| input["failedSecondsAfterRunning"].as_f64().unwrap_or(0.0));
    Outcome::Actual(json!({
        "counted": failure_counted(
            input["taskCreatedByUpdate"].as_bool().unwrap_or(true),
            state,
            after_running,
            monitor,
        )
    }))
}

fn config(v: &Value) -> UpdateConfig {
    let d = UpdateConfig::default();
    UpdateConfig {
        parallelism: v["parallelism"]
            .as_u64()
            .map_or(d.parallelism, |p| p as u32),
        delay_seconds: v["delaySeconds"].as_f64().unwrap_or(d.delay_seconds),
        failure_action: v["failureAction"]
            .as_str()
            .and_then(FailureAction::parse)
            .unwrap_or(d.failure_action),
        monitor_seconds: v["monitorSeconds"].as_f64().unwrap_or(d.monitor_seconds),
        max_failure_ratio: v["maxFailureRatio"]
            .as_f64()
            .map_or(d.max_failure_ratio, |r| r as f32),
        order: v["order"]
            .as_str()
            .and_then(Order::parse)
            .unwrap_or(d.order),
    }
}

/// Task outcomes as the cases name them: "ok", "fail", "all fail", "fail sometimes"
/// (every other task), "fails before running".
fn outcomes(spec: &Value, to_running: f64) -> impl Fn(usize) -> TaskPlan + use<> {
    let fails: Vec<bool> = match spec {
        Value::Array(list) => list.iter().map(|o| o != "ok").collect(),
        Value::String(s) if s == "fail sometimes" => vec![true, false],
        Value::String(s) if s.contains("fail") => vec![true],
        _ => vec![false],
    };
    let cycle = matches!(spec, Value::String(_));
    move |n| {
        let fails = if cycle {
            fails[n % fails.len()]
        } else {
            fails.get(n).copied().unwrap_or(false)
        };
        if fails {
            TaskPlan::FailsBeforeRunning { after: to_running }
        } else {
            TaskPlan::Runs {
                seconds_to_running: to_running,
            }
        }
    }
}

pub fn update_scenario(input: &Value) -> Outcome {
    if let Some(change) = input["change"].as_str() {
        return replicas_change(change);
    }
    let to_running = input["newTaskSecondsToRunning"].as_f64().unwrap_or(1.0);
    // A case about the rollback ("rollbackTasks") stages an update that fails.
    let update_spec = ["newTasks", "newTaskOutcomes", "newTask"]
        .iter()
        .map(|k| input[*k].clone())
        .find(|v| !v.is_null())
        .unwrap_or_else(|| {
            if input.get("rollbackTasks").is_some() {
                json!("all fail")
            } else {
                json!("ok")
            }
        });
    let update_task = outcomes(&update_spec, to_running);
    let rollback_task = outcomes(&input["rollbackTasks"], to_running);
    let replicas = input["replicas"].as_u64().unwrap_or(1) as u32;
    let update = config(&input["update"]);
    let scenario = Scenario {
        replicas,
        slots_on_new_spec: 0,
        update: update.clone(),
        rollback: config(&input["rollback"]),
        old_task_stop_seconds: input["oldTaskStopSeconds"].as_f64().unwrap_or(0.0),
        update_task: &update_task,
        rollback_task: &rollback_task,
    };
    let t = run_update(&scenario);
    let mut out = summary(&t);
    let state = t.final_state();
    // SW-8: a paused update is left alone until a new service update.
    let rerun = if state.is_some_and(|s| !s.in_progress() && s != UpdateState::Completed) {
        json!({ "updatedTasks": t.slots_new, "oldTasks": t.slots_old })
    } else {
        let again = run_update(&Scenario {
            slots_on_new_spec: t.slots_new,
            ..scenario_clone(&scenario)
        });
        json!({ "updatedTasks": again.slots_new, "oldTasks": again.slots_old })
    };
    out["thenRerunUpdaterWithoutSpecChange"] = rerun;
    let continued = run_update(&Scenario {
        slots_on_new_spec: t.slots_new,
        update: UpdateConfig {
            failure_action: FailureAction::Continue,
            ..update
        },
        ..scenario_clone(&scenario)
    });
    out["thenNewUpdateWithFailureActionContinue"] =
        json!({ "updatedTasks": continued.slots_new, "oldTasks": continued.slots_old });
    Outcome::Actual(out)
}

fn scenario_clone<'a>(s: &Scenario<'a>) -> Scenario<'a> {
    Scenario {
        replicas: s.replicas,
        slots_on_new_spec: s.slots_on_new_spec,
        update: s.update.clone(),
        rollback: s.rollback.clone(),
        old_task_stop_seconds: s.old_task_stop_seconds,
        update_task: s.update_task,
        rollback_task: s.rollback_task,
    }
}

fn summary(t: &Timeline) -> Value {
    let state = t.final_state();
    let rolled_back = t
        .states
        .iter()
        .any(|(_, s, _)| *s == UpdateState::RollbackStarted);
    // SW-9: an automatic rollback restores PreviousSpec and forgets it.
    let mut history = SpecHistory {
        spec: "new",
        previous: Some("previous"),
    };
    if rolled_back {
        history.auto_rollback();
    }
    let message_of = |wanted: UpdateState| {
        t.states
            .iter()
            .find(|(_, s, _)| *s == wanted)
            .map(|(_, _, m)| m.clone())
    };
    let prefix = |m: Option<String>| {
        m.map(|m| {
            m.trim_end_matches(|c: char| c != ' ')
                .trim_end()
                .to_string()
        })
    };
    json!({
        "updatedTasks": t.slots_new,
        "oldTasks": t.slots_old,
        "updateState": state.map(UpdateState::as_str),
        "statesSeen": t.states.iter().map(|(_, s, _)| s.as_str()).collect::<Vec<_>>(),
        "messagePrefix": prefix(message_of(UpdateState::Paused)),
        "rollbackMessagePrefix": prefix(message_of(UpdateState::RollbackStarted)),
        "newTasksStartedBeforeAction": t.update_tasks_created,
        "finalImage": history.spec,
        "previousSpecAfterwards": history.previous,
        "slotStartTimes": t.slots.iter().map(|s| s.started_at).collect::<Vec<_>>(),
        "newTaskRunningTimes": t.slots.iter().filter_map(|s| s.running_at).collect::<Vec<_>>(),
        "workerDoneAt": t.worker_done_at,
        "completedAt": t.states.iter().find(|(_, s, _)| *s == UpdateState::Completed).map(|(at, _, _)| *at),
        "maxTasksSimultaneouslyRunning": t.max_tasks_alive,
        "oldTaskStillRunning": t.slots.iter().any(|s| !s.old_task_stopped) || t.slots_old > 0,
    })
}

fn replicas_change(change: &str) -> Outcome {
    let numbers: Vec<u32> = change
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let [before, after] = numbers[..] else {
        return Outcome::Unsupported(format!("change \"{change}\" is not \"replicas A -> B\""));
    };
    let plan = plan_change(SpecChange {
        replicas_before: before,
        replicas_after: after,
        ..SpecChange::default()
    });
    Outcome::Actual(json!({
        "rollingUpdate": plan.rolling_update,
        // SW-3: with nothing to pace, UpdateStatus is not touched.
        "updateStatusChanged": plan.rolling_update,
        "tasksCreatedImmediately": plan.tasks_created_now,
    }))
}

pub fn manual_rollback_case(input: &Value) -> Outcome {
    let mut history = SpecHistory {
        spec: input["spec"].clone(),
        previous: input["previousSpec"].as_str().map(|s| json!(s)),
    };
    Outcome::Actual(match manual_rollback(&mut history, "<id>") {
        Ok((state, message)) => json!({
            "spec": history.spec,
            "previousSpec": history.previous,
            "updateState": state.as_str(),
            "message": message,
        }),
        Err(error) => json!({ "error": error, "grpcCode": NO_PREVIOUS_SPEC_CODE }),
    })
}

pub fn auto_rollback(input: &Value) -> Outcome {
    if let Some(from_parallelism) = input["specB_rollbackParallelism"].as_u64() {
        // Each spec carries its own RollbackConfig; the restored one paces the rollback.
        let mut history = SpecHistory {
            spec: from_parallelism,
            previous: input["specA_rollbackParallelism"].as_u64(),
        };
        history.auto_rollback();
        return Outcome::Actual(json!({ "rollbackParallelismUsed": history.spec }));
    }
    let mut history = SpecHistory {
        spec: input["spec"].clone(),
        previous: input["previousSpec"].as_str().map(|s| json!(s)),
    };
    if !history.auto_rollback() {
        return Outcome::Unsupported("an automatic rollback needs a previous spec".into());
    }
    let state = UpdateState::RollbackStarted;
    Outcome::Actual(json!({
        "spec": history.spec,
        "previousSpec": history.previous,
        "updateState": state.as_str(),
        "message": action_message(state, "<id>"),
    }))
}

pub fn cli_progress_case(input: &Value) -> Outcome {
    let Some(state) = input["updateState"].as_str().and_then(UpdateState::parse) else {
        return Outcome::Unsupported("updateState is not an update state".into());
    };
    let message = input["message"].as_str().unwrap_or("");
    Outcome::Actual(match cli_progress(state, message) {
        Err(error) => json!({ "error": error }),
        Ok(Some(line)) => json!({ "output": line }),
        Ok(None) => json!({ "waiting": true }),
    })
}
