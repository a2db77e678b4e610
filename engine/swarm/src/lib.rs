//! The Docker Swarm target: a Docker engine in swarm mode (the local socket or `DOCKER_HOST`)
//! behind `ClusterBackend`. Compose stack files deploy as `docker stack deploy` deploys them;
//! waits follow the engine's event stream and each service's `UpdateStatus` (semantics.md
//! section 5); numbered revisions live in service labels, so a rollback can go further back
//! than Swarm's one stored previous spec.

mod apply;
mod backend;
mod connect;
mod errors;
mod events;
mod history;
mod reads;
mod retry;
mod spec;
mod status;

pub use backend::SwarmBackend;
pub use connect::default_host;
/// Unix seconds of the engine's RFC 3339 times, with their fraction.
pub use status::seconds as engine_time;
