//! swarmkit's updater as a timeline: `Parallelism` workers take dirty slots one at a time,
//! replace each slot's task in the configured order, wait for the new task, sleep `Delay`,
//! and watch the update's own tasks for failures until `Monitor` after the last slot
//! (SW-4..9). The simulator's Swarm flavour and the conformance cases run updates through it.

use super::rules::{
    action_message, failure_counted, failure_triggers_action, monitor_after_last_slot,
};
use super::{FailureAction, Order, TaskState, UpdateConfig, UpdateState};
use std::cmp::Ordering;

/// How one task created by an update (or a rollback) behaves, in seconds after it is created.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TaskPlan {
    Runs {
        seconds_to_running: f64,
    },
    /// Rejected, or failed its health check, before it ever ran.
    FailsBeforeRunning {
        after: f64,
    },
    /// Reaches RUNNING, then exits (COMPLETE or FAILED) `after` seconds later.
    FailsAfterRunning {
        seconds_to_running: f64,
        after: f64,
    },
}

impl TaskPlan {
    /// When the worker stops waiting for the task: RUNNING, or the failure before it.
    fn settles_after(self) -> f64 {
        match self {
            Self::Runs { seconds_to_running }
            | Self::FailsAfterRunning {
                seconds_to_running, ..
            } => seconds_to_running,
            Self::FailsBeforeRunning { after } => after,
        }
    }

    fn reaches_running(self) -> Option<f64> {
        match self {
            Self::Runs { seconds_to_running }
            | Self::FailsAfterRunning {
                seconds_to_running, ..
            } => Some(seconds_to_running),
            Self::FailsBeforeRunning { .. } => None,
        }
    }

    /// (seconds after creation, seconds after RUNNING if it ran) of the failure, if any.
    fn failure(self) -> Option<(f64, Option<f64>)> {
        match self {
            Self::Runs { .. } => None,
            Self::FailsBeforeRunning { after } => Some((after, None)),
            Self::FailsAfterRunning {
                seconds_to_running,
                after,
            } => Some((seconds_to_running + after, Some(after))),
        }
    }
}

/// An update of a replicated service from one spec to another.
pub struct Scenario<'a> {
    pub replicas: u32,
    /// Slots already on the new spec when the update starts (a re-run after a pause).
    pub slots_on_new_spec: u32,
    pub update: UpdateConfig,
    /// The `RollbackConfig` of the spec a rollback restores (SW-9).
    pub rollback: UpdateConfig,
    pub old_task_stop_seconds: f64,
    /// The n-th task (from 0) the update creates.
    pub update_task: &'a dyn Fn(usize) -> TaskPlan,
    /// The n-th task a rollback creates.
    pub rollback_task: &'a dyn Fn(usize) -> TaskPlan,
}

/// One slot handed to a worker.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotRecord {
    pub slot: u32,
    pub started_at: f64,
    /// When the new task reached RUNNING, if it did.
    pub running_at: Option<f64>,
    /// False when start-first kept the old task because the new one never ran (SW-4).
    pub old_task_stopped: bool,
}

/// What the update did, in seconds from its start.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Each state the service's `UpdateStatus` took, with its time and message.
    pub states: Vec<(f64, UpdateState, String)>,
    /// The update's slots (not the rollback's), in the order they were handed out.
    pub slots: Vec<SlotRecord>,
    /// When the workers finished the update's last slot (its delay included).
    pub worker_done_at: Option<f64>,
    /// Tasks the update had created when its failure action fired (or in all).
    pub update_tasks_created: usize,
    /// The most tasks alive at once (created and not yet stopped or failed).
    pub max_tasks_alive: usize,
    /// Slots whose task runs the new spec at the end, and those on the old one.
    pub slots_new: u32,
    pub slots_old: u32,
}

impl Timeline {
    pub fn final_state(&self) -> Option<UpdateState> {
        self.states.last().map(|(_, s, _)| *s)
    }
}

struct Phase {
    ended_at: f64,
    /// The state the phase ended in, and the time its failure action fired (if it did).
    fired: Option<(f64, UpdateState, String)>,
    slots: Vec<SlotRecord>,
    worker_done_at: f64,
    tasks_created: usize,
}

