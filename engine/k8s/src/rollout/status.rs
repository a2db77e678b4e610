//! `kubectl rollout status` verdicts for Deployments (K8S-ROS-1), DaemonSets (K8S-ROS-2) and
//! StatefulSets (K8S-ROS-3), with kubectl's exact texts.

/// One evaluation: the message kubectl would print, whether it is done, or the error it ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutStatus {
    pub done: bool,
    /// The printed line (ending in `\n`); None when the evaluation is an error.
    pub message: Option<String>,
    /// The error kubectl ends with (printed as `error: <error>`, exit 1).
    pub error: Option<String>,
    /// Which branch was taken (`waiting_updated`, `success`, ...).
    pub kind: &'static str,
}

impl RolloutStatus {
    fn waiting(kind: &'static str, message: String) -> Self {
        RolloutStatus {
            done: false,
            message: Some(message),
            error: None,
            kind,
        }
    }
    fn done(kind: &'static str, message: String) -> Self {
        RolloutStatus {
            done: true,
            message: Some(message),
            error: None,
            kind,
        }
    }
    fn error(kind: &'static str, error: String, done: bool, message: Option<String>) -> Self {
        RolloutStatus {
            done,
            message,
            error: Some(error),
            kind,
        }
    }

    /// The message or error as one line, for progress output.
    pub fn line(&self) -> String {
        match (&self.error, &self.message) {
            (Some(e), _) => format!("error: {e}"),
            (None, Some(m)) => m.trim_end().to_string(),
            (None, None) => String::new(),
        }
    }
}

/// The Deployment fields `kubectl rollout status` reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeploymentObservation {
    pub name: String,
    pub generation: i64,
    pub observed_generation: i64,
    pub spec_replicas: i32,
    pub replicas: i32,
    pub updated: i32,
    pub available: i32,
    /// Reason of the Progressing condition, if any.
    pub progressing_reason: Option<String>,
    /// `deployment.kubernetes.io/revision` (None when absent, read as 0).
    pub revision: Option<i64>,
}

/// K8S-ROS-1: first match wins; `revision_flag` 0 = unset.
pub fn deployment(d: &DeploymentObservation, revision_flag: i64) -> RolloutStatus {
    let name = &d.name;
    if revision_flag > 0 {
        let running = d.revision.unwrap_or(0);
        if running != revision_flag {
            return RolloutStatus::error(
                "revision_mismatch",
                format!(
                    "desired revision ({revision_flag}) is different from the running revision ({running})"
                ),
                false,
                None,
            );
        }
    }
    if d.generation > d.observed_generation {
        return RolloutStatus::waiting(
            "spec_not_observed",
            "Waiting for deployment spec update to be observed...\n".into(),
        );
    }
    if d.progressing_reason.as_deref() == Some("ProgressDeadlineExceeded") {
        return RolloutStatus::error(
            "progress_deadline_exceeded",
            format!("deployment \"{name}\" exceeded its progress deadline"),
            false,
            None,
        );
    }
    if d.updated < d.spec_replicas {
        return RolloutStatus::waiting(
            "waiting_updated",
            format!(
                "Waiting for deployment \"{name}\" rollout to finish: {} out of {} new replicas have been updated...\n",
                d.updated, d.spec_replicas
            ),
        );
    }
    if d.replicas > d.updated {
        return RolloutStatus::waiting(
            "waiting_old_pending_termination",
            format!(
                "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...\n",
                d.replicas - d.updated
            ),
        );
    }
    if d.available < d.updated {
        return RolloutStatus::waiting(
            "waiting_available",
            format!(
                "Waiting for deployment \"{name}\" rollout to finish: {} of {} updated replicas are available...\n",
                d.available, d.updated
            ),
        );
    }
    RolloutStatus::done(
        "success",
        format!("deployment \"{name}\" successfully rolled out\n"),
    )
}

