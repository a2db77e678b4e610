//! A service's update and rollback configuration (SW-1), the update states (SW-8) and the
//! rules that move between them (SW-3..9, SW-12).

mod health;
mod rules;
mod timeline;

pub use health::{HealthCheck, HealthOutcome, UNHEALTHY_TASK_ERROR, probe};
pub use rules::{
    ChangePlan, SpecChange, SpecHistory, action_message, cli_progress, failure_counted,
    failure_triggers_action, manual_rollback, monitor_after_last_slot, plan_change,
};
pub use timeline::{Scenario, SlotRecord, TaskPlan, Timeline, run_update};

/// What an update does when the failure ratio is exceeded (SW-1, SW-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailureAction {
    #[default]
    Pause,
    Continue,
    Rollback,
}

impl FailureAction {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pause" => Some(Self::Pause),
            "continue" => Some(Self::Continue),
            "rollback" => Some(Self::Rollback),
            _ => None,
        }
    }
}

/// Whether a slot's new task starts before its old one stops (SW-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    StopFirst,
    StartFirst,
}

impl Order {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "stop-first" => Some(Self::StopFirst),
            "start-first" => Some(Self::StartFirst),
            _ => None,
        }
    }
}

/// `UpdateConfig` or `RollbackConfig` of a service; both have the same fields and defaults
/// (SW-1). Durations are seconds (the API's nanoseconds converted at the edge).
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateConfig {
    /// Slots updated at once; 0 means every dirty slot at once.
    pub parallelism: u32,
    pub delay_seconds: f64,
    pub failure_action: FailureAction,
    pub monitor_seconds: f64,
    pub max_failure_ratio: f32,
    pub order: Order,
}

impl Default for UpdateConfig {
    fn default() -> Self {
        Self {
            parallelism: 1,
            delay_seconds: 0.0,
            failure_action: FailureAction::Pause,
            monitor_seconds: 5.0,
            max_failure_ratio: 0.0,
            order: Order::StopFirst,
        }
    }
}

/// `UpdateStatus.State` in the Docker API's spelling (SW-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateState {
    Updating,
    Paused,
    Completed,
    RollbackStarted,
    RollbackPaused,
    RollbackCompleted,
}

impl UpdateState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Updating => "updating",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::RollbackStarted => "rollback_started",
            Self::RollbackPaused => "rollback_paused",
            Self::RollbackCompleted => "rollback_completed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Updating,
            Self::Paused,
            Self::Completed,
            Self::RollbackStarted,
            Self::RollbackPaused,
            Self::RollbackCompleted,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// True while the orchestrator is still replacing tasks.
    pub fn in_progress(self) -> bool {
        matches!(self, Self::Updating | Self::RollbackStarted)
    }
}

/// A task's lifecycle state, in order: a state "past RUNNING" is any after `Running` (SW-4, SW-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TaskState {
    New,
    Pending,
    Assigned,
    Accepted,
    Preparing,
    Ready,
    Starting,
    Running,
    Complete,
    Shutdown,
    Failed,
    Rejected,
    Remove,
    Orphaned,
}

impl TaskState {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "new" => Self::New,
            "pending" => Self::Pending,
            "assigned" => Self::Assigned,
            "accepted" => Self::Accepted,
            "preparing" => Self::Preparing,
            "ready" => Self::Ready,
            "starting" => Self::Starting,
            "running" => Self::Running,
            "complete" => Self::Complete,
            "shutdown" => Self::Shutdown,
            "failed" => Self::Failed,
            "rejected" => Self::Rejected,
            "remove" => Self::Remove,
            "orphaned" => Self::Orphaned,
            _ => return None,
        })
    }

    /// A state the task does not leave: COMPLETE (even exit 0), FAILED, REJECTED, SHUTDOWN...
    pub fn is_past_running(self) -> bool {
        self > Self::Running
    }
}