/// Runs the update, and the rollback its failure action may start.
pub fn run_update(s: &Scenario) -> Timeline {
    let mut alive: Vec<(f64, i32)> = Vec::new();
    let dirty: Vec<u32> = (s.slots_on_new_spec + 1..=s.replicas).collect();
    let mut t = Timeline::default();
    if dirty.is_empty() {
        // SW-3: nothing to pace; no status is set.
        t.slots_new = s.replicas;
        return t;
    }
    t.states
        .push((0.0, UpdateState::Updating, "update in progress".into()));
    let update = run_phase(
        &s.update,
        &dirty,
        0.0,
        s.old_task_stop_seconds,
        s.update_task,
        false,
        &mut alive,
    );
    t.slots = update.slots.clone();
    t.worker_done_at = Some(update.worker_done_at);
    t.update_tasks_created = update.tasks_created;
    let touched: Vec<u32> = update.slots.iter().map(|r| r.slot).collect();
    match update.fired {
        None => {
            t.states.push((
                update.ended_at,
                UpdateState::Completed,
                "update completed".into(),
            ));
            t.slots_new = s.replicas;
        }
        Some((at, UpdateState::RollbackStarted, message)) => {
            t.states.push((at, UpdateState::RollbackStarted, message));
            let rollback = run_phase(
                &s.rollback,
                &touched,
                at,
                s.old_task_stop_seconds,
                s.rollback_task,
                true,
                &mut alive,
            );
            let restored = rollback.slots.len() as u32;
            match rollback.fired {
                Some((at, state, message)) => t.states.push((at, state, message)),
                None => t.states.push((
                    rollback.ended_at,
                    UpdateState::RollbackCompleted,
                    "rollback completed".into(),
                )),
            }
            t.slots_new = s.slots_on_new_spec + touched.len() as u32 - restored;
        }
        Some((at, state, message)) => {
            t.states.push((at, state, message));
            t.slots_new = s.slots_on_new_spec + touched.len() as u32;
        }
    }
    t.slots_old = s.replicas - t.slots_new;
    t.max_tasks_alive = max_overlap(s.replicas as usize, &alive);
    t
}

/// Tasks of the service alive at once: the untouched ones throughout, plus each interval.
fn max_overlap(replicas: usize, changes: &[(f64, i32)]) -> usize {
    // Each entry is (time, +1 created / -1 stopped); stops sort before starts at one instant.
    let mut points = changes.to_vec();
    points.sort_by(|a, b| {
        a.0.partial_cmp(&b.0)
            .unwrap_or(Ordering::Equal)
            .then(a.1.cmp(&b.1))
    });
    let mut alive = replicas as i64;
    let mut most = alive;
    for (_, delta) in points {
        alive += i64::from(delta);
        most = most.max(alive);
    }
    most.max(0) as usize
}

