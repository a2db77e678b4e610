//! Reaching a Docker engine as the docker CLI does: `--target swarm:HOST`, else `DOCKER_HOST`,
//! else the local socket. The engine is asked for its version and swarm state before anything
//! else, so an unreachable engine, or one that is not a swarm manager, is bad input (exit 2)
//! found before any change.

use crate::errors::describe;
use bollard::Docker;
use bollard::models::LocalNodeState;
use rollplay_core::error::{Error, Result};

/// The host the CLI would use: `DOCKER_HOST`, else the local socket.
pub fn default_host() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".into())
}

/// A client, and the target's name (`swarm:HOST`).
pub struct Connected {
    pub docker: Docker,
    pub target: String,
}

fn flag(host: Option<&str>) -> String {
    match host {
        Some(h) => format!("--target swarm:{h}"),
        None => "--target swarm".into(),
    }
}

/// Connects to `host` (the default host when None) and checks that it is an active swarm
/// manager.
pub async fn connect(host: Option<&str>) -> Result<Connected> {
    let address = host.map(String::from).unwrap_or_else(default_host);
    let unreachable = |why: String| {
        Error::bad_input(
            flag(host),
            format!(
                "cannot reach the Docker engine at {address}: {why} (start dockerd, or pass --target swarm:HOST / set DOCKER_HOST)"
            ),
        )
    };
    let docker = if let Some(path) = address.strip_prefix("unix://") {
        Docker::connect_with_unix(path, 60, bollard::API_DEFAULT_VERSION)
    } else if address.starts_with("tcp://") || address.starts_with("http://") {
        Docker::connect_with_http(&address, 60, bollard::API_DEFAULT_VERSION)
    } else {
        return Err(Error::bad_input(
            flag(host),
            format!("\"{address}\" is not a Docker host: use unix:///PATH or tcp://HOST:PORT"),
        ));
    }
    .map_err(|e| unreachable(describe(&e)))?;
    let docker = docker
        .negotiate_version()
        .await
        .map_err(|e| unreachable(describe(&e)))?;
    let info = docker.info().await.map_err(|e| unreachable(describe(&e)))?;
    let swarm = info.swarm.unwrap_or_default();
    let state = swarm.local_node_state.unwrap_or(LocalNodeState::EMPTY);
    if state != LocalNodeState::ACTIVE {
        let shown = match state {
            LocalNodeState::EMPTY => "inactive".to_string(),
            other => other.to_string(),
        };
        return Err(Error::bad_input(
            flag(host),
            format!(
                "the Docker engine at {address} is not in swarm mode (its node is {shown}); run `docker swarm init --advertise-addr 127.0.0.1` or point at a manager"
            ),
        ));
    }
    if swarm.control_available != Some(true) {
        return Err(Error::bad_input(
            flag(host),
            format!(
                "the Docker engine at {address} is a swarm worker; services can only be changed through a manager"
            ),
        ));
    }
    Ok(Connected {
        docker,
        target: format!("swarm:{address}"),
    })
}
