//! rollplay's script layer: the Rhai host API (every primitive, documented once), the runner
//! that binds a playbook to a target, the interactive session, the statistics of canary
//! analysis, and the embedded stdlib and playbooks. It drives targets only through
//! `rollplay_core::ClusterBackend`; `target.rs` is the one place that constructs one.

pub mod api;
pub mod chart;
pub mod check;
pub mod diagnostic;
pub mod engine;
pub mod journal;
mod modules;
pub mod output;
pub mod record;
pub mod runner;
pub mod session;
pub mod stats;
pub mod stdlib;
pub mod target;

pub use diagnostic::ScriptError;
pub use runner::{Playbook, RunOptions, RunReport, WorkloadState, run};
pub use target::{Connection, Target, TargetOptions, load_profiles};
