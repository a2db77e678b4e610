//! A service and its tasks as the portable status, pods and events: the verdict on an update
//! from its `UpdateStatus` (SW-8) and task states (SW-10: a task with a health check is
//! RUNNING only once healthy), with the docker CLI's messages for paused and rolled-back
//! updates (SW-12). Unlike the CLI, a rolled-back update is a failure.

use crate::history;
use bollard::models::{
    Service, ServiceSpec, ServiceUpdateStatusStateEnum as UpdateState, Task, TaskSpec, TaskState,
};
use rollplay_core::backend::{EventInfo, PodSummary, RolloutState, WorkloadStatus};
use serde_json::json;

/// Unix seconds of the engine's RFC 3339 times (`2026-12-07T13:51:43.123456789Z`).
pub fn seconds(text: &str) -> Option<f64> {
    let whole = text.get(..19)?;
    let base = rollplay_core::timefmt::parse_rfc3339(&format!("{whole}Z"))? as f64;
    let rest = text.get(19..)?.trim_end_matches('Z');
    let fraction = match rest.strip_prefix('.') {
        Some(digits) => format!("0.{digits}").parse::<f64>().ok()?,
        None => 0.0,
    };
    Some(base + fraction)
}

/// `web:1.0@sha256:...` as `web:1.0`: the engine pins the digest it resolved.
pub fn without_digest(image: &str) -> &str {
    image.split('@').next().unwrap_or(image)
}

pub fn image_of(template: Option<&TaskSpec>) -> String {
    let image = template
        .and_then(|t| t.container_spec.as_ref())
        .and_then(|c| c.image.as_deref())
        .unwrap_or("");
    without_digest(image).to_string()
}

/// The task's slot in the service (`web.2`), or its node for a global service.
fn slot_name(service: &str, task: &Task) -> String {
    match task.slot {
        Some(slot) if slot > 0 => format!("{service}.{slot}"),
        _ => format!("{service}.{}", task.node_id.as_deref().unwrap_or("?")),
    }
}

fn desired_running(task: &Task) -> bool {
    task.desired_state == Some(TaskState::RUNNING)
}

fn running(task: &Task) -> bool {
    task.status.as_ref().and_then(|s| s.state) == Some(TaskState::RUNNING)
}

fn current_template(spec: &ServiceSpec, task: &Task) -> bool {
    match (spec.task_template.as_ref(), task.spec.as_ref()) {
        (Some(template), Some(ran)) => history::same_template(template, ran),
        _ => false,
    }
}

/// The service's name inside its stack (`demo_web` in stack `demo` is `web`).
pub fn key_of(full_name: &str, stack: &str) -> String {
    full_name
        .strip_prefix(&format!("{stack}_"))
        .unwrap_or(full_name)
        .to_string()
}

