//! The simulator's trace: one JSON line per change (actions, scaling, pod transitions and
//! snapshots of every Deployment and Service), byte-for-byte the same for the same inputs.

use super::time::SimTime;
use serde_json::{Value, json};

#[derive(Default)]
pub struct Trace {
    enabled: bool,
    lines: Vec<String>,
}

impl Trace {
    pub fn enable(&mut self) {
        self.enabled = true;
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Records `{"t": ms, "ev": kind, ...fields}` when tracing is on (the fields are only
    /// built then).
    pub fn record(&mut self, t: SimTime, ev: &str, fields: impl FnOnce() -> Value) {
        if !self.enabled {
            return;
        }
        let mut line = json!({"t": t, "ev": ev});
        if let (Some(out), Value::Object(extra)) = (line.as_object_mut(), fields()) {
            out.extend(extra);
        }
        self.lines.push(line.to_string());
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    pub fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.lines)
    }
}
