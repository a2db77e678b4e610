//! The decisions swarmkit's updater makes: which failures count (SW-5), when they fire the
//! failure action (SW-6), how long the updater watches after the last slot (SW-7), what a
//! rollback restores (SW-9) and how `docker service update` reports the end (SW-12).

use super::{TaskState, UpdateState};

/// SW-6: the failure action fires when `failures / dirty_slots` is strictly above the ratio.
/// swarmkit compares in `float32`, so 1 of 10 against 0.1 does not fire.
///
/// ```
/// use rollplay_stack::failure_triggers_action;
/// assert!(failure_triggers_action(1, 4, 0.0));   // ratio 0: the first failure fires
/// assert!(!failure_triggers_action(1, 10, 0.1)); // 0.1 is not above 0.1
/// assert!(!failure_triggers_action(4, 4, 1.0));  // ratio 1: never
/// ```
pub fn failure_triggers_action(failures: u32, dirty_slots: u32, max_failure_ratio: f32) -> bool {
    if failures == 0 || dirty_slots == 0 {
        return false;
    }
    failures as f32 / dirty_slots as f32 > max_failure_ratio
}

/// SW-5: a failure counts when the task was created by this update and reached a state past
/// RUNNING before it ever ran, or within `monitor_seconds` of reaching RUNNING. Tasks the
/// restart supervisor creates later are not the update's.
///
/// `seconds_after_running` is `None` when the task never reached RUNNING.
pub fn failure_counted(
    created_by_update: bool,
    final_state: TaskState,
    seconds_after_running: Option<f64>,
    monitor_seconds: f64,
) -> bool {
    if !created_by_update || !final_state.is_past_running() {
        return false;
    }
    match seconds_after_running {
        None => true,
        Some(after) => after < monitor_seconds,
    }
}

/// SW-7: after the last slot is handed out and its worker is done, the updater keeps watching
/// for `Monitor`, or for `Delay + 1 s` when the delay is at least the monitor window.
pub fn monitor_after_last_slot(delay_seconds: f64, monitor_seconds: f64) -> f64 {
    if delay_seconds >= monitor_seconds {
        delay_seconds + 1.0
    } else {
        monitor_seconds
    }
}

/// A service's spec and the one swarmkit keeps as `PreviousSpec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecHistory<S> {
    pub spec: S,
    pub previous: Option<S>,
}

impl<S: Clone> SpecHistory<S> {
    /// SW-3: a normal update keeps the spec it replaces as `PreviousSpec`.
    pub fn update(&mut self, next: S) {
        let old = std::mem::replace(&mut self.spec, next);
        self.previous = Some(old);
    }

    /// SW-9: an automatic rollback restores `PreviousSpec` and forgets it, so a later manual
    /// rollback fails. Returns false when there is nothing to restore.
    pub fn auto_rollback(&mut self) -> bool {
        match self.previous.take() {
            Some(previous) => {
                self.spec = previous;
                true
            }
            None => false,
        }
    }
}

/// SW-9: `docker service rollback` swaps spec and `PreviousSpec` (a second rollback re-applies
/// the newer spec) and starts a rollback with the message "manually requested rollback".
///
/// ```
/// use rollplay_stack::{SpecHistory, UpdateState, manual_rollback};
/// let mut h = SpecHistory { spec: "B", previous: Some("A") };
/// assert_eq!(manual_rollback(&mut h, "svc"), Ok((UpdateState::RollbackStarted, "manually requested rollback")));
/// assert_eq!(h, SpecHistory { spec: "A", previous: Some("B") });
/// let mut fresh = SpecHistory { spec: "A", previous: None };
/// assert_eq!(manual_rollback(&mut fresh, "svc"), Err("service svc does not have a previous spec".to_string()));
/// ```
pub fn manual_rollback<S>(
    history: &mut SpecHistory<S>,
    service_id: &str,
) -> Result<(UpdateState, &'static str), String> {
    match history.previous.as_mut() {
        Some(previous) => {
            std::mem::swap(&mut history.spec, previous);
            Ok((UpdateState::RollbackStarted, "manually requested rollback"))
        }
        None => Err(format!(
            "service {service_id} does not have a previous spec"
        )),
    }
}

/// SW-6: the status message when the failure action fires because of `task_id`.
pub fn action_message(state: UpdateState, task_id: &str) -> String {
    let what = match state {
        UpdateState::Paused => "update paused",
        UpdateState::RollbackStarted => "update rolled back",
        _ => "rollback paused",
    };
    format!("{what} due to failure or early termination of task {task_id}")
}

/// SW-12: what `docker service update` (not detached) ends with: `Err` for the states it
/// reports as an error, `Ok(Some(line))` for the line it prints, `Ok(None)` when it keeps
/// waiting. The CLI exits 0 on a rolled-back update; rollplay's wait does not (see the swarm
/// target), which is why this is kept apart from rollplay's own verdict.
pub fn cli_progress(state: UpdateState, message: &str) -> Result<Option<String>, String> {
    match state {
        UpdateState::Paused => Err(format!("service update paused: {message}")),
        UpdateState::RollbackPaused => Err(format!("service rollback paused: {message}")),
        UpdateState::RollbackCompleted => Ok(Some(format!("service rolled back: {message}"))),
        _ => Ok(None),
    }
}

/// What a service update changes (SW-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpecChange {
    /// The task template (image, env, resources...) or endpoint spec differs.
    pub task_spec_changed: bool,
    /// `--force` bumped `ForceUpdate`: every slot is dirty.
    pub force_update: bool,
    pub replicas_before: u32,
    pub replicas_after: u32,
}

/// What the orchestrator does with a [`SpecChange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangePlan {
    /// A paced rolling update starts (and `UpdateStatus` changes).
    pub rolling_update: bool,
    /// Tasks created at once with the current spec, outside the pacing (scale-up).
    pub tasks_created_now: u32,
    pub tasks_removed_now: u32,
}

/// SW-2: only a changed task spec (or `--force`) makes slots dirty; replicas, `UpdateConfig`
/// or `RollbackConfig` alone start no rolling update, and a scale-up creates its tasks at once.
pub fn plan_change(change: SpecChange) -> ChangePlan {
    ChangePlan {
        rolling_update: change.task_spec_changed || change.force_update,
        tasks_created_now: change.replicas_after.saturating_sub(change.replicas_before),
        tasks_removed_now: change.replicas_before.saturating_sub(change.replicas_after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_after_the_monitor_window_is_not_the_updates() {
        assert!(failure_counted(true, TaskState::Failed, Some(3.0), 5.0));
        assert!(!failure_counted(true, TaskState::Failed, Some(6.0), 5.0));
        assert!(failure_counted(true, TaskState::Complete, Some(1.0), 5.0));
        assert!(!failure_counted(false, TaskState::Failed, Some(1.0), 5.0));
        assert!(!failure_counted(true, TaskState::Running, None, 5.0));
    }

    #[test]
    fn an_automatic_rollback_forgets_the_previous_spec() {
        let mut h = SpecHistory {
            spec: "B",
            previous: Some("A"),
        };
        assert!(h.auto_rollback());
        assert_eq!(h.spec, "A");
        assert!(manual_rollback(&mut h, "web").is_err());
    }

    #[test]
    fn the_watch_after_the_last_slot_grows_with_a_long_delay() {
        assert_eq!(monitor_after_last_slot(10.0, 5.0), 11.0);
        assert_eq!(monitor_after_last_slot(0.0, 5.0), 5.0);
    }
}
