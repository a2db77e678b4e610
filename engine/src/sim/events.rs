//! Kubernetes Events as the controllers and the kubelet record them, with the API server's
//! de-duplication (same object, reason and message bump `count`) and one-hour TTL.

use super::time::{SECOND, SimTime};
use crate::kind::Kind;
use std::collections::VecDeque;

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
    pub reason: String,
    pub message: String,
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    pub source: &'static str,
    pub seq: u64,
}

#[derive(Default)]
pub struct EventLog {
    events: VecDeque<Event>,
    seq: u64,
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
        reason: &str,
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
        if let Some(e) = self.events.iter_mut().rev().take(64).find(|e| {
            e.kind == kind
                && e.name == name
                && e.namespace == namespace
                && e.reason == reason
                && e.message == message
        }) && now.saturating_sub(e.last) < FOLD_WINDOW
        {
            e.count += 1;
            e.last = now;
            return;
        }
        self.seq += 1;
        self.events.push_back(Event {
            first: now,
            last: now,
            count: 1,
            warning,
            reason: reason.to_string(),
            message,
            kind,
            namespace: namespace.to_string(),
            name: name.to_string(),
            source,
            seq: self.seq,
        });
    }

    pub fn iter(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }
}