/// The DaemonSet fields `kubectl rollout status` reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DaemonSetObservation {
    pub name: String,
    pub rolling_update: bool,
    pub generation: i64,
    pub observed_generation: i64,
    pub updated_number_scheduled: i32,
    pub desired_number_scheduled: i32,
    pub number_available: i32,
}

const WRONG_STRATEGY: &str = "rollout status is only available for RollingUpdate strategy type";

/// K8S-ROS-2.
pub fn daemon_set(d: &DaemonSetObservation) -> RolloutStatus {
    let name = &d.name;
    if !d.rolling_update {
        return RolloutStatus::error(
            "wrong_strategy",
            WRONG_STRATEGY.into(),
            true,
            Some(String::new()),
        );
    }
    if d.generation > d.observed_generation {
        return RolloutStatus::waiting(
            "spec_not_observed",
            "Waiting for daemon set spec update to be observed...\n".into(),
        );
    }
    if d.updated_number_scheduled < d.desired_number_scheduled {
        return RolloutStatus::waiting(
            "waiting_updated",
            format!(
                "Waiting for daemon set \"{name}\" rollout to finish: {} out of {} new pods have been updated...\n",
                d.updated_number_scheduled, d.desired_number_scheduled
            ),
        );
    }
    if d.number_available < d.desired_number_scheduled {
        return RolloutStatus::waiting(
            "waiting_available",
            format!(
                "Waiting for daemon set \"{name}\" rollout to finish: {} of {} updated pods are available...\n",
                d.number_available, d.desired_number_scheduled
            ),
        );
    }
    RolloutStatus::done(
        "success",
        format!("daemon set \"{name}\" successfully rolled out\n"),
    )
}

/// The StatefulSet fields `kubectl rollout status` reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatefulSetObservation {
    pub name: String,
    pub rolling_update: bool,
    pub spec_replicas: i32,
    /// Whether `spec.updateStrategy.rollingUpdate` is set, and its partition.
    pub rolling_update_set: bool,
    pub partition: Option<i32>,
    pub generation: i64,
    pub observed_generation: i64,
    pub ready_replicas: i32,
    pub current_replicas: i32,
    pub updated_replicas: i32,
    pub current_revision: String,
    pub update_revision: String,
}

/// K8S-ROS-3.
pub fn stateful_set(s: &StatefulSetObservation) -> RolloutStatus {
    if !s.rolling_update {
        return RolloutStatus::error(
            "wrong_strategy",
            WRONG_STRATEGY.into(),
            true,
            Some(String::new()),
        );
    }
    if s.observed_generation == 0 || s.generation > s.observed_generation {
        return RolloutStatus::waiting(
            "spec_not_observed",
            "Waiting for statefulset spec update to be observed...\n".into(),
        );
    }
    if s.ready_replicas < s.spec_replicas {
        return RolloutStatus::waiting(
            "waiting_ready",
            format!(
                "Waiting for {} pods to be ready...\n",
                s.spec_replicas - s.ready_replicas
            ),
        );
    }
    if s.rolling_update_set {
        if let Some(partition) = s.partition
            && s.updated_replicas < s.spec_replicas - partition
        {
            return RolloutStatus::waiting(
                "waiting_partition",
                format!(
                    "Waiting for partitioned roll out to finish: {} out of {} new pods have been updated...\n",
                    s.updated_replicas,
                    s.spec_replicas - partition
                ),
            );
        }
        return RolloutStatus::done(
            "success_partitioned",
            format!(
                "partitioned roll out complete: {} new pods have been updated...\n",
                s.updated_replicas
            ),
        );
    }
    if s.update_revision != s.current_revision {
        return RolloutStatus::waiting(
            "waiting_revision",
            format!(
                "waiting for statefulset rolling update to complete {} pods at revision {}...\n",
                s.updated_replicas, s.update_revision
            ),
        );
    }
    RolloutStatus::done(
        "success",
        format!(
            "statefulset rolling update complete {} pods at revision {}...\n",
            s.current_replicas, s.current_revision
        ),
    )
}
