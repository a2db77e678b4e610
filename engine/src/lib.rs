//! rollplay's engine: the simulator, the cluster backends, manifests, and the Rhai host API.
//! Everything with behaviour lives here; the `rollplay` binary only parses flags and prints.

pub mod api;
pub mod backend;
pub mod conformance;
pub mod duration;
pub mod error;
pub mod hpa;
pub mod k8s;
pub mod kind;
pub mod manifest;
pub mod objref;
pub mod pattern;
pub mod pdb;
pub mod rollout;
pub mod script;
pub mod session;
pub mod sim;
pub mod stats;
pub mod suggest;
pub mod timefmt;

pub use error::{Error, ErrorClass, Result};
