//! The Kubernetes target: a real cluster (or `rollplay sim serve`) through kube-rs, behind
//! rollplay-core's `ClusterBackend`. Objects are applied by server-side apply after a
//! server-side dry run of the whole batch; waits follow one shared watch per kind and
//! namespace, never polling; transient API errors are retried with backoff.

mod apply;
mod backend;
mod connect;
mod errors;
mod lock;
mod metrics;
mod reflector;
mod resources;
mod retry;
mod workloads;

pub use backend::KubeBackend;
pub use retry::Retries;

/// The field manager rollplay's server-side applies and patches are recorded under.
pub const FIELD_MANAGER: &str = "rollplay";
