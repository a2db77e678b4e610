//! Kubernetes Events as the controllers and the kubelet record them, with the API server's
//! de-duplication (same object, reason and message bump `count`) and one-hour TTL.

use super::time::{SECOND, SimTime};
use rollplay_core::kind::Kind;
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
    /// The cluster's resource version when the event was last recorded (events take no
    /// version of their own, so recording one leaves every other object's version as it was).
    pub resource_version: u64,
}

#[derive(Default)]
pub struct EventLog {
    events: VecDeque<Event>,
    /// Events recorded so far, folded repeats included: changes whenever the log does.
    recorded: u64,
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
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ kind.install_rank() as u64;
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
        (now, resource_version): (SimTime, u64),
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
            self.events.pop_front();
        }
        // Entries of expired events are dropped by rebuilding the index now and then rather
        // than one by one: removals leave tombstones that make every miss probe further.
        if self.latest.len() > 2 * self.events.len() + 64 {
            self.latest = self
                .events
                .iter()
                .map(|e| (identity(e.kind, &e.namespace, &e.name, e.reason), e.seq))
                .collect();
        }
        self.recorded += 1;
        let id = identity(kind, namespace, name, reason);
        if let Some(&seq) = self.latest.get(&id) {
            let first = self.events.front().map_or(0, |e| e.seq);
            if let Some(e) = seq
                .checked_sub(first)
                .and_then(|i| self.events.get_mut(i as usize))
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
                e.resource_version = resource_version;
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
            resource_version,
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

    /// Changes whenever an event is recorded or folded.
    pub fn recorded(&self) -> u64 {
        self.recorded
    }

    pub fn iter(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }
}

impl super::Sim {
    /// Records an Event about an object; whether it is a Warning and which component reports
    /// it follow from the reason, as on a cluster.
    pub(crate) fn event(
        &mut self,
        kind: Kind,
        ns: &str,
        name: &str,
        reason: &'static str,
        message: String,
    ) {
        let warning = matches!(
            reason,
            "SelectingAll"
                | "Unhealthy"
                | "BackOff"
                | "FailedCreate"
                | "FailedComputeMetricsReplicas"
                | "FailedGetScale"
                | "FailedRescale"
        );
        let source = match (kind, reason) {
            (_, "Scheduled") => "default-scheduler",
            (Kind::HorizontalPodAutoscaler, _) => "horizontal-pod-autoscaler",
            (Kind::Pod, _) => "kubelet",
            (Kind::ReplicaSet, _) => "replicaset-controller",
            _ => "deployment-controller",
        };
        let at = (self.now, self.ids.current_resource_version());
        self.events
            .record(at, kind, ns, name, warning, reason, message, source);
    }

    /// Records an Event whose type and reporting component the caller knows.
    pub(crate) fn event_from(
        &mut self,
        source: &'static str,
        warning: bool,
        kind: Kind,
        (ns, name): (&str, &str),
        reason: &'static str,
        message: String,
    ) {
        let at = (self.now, self.ids.current_resource_version());
        self.events
            .record(at, kind, ns, name, warning, reason, message, source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(log: &mut EventLog, at_seconds: SimTime, pod: &str, message: &str) {
        log.record(
            (at_seconds * SECOND, 0),
            Kind::Pod,
            "default",
            pod,
            true,
            "BackOff",
            message.to_string(),
            "kubelet",
        );
    }

    fn count(log: &EventLog, pod: &str) -> Vec<u32> {
        log.iter()
            .filter(|e| e.name == pod)
            .map(|e| e.count)
            .collect()
    }

    #[test]
    fn repeats_fold_within_the_window_and_expire_after_the_ttl() {
        let mut log = EventLog::default();
        record(&mut log, 0, "web-1", "Back-off restarting failed container");
        record(
            &mut log,
            60,
            "web-1",
            "Back-off restarting failed container",
        );
        assert_eq!(count(&log, "web-1"), [2]);
        // A different message is a different event.
        record(&mut log, 61, "web-1", "Back-off pulling image");
        assert_eq!(count(&log, "web-1"), [2, 1]);
        // Past the fold window the repeat is a new event.
        record(&mut log, 61 + 601, "web-1", "Back-off pulling image");
        assert_eq!(count(&log, "web-1"), [2, 1, 1]);
        // An hour after their last occurrence, events are gone.
        record(&mut log, 61 + 601 + 3601, "web-2", "Back-off pulling image");
        assert_eq!(count(&log, "web-1"), Vec::<u32>::new());
    }

    /// Thousands of events coming and going (pods of many rollouts): the index of latest
    /// events is rebuilt along the way and repeats still fold onto the live event.
    #[test]
    fn folding_survives_the_index_being_rebuilt() {
        let mut log = EventLog::default();
        for i in 0..20_000u64 {
            record(&mut log, i, &format!("web-{i}"), "Started container web");
            record(&mut log, i, "steady", &format!("tick {}", i / 500));
        }
        // An hour of pods, give or take the 500 s a folded event in front of them lives longer.
        assert!(
            log.iter().count() <= 3600 + 500 + 20,
            "expired events are dropped"
        );
        assert!(log.latest.len() <= 2 * log.events.len() + 64);
        // Each message repeated 500 times in a row, all of them folded.
        let steady = count(&log, "steady");
        assert!(steady.len() >= 7, "{steady:?}");
        assert!(steady.iter().all(|&c| c == 500), "{steady:?}");
    }
}
