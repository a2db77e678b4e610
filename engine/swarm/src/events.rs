//! The engine's event stream (`GET /events` for services and containers) as change counts per
//! service, of the service itself and of its tasks: a service update (its `UpdateStatus`
//! moving among them), or a task container's start, health change or exit, wakes the waits on
//! that service and tells the backend which of its reads is out of date. Container events
//! that change no task's state (create, kill, stop, destroy) and health-probe executions
//! (`exec_*`, one per probe) are not changes. The stream is reopened when it breaks, and every wait woken, since what happened
//! meanwhile is unknown; while it is down, waits read again every `RESYNC`.

use bollard::Docker;
use bollard::models::EventMessage;
use bollard::query_parameters::EventsOptions;
use futures_util::StreamExt;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How long a wait goes without an event before it reads the service again anyway.
pub const RESYNC: Duration = Duration::from_secs(2);

/// How long a wake on a task change waits for the changes that come with it.
pub const COALESCE: Duration = Duration::from_millis(40);

/// The label the engine puts on a task's container, naming its service.
const SERVICE_LABEL: &str = "com.docker.swarm.service.name";

pub struct EngineEvents {
    /// Changes seen per service name: of the service, and of its tasks.
    counts: Mutex<HashMap<String, (u64, u64)>>,
    /// Times the stream was reopened after it broke (counted for every service).
    pub reopened: AtomicU64,
    notify: Notify,
}

/// What changed.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    Service(String),
    Tasks(String),
}

/// The service an event is about, when it changes the service or one of its tasks.
fn change_of(event: &EventMessage) -> Option<Change> {
    let action = event.action.as_deref().unwrap_or("");
    let attributes = event.actor.as_ref()?.attributes.as_ref()?;
    if let Some(service) = attributes.get(SERVICE_LABEL) {
        let task_state = action == "start"
            || action == "die"
            || action == "oom"
            || action.starts_with("health_status");
        return task_state.then(|| Change::Tasks(service.clone()));
    }
    attributes.get("name").map(|n| Change::Service(n.clone()))
}

impl EngineEvents {
    /// Follows `docker`'s events until `stop` fires.
    pub fn start(docker: Docker, stop: CancellationToken) -> Arc<EngineEvents> {
        let events = Arc::new(EngineEvents {
            counts: Mutex::new(HashMap::new()),
            reopened: AtomicU64::new(0),
            notify: Notify::new(),
        });
        let follower = events.clone();
        tokio::spawn(async move {
            let filters = HashMap::from([(
                "type".to_string(),
                vec!["service".to_string(), "container".to_string()],
            )]);
            loop {
                let options = EventsOptions {
                    filters: Some(filters.clone()),
                    ..Default::default()
                };
                let mut stream = docker.events(Some(options));
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        next = stream.next() => match next {
                            Some(Ok(event)) => {
                                if let Some(change) = change_of(&event) {
                                    {
                                        let mut counts = follower.counts.lock();
                                        match change {
                                            Change::Service(s) => counts.entry(s).or_default().0 += 1,
                                            Change::Tasks(s) => counts.entry(s).or_default().1 += 1,
                                        }
                                    }
                                    follower.notify.notify_waiters();
                                }
                            }
                            Some(Err(_)) | None => break,
                        },
                    }
                }
                follower.reopened.fetch_add(1, Ordering::SeqCst);
                follower.notify.notify_waiters();
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                }
            }
        });
        events
    }

    /// Changes seen so far to `service` and its tasks.
    pub fn count(&self, service: &str) -> u64 {
        let (own, tasks) = self.counts.lock().get(service).copied().unwrap_or((0, 0));
        own + tasks + self.reopened.load(Ordering::SeqCst)
    }

    /// Changes seen so far to `service` itself (its spec or update status).
    pub fn service_count(&self, service: &str) -> u64 {
        let own = self.counts.lock().get(service).map_or(0, |c| c.0);
        own + self.reopened.load(Ordering::SeqCst)
    }

    /// Changes seen so far to the tasks of `service`.
    pub fn task_count(&self, service: &str) -> u64 {
        let tasks = self.counts.lock().get(service).map_or(0, |c| c.1);
        tasks + self.reopened.load(Ordering::SeqCst)
    }

    /// Returns once one of `seen`'s services has a change beyond the count given, or after
    /// `limit`. A change of tasks only is given `COALESCE` for the changes that come with it
    /// (with start-first, a new task turning healthy and the old one stopping are milliseconds
    /// apart), so one read sees them all; a change of the service itself (its update
    /// completing) returns at once.
    pub async fn after(&self, seen: &[(String, u64)], limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        let services_at: Vec<u64> = seen.iter().map(|(s, _)| self.service_count(s)).collect();
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if seen.iter().any(|(service, at)| self.count(service) > *at) {
                let service_changed = seen
                    .iter()
                    .zip(&services_at)
                    .any(|((service, _), at)| self.service_count(service) > *at);
                if !service_changed {
                    let _ = tokio::time::timeout_at(deadline, tokio::time::sleep(COALESCE)).await;
                }
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::EventActor;

    fn event(action: &str, attributes: &[(&str, &str)]) -> EventMessage {
        EventMessage {
            action: Some(action.into()),
            actor: Some(EventActor {
                id: Some("x".into()),
                attributes: Some(
                    attributes
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn task_state_changes_and_service_updates_count_but_probes_and_cleanup_do_not() {
        let task = |action: &str| {
            event(
                action,
                &[(SERVICE_LABEL, "demo_web"), ("name", "demo_web.1.abc")],
            )
        };
        for action in ["start", "die", "health_status: healthy"] {
            assert_eq!(
                change_of(&task(action)),
                Some(Change::Tasks("demo_web".into())),
                "{action}"
            );
        }
        for action in [
            "create",
            "kill",
            "stop",
            "destroy",
            "exec_start: /web probe /ready",
        ] {
            assert_eq!(change_of(&task(action)), None, "{action}");
        }
        let update = event("update", &[("name", "demo_web")]);
        assert_eq!(change_of(&update), Some(Change::Service("demo_web".into())));
    }
}
