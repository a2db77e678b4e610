//! The engine's event stream (`GET /events` for services and containers) as a change counter:
//! every service update, task container start, health change or exit bumps it and wakes the
//! waits. The stream is reopened when it breaks; while it is down, waits fall back to reading
//! again every `RESYNC`.

use bollard::Docker;
use bollard::query_parameters::EventsOptions;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How long a wait goes without an event before it reads the service again anyway.
pub const RESYNC: Duration = Duration::from_secs(2);

pub struct EngineEvents {
    count: AtomicU64,
    notify: Notify,
    /// Times the stream was reopened after it broke.
    pub reopened: AtomicU64,
}

impl EngineEvents {
    /// Follows `docker`'s events until `stop` fires.
    pub fn start(docker: Docker, stop: CancellationToken) -> Arc<EngineEvents> {
        let events = Arc::new(EngineEvents {
            count: AtomicU64::new(0),
            notify: Notify::new(),
            reopened: AtomicU64::new(0),
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
                            Some(Ok(_)) => follower.bump(),
                            Some(Err(_)) | None => break,
                        },
                    }
                }
                follower.reopened.fetch_add(1, Ordering::Relaxed);
                // Whatever happened while the stream was down is unknown: wake the waits.
                follower.bump();
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                }
            }
        });
        events
    }

    fn bump(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Events seen so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Returns once an event beyond `seen` arrives, or after `limit`.
    pub async fn after(&self, seen: u64, limit: Duration) {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.count() > seen {
            return;
        }
        let _ = tokio::time::timeout(limit, notified).await;
    }
}
