//! Reaching a cluster as kubectl does: the kubeconfig (`KUBECONFIG` or `~/.kube/config`) and
//! a context in it, or the pod's service account inside a cluster; the namespace of the
//! context. The API server is asked for its version before anything else, so an unreachable
//! or misnamed cluster is bad input (exit 2) found before any change.

use crate::errors::describe;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use rollplay_core::error::{Error, Result};
use std::time::Duration;

/// A client, and what names it.
pub struct Connected {
    pub client: Client,
    /// `kube:CONTEXT`.
    pub target: String,
    pub server: String,
    /// The context's namespace, else `default`.
    pub namespace: String,
}

fn flag(context: Option<&str>) -> String {
    match context {
        Some(c) => format!("--target kube:{c}"),
        None => "--target kube".into(),
    }
}

/// The configuration for `context` (the current one when None), or in-cluster.
async fn config(context: Option<&str>) -> Result<(Config, String)> {
    if let Some(wanted) = context {
        let kubeconfig = Kubeconfig::read().map_err(|e| {
            Error::bad_input(flag(context), format!("cannot read the kubeconfig: {e}"))
        })?;
        let names: Vec<&str> = kubeconfig
            .contexts
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        if !names.contains(&wanted) {
            return Err(Error::bad_input(
                flag(context),
                format!(
                    "no context \"{wanted}\" in the kubeconfig{}; contexts: {}",
                    rollplay_core::suggest::hint(wanted, names.iter().copied()),
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        }
    }
    let options = KubeConfigOptions {
        context: context.map(String::from),
        ..KubeConfigOptions::default()
    };
    match Config::from_kubeconfig(&options).await {
        Ok(config) => {
            let name = match context {
                Some(c) => c.to_string(),
                None => Kubeconfig::read()
                    .ok()
                    .and_then(|k| k.current_context)
                    .unwrap_or_else(|| "current".into()),
            };
            Ok((config, name))
        }
        Err(kubeconfig_error) if context.is_none() => match Config::incluster() {
            Ok(config) => Ok((config, "in-cluster".into())),
            Err(_) => Err(Error::bad_input(
                flag(context),
                format!(
                    "no cluster to talk to: {kubeconfig_error} (set KUBECONFIG or ~/.kube/config, or run inside a cluster)"
                ),
            )),
        },
        Err(e) => Err(Error::bad_input(
            flag(context),
            format!("the kubeconfig: {e}"),
        )),
    }
}

/// Connects through the kubeconfig (or in-cluster) and checks the server answers.
pub async fn connect(context: Option<&str>) -> Result<Connected> {
    let (config, name) = config(context).await?;
    connected(config, format!("kube:{name}"), flag(context)).await
}

/// Connects to a server at `url` (a local `rollplay sim serve`, a proxy) with an optional
/// bearer token.
pub async fn connect_url(url: &str, namespace: &str, token: Option<&str>) -> Result<Connected> {
    let uri = url
        .parse()
        .map_err(|e| Error::bad_input(format!("server {url}"), format!("not a URL: {e}")))?;
    let mut config = Config::new(uri);
    config.default_namespace = namespace.into();
    if let Some(t) = token {
        config.auth_info.token = Some(t.to_string().into());
    }
    connected(config, format!("kube:{url}"), format!("server {url}")).await
}

async fn connected(mut config: Config, target: String, what: String) -> Result<Connected> {
    config.connect_timeout = Some(Duration::from_secs(5));
    let server = config.cluster_url.to_string();
    let namespace = config.default_namespace.clone();
    let client = Client::try_from(config).map_err(|e| {
        Error::bad_input(
            what.clone(),
            format!("cannot build a client for {server}: {}", describe(&e)),
        )
    })?;
    let mut last = None;
    for attempt in 0..3 {
        match tokio::time::timeout(Duration::from_secs(10), client.apiserver_version()).await {
            Ok(Ok(_)) => {
                return Ok(Connected {
                    client,
                    target,
                    server,
                    namespace,
                });
            }
            Ok(Err(e)) if crate::errors::status_code(&e).is_some_and(|c| c < 500 && c != 429) => {
                last = Some(describe(&e));
                break;
            }
            Ok(Err(e)) => last = Some(describe(&e)),
            Err(_) => last = Some("no answer within 10 s".into()),
        }
        tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
    }
    Err(Error::bad_input(
        what,
        format!(
            "cannot reach the Kubernetes API at {server}: {}; nothing was changed",
            last.unwrap_or_default()
        ),
    ))
}
