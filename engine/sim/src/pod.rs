//! Simulated pods and containers, and how they render as API objects.

use super::meta::{Meta, Owner};
use super::profile::ImageProfile;
use super::time::{SimTime, rfc3339};
use rollplay_core::kind::Kind;
use rollplay_k8s::PodTemplate;
use serde_json::{Value, json};
use std::sync::Arc;

/// Why a container stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Death {
    Crash,
    StartupProbe,
    LivenessProbe,
}

/// A step of a container's planned future.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The startup probe passed (or there is none).
    Started,
    Ready,
    /// A probe failed: a Warning `Unhealthy` event with this message.
    Unhealthy(String),
    Die(Death),
    /// Back-off is over: the container starts again.
    Restart,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Terminated {
    pub started: SimTime,
    pub finished: SimTime,
    pub exit_code: i32,
    pub reason: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Running {
        since: SimTime,
    },
    /// Back-off after an exit (`CrashLoopBackOff`).
    Waiting {
        reason: &'static str,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub profile: ImageProfile,
    pub restarts: u32,
    /// Consecutive exits without a long healthy run, for the back-off delay.
    pub backoff_level: u32,
    pub state: State,
    pub last_state: Option<Terminated>,
    pub started: bool,
    pub ready: bool,
    /// Future steps, in time order.
    pub plan: Vec<(SimTime, Step)>,
}

#[derive(Debug, Clone)]
pub struct Pod {
    pub meta: Meta,
    /// The owning ReplicaSet's name and uid.
    pub owner: String,
    pub owner_uid: super::ids::Uid,
    pub template: Arc<PodTemplate>,
    /// `spec` of the template, for rendering.
    pub spec: Arc<Value>,
    pub ip: String,
    pub containers: Vec<Container>,
    pub ready: bool,
    /// Last transition of the Ready condition.
    pub ready_since: SimTime,
    /// When a terminating pod is gone.
    pub gone_at: Option<SimTime>,
    pub timer_generation: u64,
    pub sequence: u64,
    /// The node it runs on.
    pub node: String,
}

impl Pod {
    pub fn restarts(&self) -> u32 {
        self.containers.iter().map(|c| c.restarts).sum()
    }

    /// Available: Ready for longer than minReadySeconds at `now` (K8S-RU-10), not terminating.
    pub fn available(&self, min_ready_seconds: i32, now: SimTime) -> bool {
        self.meta.deleting.is_none()
            && self.ready
            && (min_ready_seconds == 0
                || super::time::truncate(self.ready_since) + min_ready_seconds as SimTime * 1000
                    < now)
    }

    /// `kubectl get pods` STATUS column.
    pub fn status_word(&self) -> String {
        if self.meta.deleting.is_some() {
            return "Terminating".into();
        }
        for c in &self.containers {
            if let State::Waiting { reason, .. } = &c.state {
                return reason.to_string();
            }
        }
        "Running".into()
    }

    pub fn to_value(&self, now: SimTime) -> Value {
        let mut spec = (*self.spec).clone();
        spec["nodeName"] = Value::from(self.node.clone());
        let all_ready = self.ready;
        let conditions = json!([
            {"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": rfc3339(self.meta.created)},
            {"type": "Initialized", "status": "True", "lastTransitionTime": rfc3339(self.meta.created)},
            {"type": "Ready", "status": if all_ready {"True"} else {"False"}, "lastTransitionTime": rfc3339(self.ready_since)},
            {"type": "ContainersReady", "status": if all_ready {"True"} else {"False"}, "lastTransitionTime": rfc3339(self.ready_since)},
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": rfc3339(self.meta.created)},
        ]);
        let statuses: Vec<Value> = self.containers.iter().map(container_status).collect();
        let _ = now;
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": self.meta.to_value(Some(Owner { kind: Kind::ReplicaSet, name: &self.owner, uid: self.owner_uid })),
            "spec": spec,
            "status": {
                "phase": "Running",
                "conditions": conditions,
                "hostIP": "192.168.49.2",
                "podIP": self.ip,
                "podIPs": [{"ip": self.ip}],
                "startTime": rfc3339(self.meta.created),
                "containerStatuses": statuses,
                "qosClass": "Burstable",
            }
        })
    }
}

fn state_value(state: &State) -> Value {
    match state {
        State::Running { since } => json!({"running": {"startedAt": rfc3339(*since)}}),
        State::Waiting { reason, message } => {
            json!({"waiting": {"reason": reason, "message": message}})
        }
    }
}

fn terminated_value(t: &Terminated) -> Value {
    json!({"terminated": {
        "exitCode": t.exit_code,
        "reason": t.reason,
        "startedAt": rfc3339(t.started),
        "finishedAt": rfc3339(t.finished),
    }})
}

fn container_status(c: &Container) -> Value {
    json!({
        "name": c.name,
        "image": c.image,
        "imageID": format!("sim://{}", c.image),
        "ready": c.ready,
        "started": c.started,
        "restartCount": c.restarts,
        "state": state_value(&c.state),
        "lastState": c.last_state.as_ref().map(terminated_value).unwrap_or(json!({})),
    })
}