/// The status of `service` (in stack `stack`) with its tasks.
pub fn workload_status(service: &Service, tasks: &[Task], stack: &str) -> WorkloadStatus {
    let spec = service.spec.clone().unwrap_or_default();
    let full_name = spec.name.clone().unwrap_or_default();
    let name = key_of(&full_name, stack);
    let live: Vec<&Task> = tasks.iter().filter(|t| desired_running(t)).collect();
    let global = spec.mode.as_ref().is_some_and(|m| m.global.is_some());
    let replicas = if global {
        let mut nodes: Vec<&str> = live.iter().filter_map(|t| t.node_id.as_deref()).collect();
        nodes.sort_unstable();
        nodes.dedup();
        nodes.len() as i32
    } else {
        spec.mode
            .as_ref()
            .and_then(|m| m.replicated.as_ref())
            .and_then(|r| r.replicas)
            .unwrap_or(1) as i32
    };
    let updated: Vec<&&Task> = live.iter().filter(|t| current_template(&spec, t)).collect();
    let updated_ready = updated.iter().filter(|t| running(t)).count() as i32;
    let ready = live.iter().filter(|t| running(t)).count() as i32;
    let current = live.len() as i32;
    // Tasks beyond the replicas asked for: old ones, or a slot's second task during a
    // start-first rollback; either way not settled.
    let extra = current - replicas;
    let update = service.update_status.as_ref();
    let state = update.and_then(|u| u.state);
    let message = update.and_then(|u| u.message.clone()).unwrap_or_default();
    let quoted = format!("service \"{name}\"");
    let waiting = |why: String| format!("Waiting for {quoted} rollout to finish: {why}...");
    let (verdict, line, error) = match state {
        Some(UpdateState::PAUSED) => (
            RolloutState::Failed,
            String::new(),
            Some(format!("service update paused: {message}")),
        ),
        Some(UpdateState::ROLLBACK_PAUSED) => (
            RolloutState::Failed,
            String::new(),
            Some(format!("service rollback paused: {message}")),
        ),
        Some(UpdateState::ROLLBACK_STARTED) if !message.contains("manually requested") => (
            RolloutState::Failed,
            String::new(),
            Some(format!(
                "service update failed and is being rolled back: {message}"
            )),
        ),
        Some(UpdateState::ROLLBACK_COMPLETED) => (
            RolloutState::Failed,
            String::new(),
            Some(format!("service rolled back: {message}")),
        ),
        _ => {
            let settled = !matches!(
                state,
                Some(UpdateState::UPDATING | UpdateState::ROLLBACK_STARTED)
            );
            if (updated.len() as i32) < replicas {
                let why = format!(
                    "{} out of {replicas} new replicas have been updated",
                    updated.len()
                );
                (RolloutState::Progressing, waiting(why), None)
            } else if extra > 0 {
                (
                    RolloutState::Progressing,
                    waiting(format!("{extra} old replicas are pending termination")),
                    None,
                )
            } else if updated_ready < replicas {
                let why = format!("{updated_ready} of {replicas} updated replicas are available");
                (RolloutState::Progressing, waiting(why), None)
            } else if !settled {
                let why =
                    "every replica is updated; the update's monitor period is running".to_string();
                (RolloutState::Progressing, waiting(why), None)
            } else {
                (
                    RolloutState::Complete,
                    format!("{quoted} successfully rolled out"),
                    None,
                )
            }
        }
    };
    let container = name.clone();
    let version = service.version.as_ref().and_then(|v| v.index).unwrap_or(0) as i64;
    let update_detail = update.map(|u| {
        json!({
            "state": u.state.map(|s| s.to_string()),
            "message": u.message,
            "started_at": u.started_at,
            "completed_at": u.completed_at,
        })
    });
    WorkloadStatus {
        kind: "Service".into(),
        name,
        namespace: stack.into(),
        state: verdict,
        replicas,
        current,
        updated: updated.len() as i32,
        ready,
        available: ready,
        unavailable: (replicas - ready).max(0),
        revision: history::revision_of(&spec),
        images: vec![(container, image_of(spec.task_template.as_ref()))],
        paused: false,
        strategy: if global { "global" } else { "replicated" }.into(),
        generation: version,
        observed_generation: version,
        conditions: Vec::new(),
        message: line,
        error,
        detail: json!({"service": full_name, "update_status": update_detail}),
    }
}

/// The tasks that run or are meant to run, as pods.
pub fn pods(service: &Service, tasks: &[Task]) -> Vec<PodSummary> {
    let spec = service.spec.clone().unwrap_or_default();
    let full_name = spec.name.clone().unwrap_or_default();
    let recorded = history::entries(&spec);
    let mut pods: Vec<PodSummary> = tasks
        .iter()
        .filter(|t| desired_running(t) || !terminal(t))
        .map(|t| {
            let revision = t.spec.as_ref().and_then(|ran| {
                recorded
                    .iter()
                    .find(|e| history::same_template(&e.template, ran))
                    .map(|e| e.revision)
            });
            let id = t.id.as_deref().unwrap_or("");
            PodSummary {
                name: format!("{}.{}", slot_name(&full_name, t), &id[..id.len().min(12)]),
                replica_set: revision
                    .map(|r| format!("revision {r}"))
                    .unwrap_or_default(),
                revision,
                status: t
                    .status
                    .as_ref()
                    .and_then(|s| s.state)
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                ready: desired_running(t) && running(t),
                restarts: 0,
                ip: String::new(),
                images: vec![image_of(t.spec.as_ref())],
                created: t.created_at.as_deref().and_then(seconds).unwrap_or(0.0),
                terminating: !desired_running(t),
                node: t.node_id.clone().unwrap_or_default(),
            }
        })
        .collect();
    pods.sort_by(|a, b| a.name.cmp(&b.name));
    pods
}

fn terminal(task: &Task) -> bool {
    matches!(
        task.status.as_ref().and_then(|s| s.state),
        Some(
            TaskState::COMPLETE
                | TaskState::SHUTDOWN
                | TaskState::FAILED
                | TaskState::REJECTED
                | TaskState::REMOVE
                | TaskState::ORPHANED
        )
    )
}

/// Each task's last state change, and the update's, oldest first.
pub fn events(service: &Service, tasks: &[Task]) -> Vec<EventInfo> {
    let full_name = service
        .spec
        .as_ref()
        .and_then(|s| s.name.clone())
        .unwrap_or_default();
    let mut out: Vec<EventInfo> = tasks
        .iter()
        .filter_map(|t| {
            let status = t.status.as_ref()?;
            let time = status.timestamp.clone().unwrap_or_default();
            let state = status.state.map(|s| s.to_string()).unwrap_or_default();
            let err = status.err.clone().unwrap_or_default();
            let mut message = status.message.clone().unwrap_or_default();
            if !err.is_empty() {
                message = format!("{message}: {err}");
            }
            Some(EventInfo {
                seconds: seconds(&time).unwrap_or(0.0),
                time,
                warning: !err.is_empty()
                    || matches!(status.state, Some(TaskState::FAILED | TaskState::REJECTED)),
                reason: state,
                object: format!("task/{}", slot_name(&full_name, t)),
                message,
                count: 1,
            })
        })
        .collect();
    if let Some(u) = &service.update_status {
        let time = u
            .completed_at
            .clone()
            .or_else(|| u.started_at.clone())
            .unwrap_or_default();
        let state = u.state.map(|s| s.to_string()).unwrap_or_default();
        out.push(EventInfo {
            seconds: seconds(&time).unwrap_or(0.0),
            time,
            warning: state.contains("paused") || state.starts_with("rollback"),
            reason: format!("Update{}", capitalised(&state)),
            object: format!("service/{full_name}"),
            message: u.message.clone().unwrap_or_default(),
            count: 1,
        });
    }
    out.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    out
}

