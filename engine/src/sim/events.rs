//! Kubernetes Events as the controllers and the kubelet record them, with the API server's
//! de-duplication (same object, reason and message bump `count`) and one-hour TTL.

use super::time::{SECOND, SimTime};
use crate::kind::Kind;
use std::collections::{HashMap, VecDeque};

/// The API server's default `--event-ttl`.
const EVENT_TTL: SimTime = 3600 * SECOND;
/// Repeats within this window are folded into one event, as the event correlator does.
const FOLD_WINDOW: SimTime = 600 * SECOND;

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub first: SimTime,
    pub last: SimTime,
    pub count: u32,
    pub warning: bool,
    pub reason: &'static str,
    pub message: String,
    pub kind: Kind,
    pub namespace: std::sync::Arc<str>,
    pub name: String,
    pub source: &'static str,
    pub seq: u64,
}

#[derive(Default)]
pub struct EventLog {
    events: VecDeque<Event>,
    seq: u64,
    /// Identity (object, reason, message) → sequence number of its latest event, so folding a
    /// repeat does not scan the log.
    latest: HashMap<u64, u64, std::hash::BuildHasherDefault<Prehashed>>,
    /// Namespace names, shared by their events.
    namespaces: Vec<std::sync::Arc<str>>,
}

/// The keys of `latest` are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ *b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// FNV-1a of an event's identity: the log is the simulator's own memory, so a fast,
/// non-keyed hash is enough (a collision only costs a comparison).
/// The message is left out (compared on a hit), as it is the long part.
fn identity(kind: Kind, namespace: &str, name: &str, reason: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ kind as u64;
    for part in [namespace, name, reason] {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

impl EventLog {
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        now: SimTime,
        kind: Kind,
        namespace: &str,
        name: &str,
        warning: bool,
        reason: &'static str,
        message: String,
        source: &'static str,
    ) {
        while self
            .events
            .front()
            .is_some_and(|e| e.last + EVENT_TTL < now)
        {
            let gone = self.events.pop_front().expect("checked");
            let id = identity(gone.kind, &gone.namespace, &gone.name, gone.reason);
            if self.latest.get(&id) == Some(&gone.seq) {
                self.latest.remove(&id);
            }
        }
        let id = identity(kind, namespace, name, reason);
        if let Some(&seq) = self.latest.get(&id) {
            let first = self.events.front().map_or(0, |e| e.seq);
            if let Some(e) = self.events.get_mut((seq - first) as usize)
                && e.seq == seq
                && e.kind == kind
                && e.reason == reason
                && e.name == name
                && &*e.namespace == namespace
                && e.message == message
                && now.saturating_sub(e.last) < FOLD_WINDOW
            {
                e.count += 1;
                e.last = now;
                return;
            }
        }
        self.seq += 1;
        self.latest.insert(id, self.seq);
        let namespace = self.intern(namespace);
        self.events.push_back(Event {
            first: now,
            last: now,
            count: 1,
            warning,
            reason,
            message,
            kind,
            namespace,
            name: name.to_string(),
            source,
            seq: self.seq,
        });
    }

    fn intern(&mut self, namespace: &str) -> std::sync::Arc<str> {
        if let Some(ns) = self.namespaces.iter().find(|n| &***n == namespace) {
            return ns.clone();
        }
        let ns: std::sync::Arc<str> = namespace.into();
        self.namespaces.push(ns.clone());
        ns
    }

    pub fn iter(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }
}
