//! rollplay's core: what every target and the script layer share. Errors that name the object
//! and the target, object references and kinds, manifests as read from files, the
//! `ClusterBackend` trait with every type it returns, and the one wait written over a
//! backend's clock and change signal.

pub mod backend;
pub mod duration;
pub mod error;
pub mod image_ref;
pub mod kind;
pub mod manifest;
pub mod objref;
pub mod pattern;
pub mod selector;
pub mod suggest;
pub mod timefmt;
pub mod wait;

pub use backend::ClusterBackend;
pub use error::{Error, ErrorClass, Result, Retry};
pub use kind::Kind;
pub use objref::ObjectRef;
