//! Running scripts: the engine with the host API and the embedded stdlib, playbook lookup,
//! the run itself, and error diagnostics with file, line, column and caret.

pub mod check;
pub mod diagnostic;
pub mod engine;
pub mod journal;
mod modules;
pub mod output;
pub mod runner;
pub mod stdlib;

pub use diagnostic::ScriptError;
pub use runner::{Playbook, RunOptions, RunReport, WorkloadState, run};