fn capitalised(state: &str) -> String {
    state
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{
        ServiceSpecMode, ServiceSpecModeReplicated, ServiceUpdateStatus, TaskSpecContainerSpec,
        TaskStatus,
    };

    fn template(image: &str) -> TaskSpec {
        TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some(image.into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn service(image: &str, update: Option<(UpdateState, &str)>) -> Service {
        Service {
            spec: Some(ServiceSpec {
                name: Some("demo_web".into()),
                task_template: Some(template(image)),
                mode: Some(ServiceSpecMode {
                    replicated: Some(ServiceSpecModeReplicated { replicas: Some(2) }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            update_status: update.map(|(state, message)| ServiceUpdateStatus {
                state: Some(state),
                message: Some(message.into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn task(slot: i64, image: &str, state: TaskState) -> Task {
        Task {
            slot: Some(slot),
            spec: Some(template(image)),
            desired_state: Some(TaskState::RUNNING),
            status: Some(TaskStatus {
                state: Some(state),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn an_update_is_done_when_completed_with_every_task_new_and_running() {
        let tasks = [
            task(1, "web:2", TaskState::RUNNING),
            task(2, "web:2", TaskState::RUNNING),
        ];
        let st = workload_status(
            &service("web:2", Some((UpdateState::COMPLETED, "update completed"))),
            &tasks,
            "demo",
        );
        assert_eq!(st.state, RolloutState::Complete, "{}", st.line());
        assert_eq!(st.name, "web");
        assert_eq!(st.line(), "service \"web\" successfully rolled out");
        // SW-7: still inside the monitor period.
        let st = workload_status(
            &service("web:2", Some((UpdateState::UPDATING, "updating"))),
            &tasks,
            "demo",
        );
        assert_eq!(st.state, RolloutState::Progressing);
    }

    #[test]
    fn a_task_still_starting_or_on_the_old_spec_keeps_the_rollout_going() {
        let tasks = [
            task(1, "web:2", TaskState::RUNNING),
            task(2, "web:1", TaskState::RUNNING),
        ];
        let st = workload_status(&service("web:2", None), &tasks, "demo");
        assert_eq!((st.state, st.updated), (RolloutState::Progressing, 1));
        let tasks = [
            task(1, "web:2", TaskState::RUNNING),
            task(2, "web:2", TaskState::STARTING),
        ];
        let st = workload_status(&service("web:2", None), &tasks, "demo");
        assert!(
            st.line().contains("1 of 2 updated replicas are available"),
            "{}",
            st.line()
        );
    }

    #[test]
    fn a_slot_with_two_current_tasks_is_not_settled() {
        let tasks = [
            task(1, "web:1", TaskState::RUNNING),
            task(2, "web:1", TaskState::RUNNING),
            task(2, "web:1", TaskState::RUNNING),
        ];
        let st = workload_status(&service("web:1", None), &tasks, "demo");
        assert_eq!(st.state, RolloutState::Progressing, "{}", st.line());
        assert!(
            st.line().contains("1 old replicas are pending termination"),
            "{}",
            st.line()
        );
    }

    #[test]
    fn paused_and_rolled_back_updates_fail_with_the_cli_messages() {
        let tasks = [task(1, "web:1", TaskState::RUNNING)];
        for (state, expected) in [
            (
                UpdateState::PAUSED,
                "service update paused: update paused due to failure",
            ),
            (
                UpdateState::ROLLBACK_COMPLETED,
                "service rolled back: update paused due to failure",
            ),
        ] {
            let st = workload_status(
                &service("web:1", Some((state, "update paused due to failure"))),
                &tasks,
                "demo",
            );
            assert_eq!(st.state, RolloutState::Failed);
            assert_eq!(st.error.as_deref(), Some(expected));
        }
    }

    #[test]
    fn engine_times_keep_their_fraction() {
        let t = seconds("2026-01-01T00:00:01.250000000Z").unwrap();
        assert!((t - 1_767_225_601.25).abs() < 1e-6, "{t}");
        assert_eq!(without_digest("web:1@sha256:abc"), "web:1");
    }
}
