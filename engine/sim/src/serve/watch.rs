//! Watches: every change a client can see, as the API server streams it (ADDED, MODIFIED,
//! DELETED with the object), kept in order of resource version so that a watch can start
//! where a list left off, and answered with 410 Gone when it asks for versions no longer
//! kept. A kind is followed from the first time a client lists or watches it. Objects are
//! kept as their JSON text and the few facts watches select by, not as parsed trees: a
//! cluster of 10 000 pods would otherwise hold hundreds of megabytes of copies.

use crate::Sim;
use rollplay_core::kind::Kind;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Changes kept for watches that resume from an older resource version.
const KEPT: usize = 20_000;

/// Field paths a field selector may name that are kept beside the text; others are read
/// from the text when a watch asks for them.
const SELECTABLE: [&str; 9] = [
    "metadata.name",
    "metadata.namespace",
    "spec.nodeName",
    "status.phase",
    "involvedObject.kind",
    "involvedObject.name",
    "involvedObject.namespace",
    "type",
    "reason",
];

/// An object as a watch sends it, and what label and field selectors look at.
#[derive(Debug)]
pub struct Rendered {
    pub text: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub fields: Vec<(&'static str, String)>,
}

impl Rendered {
    pub fn of(object: &Value) -> Rendered {
        let field = |path: &str| {
            let mut at = object;
            for segment in path.split('.') {
                at = &at[segment];
            }
            match at {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            }
        };
        Rendered {
            text: object.to_string(),
            namespace: field("metadata.namespace"),
            labels: rollplay_k8s::json::string_map(object["metadata"].get("labels")),
            fields: SELECTABLE.iter().map(|p| (*p, field(p))).collect(),
        }
    }

    /// The value at a field path, if it is one of those kept.
    pub fn field(&self, path: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, v)| v.as_str())
    }

    pub fn value(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

#[derive(Debug)]
pub struct Change {
    pub kind: Kind,
    pub type_: &'static str,
    pub object: Arc<Rendered>,
    pub resource_version: u64,
    /// When the hub saw it: a lagging watch writes it a fixed time after this.
    pub seen_at: tokio::time::Instant,
}

/// What a followed kind looked like at the last pump: (namespace, name) → (version, object).
type Snapshot = BTreeMap<(String, String), (String, Arc<Rendered>)>;

struct Followed {
    snapshot: Snapshot,
    /// Changes of this kind are kept from this resource version on.
    since: u64,
}

pub struct Hub {
    followed: BTreeMap<Kind, Followed>,
    kept: VecDeque<Arc<Change>>,
    /// The resource version below which changes were dropped from `kept`.
    floor: u64,
    stamp: (u64, u64),
    sender: broadcast::Sender<Arc<Change>>,
}

impl Hub {
    pub fn new(sim: &Sim) -> Hub {
        Hub {
            followed: BTreeMap::new(),
            kept: VecDeque::new(),
            floor: 0,
            stamp: sim.change_stamp(),
            sender: broadcast::channel(16_384).0,
        }
    }

    /// Starts following a kind (from now), if it is not followed yet.
    pub fn follow(&mut self, sim: &Sim, kind: Kind) {
        if self.followed.contains_key(&kind) {
            return;
        }
        let snapshot = snapshot(sim, kind, &Snapshot::new());
        self.followed.insert(
            kind,
            Followed {
                snapshot,
                since: sim.resource_version(),
            },
        );
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.sender.subscribe()
    }

    /// The kept changes of `kind` after `version`, or None when some of them are no longer
    /// kept (the client must list again).
    pub fn since(&self, kind: Kind, version: u64) -> Option<Vec<Arc<Change>>> {
        let followed = self.followed.get(&kind)?;
        if version < followed.since || version < self.floor {
            return None;
        }
        Some(
            self.kept
                .iter()
                .filter(|c| c.kind == kind && c.resource_version > version)
                .cloned()
                .collect(),
        )
    }

    /// Records and sends what changed since the last pump, in resource-version order.
    pub fn pump(&mut self, sim: &Sim) {
        let stamp = sim.change_stamp();
        if stamp == self.stamp {
            return;
        }
        self.stamp = stamp;
        let deleted_at = sim.resource_version();
        let mut changes = Vec::new();
        for (kind, followed) in self.followed.iter_mut() {
            let now = snapshot(sim, *kind, &followed.snapshot);
            for (key, (version, object)) in &now {
                let type_ = match followed.snapshot.get(key) {
                    None => "ADDED",
                    Some((before, _)) if before != version => "MODIFIED",
                    Some(_) => continue,
                };
                let rv = version.parse().unwrap_or(deleted_at);
                changes.push(change(*kind, type_, object.clone(), rv));
            }
            for (key, (_, object)) in &followed.snapshot {
                if !now.contains_key(key) {
                    changes.push(change(*kind, "DELETED", object.clone(), deleted_at));
                }
            }
            followed.snapshot = now;
        }
        changes.sort_by_key(|c| c.resource_version);
        for c in changes {
            let c = Arc::new(c);
            self.kept.push_back(c.clone());
            // Nobody listening is not an error: changes are kept for later watches.
            let _ = self.sender.send(c);
        }
        while self.kept.len() > KEPT {
            if let Some(dropped) = self.kept.pop_front() {
                self.floor = self.floor.max(dropped.resource_version);
            }
        }
    }
}

fn change(kind: Kind, type_: &'static str, object: Arc<Rendered>, rv: u64) -> Change {
    Change {
        kind,
        type_,
        object,
        resource_version: rv,
        seen_at: tokio::time::Instant::now(),
    }
}

/// The kind's objects now; an object whose version did not change keeps its rendering.
fn snapshot(sim: &Sim, kind: Kind, before: &Snapshot) -> Snapshot {
    sim.list(kind, "")
        .into_iter()
        .map(|o| {
            let meta = &o["metadata"];
            let key = (
                meta["namespace"].as_str().unwrap_or_default().to_string(),
                meta["name"].as_str().unwrap_or_default().to_string(),
            );
            let version = meta["resourceVersion"].as_str().unwrap_or("0").to_string();
            let rendered = match before.get(&key) {
                Some((v, r)) if *v == version => r.clone(),
                _ => Arc::new(Rendered::of(&o)),
            };
            (key, (version, rendered))
        })
        .collect()
}
