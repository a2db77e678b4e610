//! The journal of mutating actions of a run, in order: what `--output json` lists as `actions`
//! and the REPL shows, so every change a playbook made can be read back.

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    pub seq: usize,
    /// The target's clock when it happened (`+00:01:05` on the simulator, RFC 3339 elsewhere).
    pub at: String,
    /// The primitive: `apply`, `scale`, `set_image`, `rollback`, ...
    pub action: String,
    /// `deployment/web`.
    pub object: String,
    pub namespace: String,
    pub target: String,
    /// One line a person reads: `image web:1.0 → web:1.1`.
    pub summary: String,
    pub detail: Value,
}

#[derive(Default)]
pub struct Journal {
    actions: Mutex<Vec<Action>>,
}

impl Journal {
    pub fn record(&self, mut action: Action) -> Action {
        let mut actions = self.actions.lock();
        action.seq = actions.len() + 1;
        actions.push(action.clone());
        action
    }

    pub fn is_empty(&self) -> bool {
        self.actions.lock().is_empty()
    }

    pub fn all(&self) -> Vec<Action> {
        self.actions.lock().clone()
    }
}
