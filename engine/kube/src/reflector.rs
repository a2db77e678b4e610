//! One watch per kind and namespace, shared by every wait: it lists once, then follows the
//! watch from the list's resourceVersion, resumes a dropped watch from the last version it
//! saw, and lists again on 410 Gone. It keeps the objects it saw (so a wait over 100
//! Deployments reads them without a request each) and signals every change.

use crate::resources::api;
use crate::retry::{Retries, with_retry};
use futures_util::StreamExt;
use kube::Client;
use kube::api::{ListParams, WatchEvent, WatchParams};
use parking_lot::RwLock;
use rollplay_core::kind::Kind;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// How long one watch request may stay open before the server ends it.
const WATCH_SECONDS: u32 = 290;

pub struct Reflector {
    objects: RwLock<BTreeMap<String, Arc<Value>>>,
    /// Bumped on every change seen; false until the first list is in.
    changes: watch::Sender<u64>,
    synced: std::sync::atomic::AtomicBool,
}

impl Reflector {
    /// Starts following `kind` in `namespace`; the task ends with `stop`.
    pub fn start(
        client: Client,
        kind: Kind,
        namespace: String,
        retries: Arc<Retries>,
        stop: CancellationToken,
    ) -> Arc<Reflector> {
        let reflector = Arc::new(Reflector {
            objects: RwLock::new(BTreeMap::new()),
            changes: watch::channel(0).0,
            synced: std::sync::atomic::AtomicBool::new(false),
        });
        let me = reflector.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = me.follow(client, kind, namespace, retries) => {}
            }
        });
        reflector
    }

    pub fn synced(&self) -> bool {
        self.synced.load(Ordering::Acquire)
    }

    pub fn get(&self, name: &str) -> Option<Arc<Value>> {
        self.objects.read().get(name).cloned()
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn bump(&self) {
        self.changes.send_modify(|n| *n += 1);
    }

    async fn follow(&self, client: Client, kind: Kind, namespace: String, retries: Arc<Retries>) {
        let api = api(&client, kind, &namespace);
        let mut backoff = Duration::from_millis(100);
        'list: loop {
            let everything = ListParams::default();
            let list = match with_retry(&retries, || api.list(&everything)).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::debug!("listing {} for a wait: {e}", kind.plural());
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            let mut version = list.metadata.resource_version.clone().unwrap_or_default();
            {
                let mut objects = self.objects.write();
                objects.clear();
                for item in list.items {
                    if let Ok(v) = serde_json::to_value(&item) {
                        objects.insert(name_of(&v), Arc::new(v));
                    }
                }
            }
            self.synced.store(true, Ordering::Release);
            self.bump();
            loop {
                let params = WatchParams::default().timeout(WATCH_SECONDS);
                let stream = match api.watch(&params, &version).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::debug!("watching {}: {e}", kind.plural());
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        retries.watches_resumed.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                };
                backoff = Duration::from_millis(100);
                let mut stream = std::pin::pin!(stream);
                while let Some(event) = stream.next().await {
                    match event {
                        Ok(WatchEvent::Added(o)) | Ok(WatchEvent::Modified(o)) => {
                            if let Ok(v) = serde_json::to_value(&o) {
                                version = v["metadata"]["resourceVersion"]
                                    .as_str()
                                    .unwrap_or(&version)
                                    .to_string();
                                self.objects.write().insert(name_of(&v), Arc::new(v));
                                self.bump();
                            }
                        }
                        Ok(WatchEvent::Deleted(o)) => {
                            if let Ok(v) = serde_json::to_value(&o) {
                                version = v["metadata"]["resourceVersion"]
                                    .as_str()
                                    .unwrap_or(&version)
                                    .to_string();
                                self.objects.write().remove(&name_of(&v));
                                self.bump();
                            }
                        }
                        Ok(WatchEvent::Bookmark(b)) => version = b.metadata.resource_version,
                        Ok(WatchEvent::Error(status)) if status.code == 410 => {
                            retries.relists.fetch_add(1, Ordering::Relaxed);
                            continue 'list;
                        }
                        Ok(WatchEvent::Error(_)) | Err(_) => break,
                    }
                }
                // The server ended the watch (its timeout, a restart, a dropped connection):
                // go on from the last version seen.
                retries.watches_resumed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn name_of(v: &Value) -> String {
    v["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
