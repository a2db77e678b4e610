//! Backend results as script values: flat maps with the field names the docs promise.

use rhai::{Array, Dynamic, Map};
use rollplay_core::backend::{
    Applied, EndpointInfo, EventInfo, HistoryEntry, PodSummary, RollbackOutcome, WorkloadStatus,
};

fn map<const N: usize>(fields: [(&str, Dynamic); N]) -> Dynamic {
    let mut m = Map::new();
    for (k, v) in fields {
        m.insert(k.into(), v);
    }
    Dynamic::from_map(m)
}

fn strings(items: &[String]) -> Dynamic {
    Dynamic::from_array(items.iter().map(|s| Dynamic::from(s.clone())).collect())
}

fn opt_int(v: Option<i64>) -> Dynamic {
    v.map(Dynamic::from).unwrap_or(Dynamic::UNIT)
}

pub fn status(s: &WorkloadStatus) -> Dynamic {
    let mut images = Map::new();
    for (c, i) in &s.images {
        images.insert(c.as_str().into(), i.clone().into());
    }
    let conditions: Array = s
        .conditions
        .iter()
        .map(|c| {
            map([
                ("type", c.type_.clone().into()),
                ("status", c.status.clone().into()),
                ("reason", c.reason.clone().into()),
                ("message", c.message.clone().into()),
            ])
        })
        .collect();
    map([
        ("kind", s.kind.clone().into()),
        ("name", s.name.clone().into()),
        ("namespace", s.namespace.clone().into()),
        ("replicas", (s.replicas as i64).into()),
        ("current", (s.current as i64).into()),
        ("updated", (s.updated as i64).into()),
        ("ready", (s.ready as i64).into()),
        ("available", (s.available as i64).into()),
        ("unavailable", (s.unavailable as i64).into()),
        ("revision", opt_int(s.revision)),
        (
            "image",
            s.images
                .first()
                .map(|(_, i)| Dynamic::from(i.clone()))
                .unwrap_or(Dynamic::UNIT),
        ),
        ("images", Dynamic::from_map(images)),
        ("paused", s.paused.into()),
        ("strategy", s.strategy.clone().into()),
        ("generation", s.generation.into()),
        ("observed_generation", s.observed_generation.into()),
        ("conditions", Dynamic::from_array(conditions)),
        ("done", s.done().into()),
        ("state", s.state.as_str().into()),
        ("message", s.message.clone().into()),
        (
            "error",
            s.error.clone().map(Dynamic::from).unwrap_or(Dynamic::UNIT),
        ),
    ])
}

pub fn applied(a: &Applied) -> Dynamic {
    map([
        ("kind", a.kind.name().into()),
        ("name", a.name.clone().into()),
        ("namespace", a.namespace.clone().into()),
        ("outcome", a.result.as_str().into()),
        ("line", a.line().into()),
    ])
}

pub fn pod(p: &PodSummary, now_unix: f64) -> Dynamic {
    let age = (now_unix - p.created).max(0.0);
    map([
        ("name", p.name.clone().into()),
        ("replica_set", p.replica_set.clone().into()),
        ("revision", opt_int(p.revision)),
        ("status", p.status.clone().into()),
        ("ready", p.ready.into()),
        ("restarts", (p.restarts as i64).into()),
        ("ip", p.ip.clone().into()),
        (
            "image",
            p.images
                .first()
                .cloned()
                .map(Dynamic::from)
                .unwrap_or(Dynamic::UNIT),
        ),
        ("images", strings(&p.images)),
        ("age", (age.round() as i64).into()),
        ("terminating", p.terminating.into()),
        ("node", p.node.clone().into()),
    ])
}

pub fn history(h: &HistoryEntry) -> Dynamic {
    map([
        ("revision", h.revision.into()),
        ("replica_set", h.replica_set.clone().into()),
        (
            "image",
            h.images
                .first()
                .cloned()
                .map(Dynamic::from)
                .unwrap_or(Dynamic::UNIT),
        ),
        ("images", strings(&h.images)),
        (
            "change_cause",
            h.change_cause
                .clone()
                .map(Dynamic::from)
                .unwrap_or(Dynamic::UNIT),
        ),
        ("replicas", (h.replicas as i64).into()),
        ("current", h.current.into()),
    ])
}

pub fn event(e: &EventInfo) -> Dynamic {
    map([
        ("time", e.time.clone().into()),
        ("type", if e.warning { "Warning" } else { "Normal" }.into()),
        ("reason", e.reason.clone().into()),
        ("object", e.object.clone().into()),
        ("message", e.message.clone().into()),
        ("count", (e.count as i64).into()),
    ])
}

pub fn endpoint(e: &EndpointInfo) -> Dynamic {
    map([
        ("pod", e.pod.clone().into()),
        ("ip", e.ip.clone().into()),
        ("ready", e.ready.into()),
        ("serving", e.serving.into()),
        ("terminating", e.terminating.into()),
    ])
}

pub fn rollback(o: &RollbackOutcome) -> Dynamic {
    map([
        ("message", o.message.clone().into()),
        ("skipped", o.skipped.into()),
        ("to_revision", opt_int(o.to_revision)),
        ("revision", opt_int(o.revision_now)),
        (
            "image",
            o.images
                .first()
                .cloned()
                .map(Dynamic::from)
                .unwrap_or(Dynamic::UNIT),
        ),
        ("images", strings(&o.images)),
    ])
}

pub fn string_map(m: &std::collections::BTreeMap<String, String>) -> Dynamic {
    let mut out = Map::new();
    for (k, v) in m {
        out.insert(k.as_str().into(), v.clone().into());
    }
    Dynamic::from_map(out)
}