/// One run of the updater over `dirty` slots, from `start`. `rolling_back` selects the
/// rollback's action states (SW-6: rollbacks are never rolled back).
fn run_phase(
    config: &UpdateConfig,
    dirty: &[u32],
    start: f64,
    stop_seconds: f64,
    plan: &dyn Fn(usize) -> TaskPlan,
    rolling_back: bool,
    alive: &mut Vec<(f64, i32)>,
) -> Phase {
    let workers = match config.parallelism {
        0 => dirty.len(),
        n => (n as usize).min(dirty.len()),
    };
    let mut free_at = vec![start; workers];
    let mut slots = Vec::new();
    // (time, failure counted) of each failure the update watches.
    let mut failures: Vec<(f64, usize)> = Vec::new();
    let watched = config.failure_action != FailureAction::Continue;
    let mut next = 0;
    let mut fired: Option<(f64, UpdateState, String)> = None;
    let mut tasks_created = 0;
    while next < dirty.len() {
        let (worker, at) = free_at
            .iter()
            .copied()
            .enumerate()
            .min_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(Ordering::Equal))
            .unwrap_or((0, start));
        if let Some(fire_at) = first_firing(&failures, dirty.len(), config)
            && fire_at <= at
        {
            fired = Some(fire(
                config,
                rolling_back,
                fire_at,
                failures_task(&failures, fire_at),
            ));
            break;
        }
        let slot = dirty[next];
        let task = plan(next);
        next += 1;
        tasks_created += 1;
        let created = match config.order {
            Order::StopFirst => {
                alive.push((at + stop_seconds, -1));
                at + stop_seconds
            }
            Order::StartFirst => at,
        };
        alive.push((created, 1));
        let running_at = task.reaches_running().map(|r| created + r);
        if config.order == Order::StartFirst {
            // SW-4: the old task stops only once the new one is exactly RUNNING.
            if let Some(r) = running_at {
                alive.push((r + stop_seconds, -1));
            }
        }
        if let Some((after, after_running)) = task.failure() {
            alive.push((created + after, -1));
            let state = TaskState::Failed;
            if watched && failure_counted(true, state, after_running, config.monitor_seconds) {
                failures.push((created + after, tasks_created - 1));
            }
        }
        slots.push(SlotRecord {
            slot,
            started_at: at,
            running_at,
            old_task_stopped: config.order == Order::StopFirst || running_at.is_some(),
        });
        free_at[worker] = created + task.settles_after() + config.delay_seconds;
    }
    let worker_done_at = free_at.iter().copied().fold(start, f64::max);
    let watch_until =
        worker_done_at + monitor_after_last_slot(config.delay_seconds, config.monitor_seconds);
    if fired.is_none()
        && let Some(fire_at) = first_firing(&failures, dirty.len(), config)
        && fire_at <= watch_until
    {
        fired = Some(fire(
            config,
            rolling_back,
            fire_at,
            failures_task(&failures, fire_at),
        ));
    }
    let tasks_created = match &fired {
        Some((at, _, _)) => slots.iter().filter(|r| r.started_at <= *at).count(),
        None => tasks_created,
    };
    if let Some((at, _, _)) = &fired {
        slots.retain(|r| r.started_at <= *at);
    }
    Phase {
        ended_at: fired.as_ref().map(|f| f.0).unwrap_or(watch_until),
        fired,
        slots,
        worker_done_at,
        tasks_created,
    }
}

/// The time at which the counted failures first exceed the ratio (SW-6).
fn first_firing(failures: &[(f64, usize)], dirty: usize, config: &UpdateConfig) -> Option<f64> {
    let mut times: Vec<f64> = failures.iter().map(|f| f.0).collect();
    times.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
    times
        .iter()
        .enumerate()
        .find(|(i, _)| {
            failure_triggers_action(*i as u32 + 1, dirty as u32, config.max_failure_ratio)
        })
        .map(|(_, t)| *t)
}

fn failures_task(failures: &[(f64, usize)], at: f64) -> usize {
    failures
        .iter()
        .find(|f| f.0 == at)
        .map(|f| f.1)
        .unwrap_or(0)
}

/// The state and message the failure action gives (SW-6).
fn fire(
    config: &UpdateConfig,
    rolling_back: bool,
    at: f64,
    task: usize,
) -> (f64, UpdateState, String) {
    let task_id = format!("task-{}", task + 1);
    let state = match (rolling_back, config.failure_action) {
        (true, _) => UpdateState::RollbackPaused,
        (false, FailureAction::Rollback) => UpdateState::RollbackStarted,
        (false, _) => UpdateState::Paused,
    };
    let message = if rolling_back && config.failure_action == FailureAction::Pause {
        // SW-6: a paused rollback keeps the update's wording.
        action_message(UpdateState::Paused, &task_id)
    } else {
        action_message(state, &task_id)
    };
    (at, state, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(_: usize) -> TaskPlan {
        TaskPlan::Runs {
            seconds_to_running: 4.0,
        }
    }

    #[test]
    fn stop_first_paces_slots_by_running_time_plus_delay() {
        let config = UpdateConfig {
            delay_seconds: 10.0,
            ..UpdateConfig::default()
        };
        let t = run_update(&Scenario {
            replicas: 3,
            slots_on_new_spec: 0,
            update: config.clone(),
            rollback: config,
            old_task_stop_seconds: 0.0,
            update_task: &runs,
            rollback_task: &runs,
        });
        let starts: Vec<f64> = t.slots.iter().map(|s| s.started_at).collect();
        assert_eq!(starts, vec![0.0, 14.0, 28.0]);
        assert_eq!(t.worker_done_at, Some(42.0));
        assert_eq!(t.states.last().map(|s| s.0), Some(53.0));
        assert_eq!(t.max_tasks_alive, 3);
    }
}
