//! A watch as the API server streams it: one JSON event per line (ADDED, MODIFIED, DELETED,
//! BOOKMARK, ERROR), starting from a resource version or with the current objects, until
//! `timeoutSeconds`, the client leaving, the server stopping or an injected drop.

use super::query::{Filter, Params, flag};
use super::routes::Target;
use super::state::State;
use super::status::ApiError;
use super::watch::Change;
use axum::body::{Body, Bytes};
use rollplay_core::kind::Kind;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// The longest a watch stays open when the client names no timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);
/// How often a watch that allows bookmarks gets one.
const BOOKMARK_EVERY: Duration = Duration::from_secs(10);

fn line(type_: &str, object: &Value) -> Bytes {
    Bytes::from(format!("{{\"type\":\"{type_}\",\"object\":{object}}}\n"))
}

fn bookmark(kind: Kind, version: u64, initial_end: bool) -> Bytes {
    let mut metadata = json!({"resourceVersion": version.to_string()});
    if initial_end {
        metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    line(
        "BOOKMARK",
        &json!({"kind": kind.name(), "apiVersion": kind.api_version(), "metadata": metadata}),
    )
}

/// Starts a watch; the body streams its events.
pub fn watch(
    state: Arc<State>,
    target: &Target,
    params: &Params,
    accept: &str,
) -> Result<Body, ApiError> {
    let as_table = super::table::wanted(accept);
    let mut filter_params = params.clone();
    if let Some(name) = &target.name {
        let by_name = format!("metadata.name={name}");
        let fields = match params.get("fieldSelector") {
            Some(f) if !f.is_empty() => format!("{f},{by_name}"),
            _ => by_name,
        };
        filter_params.insert("fieldSelector".into(), fields);
    }
    let filter =
        Filter::new(target.namespace.as_deref(), &filter_params).map_err(ApiError::bad_request)?;
    let kind = target.kind;
    let bookmarks = flag(params, "allowWatchBookmarks");
    let initial_events = flag(params, "sendInitialEvents");
    let timeout = params
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TIMEOUT);
    let requested = params.get("resourceVersion").cloned().unwrap_or_default();

    let shape = Shape {
        kind: target.kind,
        as_table,
        params: params.clone(),
        columns_sent: std::sync::atomic::AtomicBool::new(false),
    };
    let (first, receiver, from) = {
        let mut world = state.world();
        let world = &mut *world;
        world.hub.follow(&world.sim, kind);
        let receiver = world.hub.subscribe();
        let current = world.sim.resource_version();
        let mut first: Vec<Bytes> = Vec::new();
        if requested.is_empty() || requested == "0" || initial_events {
            for o in world
                .sim
                .list(kind, target.namespace.as_deref().unwrap_or(""))
            {
                if filter.matches(&o) {
                    first.push(shape.event("ADDED", &o, world.sim.now()));
                }
            }
            if initial_events {
                first.push(bookmark(kind, current, true));
            }
        } else {
            let version: u64 = requested.parse().map_err(|_| {
                ApiError::bad_request(format!(
                    "resourceVersion \"{requested}\" is not a resource version"
                ))
            })?;
            let expired = version < current && state.faults.expire();
            match world.hub.since(kind, version).filter(|_| !expired) {
                Some(changes) => first.extend(
                    changes
                        .iter()
                        .filter(|c| filter.matches_rendered(&c.object))
                        .map(|c| shape.rendered(c.type_, &c.object, world.sim.now())),
                ),
                None => first.push(line(
                    "ERROR",
                    &ApiError::gone(format!("too old resource version: {version} ({current})"))
                        .to_value(),
                )),
            }
        }
        (first, receiver, current)
    };

    let (sender, mut out) = mpsc::channel::<Bytes>(256);
    let drop_after = state.faults.options.drop_watches_after;
    let task_state = state.clone();
    tokio::spawn(async move {
        let until = timeout.min(drop_after.unwrap_or(timeout));
        let injected_drop = drop_after.is_some_and(|d| d < timeout);
        let watch = Watch {
            kind,
            filter,
            shape,
            from,
            until,
            injected_drop,
            bookmarks,
            lag: task_state.faults.options.watch_lag,
        };
        watch.stream(task_state, first, receiver, sender).await;
    });
    let body = futures_util::stream::poll_fn(move |cx| {
        out.poll_recv(cx)
            .map(|next| next.map(Ok::<Bytes, Infallible>))
    });
    Ok(Body::from_stream(body))
}

/// How events are written: the object, or a one-row Table of it when kubectl asked for
/// server-side printing (the columns only with the first).
struct Shape {
    kind: Kind,
    as_table: bool,
    params: Params,
    columns_sent: std::sync::atomic::AtomicBool,
}

impl Shape {
    /// An event from a kept change: its text as it is, or a Table row of it.
    fn rendered(
        &self,
        type_: &str,
        object: &super::watch::Rendered,
        now: crate::time::SimTime,
    ) -> Bytes {
        if self.as_table {
            return self.event(type_, &object.value(), now);
        }
        Bytes::from(format!(
            "{{\"type\":\"{type_}\",\"object\":{}}}\n",
            object.text
        ))
    }

    fn event(&self, type_: &str, object: &Value, now: crate::time::SimTime) -> Bytes {
        if !self.as_table {
            return line(type_, object);
        }
        let metadata = json!({"resourceVersion": object["metadata"]["resourceVersion"]});
        let mut table = super::table::table(
            self.kind,
            std::slice::from_ref(object),
            metadata,
            now,
            &self.params,
        );
        if self.columns_sent.swap(true, Ordering::Relaxed) {
            table["columnDefinitions"] = Value::Null;
        }
        line(type_, &table)
    }
}

struct Watch {
    kind: Kind,
    filter: Filter,
    shape: Shape,
    from: u64,
    until: Duration,
    injected_drop: bool,
    bookmarks: bool,
    lag: Option<Duration>,
}

impl Watch {
    async fn stream(
        self,
        state: Arc<State>,
        first: Vec<Bytes>,
        mut receiver: broadcast::Receiver<Arc<Change>>,
        sender: mpsc::Sender<Bytes>,
    ) {
        for bytes in first {
            if sender.send(bytes).await.is_err() {
                return;
            }
        }
        let end = tokio::time::sleep(self.until);
        tokio::pin!(end);
        let mut ticker = tokio::time::interval(BOOKMARK_EVERY);
        ticker.tick().await;
        let mut seen = self.from;
        loop {
            tokio::select! {
                _ = &mut end => {
                    if self.injected_drop {
                        state.counters.dropped_watches.fetch_add(1, Ordering::Relaxed);
                    }
                    return;
                }
                _ = state.stopping.cancelled() => return,
                _ = sender.closed() => return,
                _ = ticker.tick(), if self.bookmarks => {
                    if sender.send(bookmark(self.kind, seen, false)).await.is_err() {
                        return;
                    }
                }
                change = receiver.recv() => match change {
                    Ok(c) => {
                        if c.kind != self.kind || c.resource_version <= self.from || !self.filter.matches_rendered(&c.object) {
                            continue;
                        }
                        seen = seen.max(c.resource_version);
                        if let Some(lag) = self.lag {
                            tokio::time::sleep_until(c.seen_at + lag).await;
                        }
                        let bytes = self.shape.rendered(c.type_, &c.object, state.clock.now());
                        if sender.send(bytes).await.is_err() {
                            return;
                        }
                    }
                    // Too slow a reader: closing makes the client watch again from its last
                    // version, which the hub still keeps or answers with 410.
                    Err(_) => return,
                },
            }
        }
    }
}
