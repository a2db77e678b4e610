//! Docker Swarm's behaviour as pure functions: how a service update is paced, when a failure
//! fires the update's failure action, what a rollback restores and what the CLI reports
//! (semantics.md section 5, SW-1..12). The simulator's Swarm flavour and the swarm target
//! both decide with these, and `rollplay sim conformance` checks them against swarmkit's
//! test tables (`tests/cases/swarm_update.json`). Compose stack files are read and checked
//! here too (`compose`), so both targets refuse the same files with the same messages.

pub mod compose;
pub mod update;

pub use update::{
    FailureAction, Order, SpecHistory, TaskState, UpdateConfig, UpdateState, cli_progress,
    failure_counted, failure_triggers_action, manual_rollback, monitor_after_last_slot,
};
