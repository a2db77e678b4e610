//! `rollplay sim serve`: the simulator behind the Kubernetes REST API, on a clock that
//! follows the wall clock. kubectl, rollplay's kube target and a team's own tools talk to
//! it as to a cluster whose workloads roll out, fail, autoscale and carry traffic.

mod discovery;
mod faults;
mod metrics_export;
mod objects;
mod patch;
mod query;
mod request_log;
mod routes;
mod state;
mod status;
mod stream;
mod subresources;
mod table;
mod watch;

pub use faults::FaultOptions;

use crate::Sim;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as Shared;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use routes::{Route, Target};
use serde_json::Value;
use state::State;
use status::ApiError;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Virtual seconds per wall-clock second.
    pub speed: f64,
    pub faults: FaultOptions,
    /// When set, every request must carry `Authorization: Bearer TOKEN`.
    pub token: Option<String>,
    /// When set, one JSON line per request is written there.
    pub request_log: Option<std::path::PathBuf>,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            speed: 1.0,
            faults: FaultOptions::default(),
            token: None,
            request_log: None,
        }
    }
}

/// What the server has answered so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServedCounts {
    pub requests: u64,
    pub response_bytes: u64,
    pub injected_errors: u64,
    pub injected_throttles: u64,
    pub dropped_watches: u64,
}

/// A running server.
pub struct Served {
    state: Arc<State>,
    address: SocketAddr,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Served {
    /// Binds and starts serving `sim`; returns once clients can connect. A simulator that
    /// has not run yet starts at the wall clock's present, so that the times it writes
    /// (creation, conditions, events) are the ones clients compare with their own clock.
    pub async fn start(mut sim: Sim, options: ServeOptions) -> std::io::Result<Served> {
        if sim.now() == 0 {
            let present = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
            sim.advance_to(crate::time::from_unix_seconds(present));
        }
        let listener = tokio::net::TcpListener::bind(options.listen).await?;
        let address = listener.local_addr()?;
        let speed = if options.speed.is_finite() && options.speed > 0.0 {
            options.speed
        } else {
            1.0
        };
        let request_log = match &options.request_log {
            Some(path) => Some(request_log::RequestLog::create(path)?),
            None => None,
        };
        let mut state = State::new(
            sim,
            speed,
            faults::Faults::new(options.faults),
            format!("{address}"),
            options.token,
        );
        state.request_log = request_log;
        let state = Arc::new(state);
        let app = Router::new().fallback(handle).with_state(state.clone());
        let stopping = state.stopping.clone();
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move { stopping.cancelled().await })
                .await;
            if let Err(e) = served {
                tracing::warn!("sim serve: {e}");
            }
        });
        let driver_state = state.clone();
        let driver = tokio::spawn(async move { driver_state.drive().await });
        Ok(Served {
            state,
            address,
            tasks: vec![server, driver],
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// A kubeconfig whose current context is this server.
    pub fn kubeconfig(&self, namespace: &str) -> String {
        kubeconfig(&self.url(), namespace, self.state.token.as_deref())
    }

    /// The simulator as it is now, to change it (tests, staging).
    pub fn with_sim<T>(&self, f: impl FnOnce(&mut Sim) -> T) -> T {
        self.state.write(|w| f(&mut w.sim))
    }

    /// The simulator as it is now, to look at it without a write (benchmarks, reports).
    pub fn look<T>(&self, f: impl FnOnce(&Sim) -> T) -> T {
        f(&self.state.world().sim)
    }

    pub fn counts(&self) -> ServedCounts {
        let c = &self.state.counters;
        ServedCounts {
            requests: c.requests.load(Ordering::Relaxed),
            response_bytes: c.response_bytes.load(Ordering::Relaxed),
            injected_errors: c.injected_errors.load(Ordering::Relaxed),
            injected_throttles: c.injected_throttles.load(Ordering::Relaxed),
            dropped_watches: c.dropped_watches.load(Ordering::Relaxed),
        }
    }

    /// Stops serving: open watches end, then the listener closes.
    pub async fn stop(self) {
        self.state.stopping.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
    }

    /// Serves until `stop` fires.
    pub async fn run_until(self, stop: tokio_util::sync::CancellationToken) {
        stop.cancelled().await;
        self.stop().await;
    }
}

/// A kubeconfig for a server at `url`.
pub fn kubeconfig(url: &str, namespace: &str, token: Option<&str>) -> String {
    let user = match token {
        Some(t) => format!("\n    token: {t}"),
        None => " {}".into(),
    };
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: rollplay-sim\n  cluster:\n    server: {url}\ncontexts:\n- name: rollplay-sim\n  context:\n    cluster: rollplay-sim\n    user: rollplay-sim\n    namespace: {namespace}\ncurrent-context: rollplay-sim\nusers:\n- name: rollplay-sim\n  user:{user}\npreferences: {{}}\n"
    )
}

fn json_response(state: &State, code: u16, body: &Value) -> Response {
    let text = body.to_string();
    state
        .counters
        .response_bytes
        .fetch_add(text.len() as u64, Ordering::Relaxed);
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::OK),
        [(header::CONTENT_TYPE, "application/json")],
        text,
    )
        .into_response()
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn handle(
    Shared(state): Shared<Arc<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let response = answer(&state, &method, &uri, &headers, &body);
    if let Some(log) = &state.request_log {
        log.record(&method, &uri, &response);
    }
    response
}

fn answer(
    state: &Arc<State>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    state.counters.requests.fetch_add(1, Ordering::Relaxed);
    let route = routes::route(uri.path());
    if let Some(token) = &state.token
        && route != Route::Health
        && header_text(headers, header::AUTHORIZATION) != format!("Bearer {token}")
    {
        return ApiError::new(401, "Unauthorized", "Unauthorized").into_response();
    }
    if matches!(route, Route::Object(_))
        && let Some(fault) = state.faults.draw()
    {
        let counter = if fault.code == 429 {
            &state.counters.injected_throttles
        } else {
            &state.counters.injected_errors
        };
        counter.fetch_add(1, Ordering::Relaxed);
        return fault.into_response();
    }
    let params = query::parse(uri.query());
    if let Route::Object(target) = &route
        && let Some(denied) = state
            .faults
            .forbid(&rbac_verb(method, target, &params), target)
    {
        return denied.into_response();
    }
    let answer = match route {
        Route::Version => Ok((200, discovery::version())),
        Route::Health => return (StatusCode::OK, "ok").into_response(),
        Route::Metrics => {
            let text = {
                let mut world = state.world();
                let world = &mut *world;
                let now = world.sim.now();
                world.exporter.scrape(world.sim.samples(), now)
            };
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                text,
            )
                .into_response();
        }
        Route::CoreVersions => Ok((200, discovery::core_versions(&state.address))),
        Route::Groups => Ok((200, discovery::group_list())),
        Route::Group(group) => discovery::group_list()["groups"]
            .as_array()
            .and_then(|gs| gs.iter().find(|g| g["name"] == group.as_str()).cloned())
            .map(|mut g| {
                g["kind"] = Value::from("APIGroup");
                g["apiVersion"] = Value::from("v1");
                (200, g)
            })
            .ok_or_else(|| ApiError::no_route(uri.path())),
        Route::Resources(gv) => discovery::resource_list(&gv)
            .map(|l| (200, l))
            .ok_or_else(|| ApiError::no_route(uri.path())),
        Route::OpenApiIndex => Ok((200, discovery::openapi_index())),
        Route::OpenApiDocument(path) => discovery::group_versions()
            .into_iter()
            .find(|gv| discovery::openapi_path(gv) == path)
            .and_then(discovery::openapi_document)
            .map(|d| (200, d))
            .ok_or_else(|| ApiError::no_route(uri.path())),
        Route::Object(target) => {
            return object(state, method, &target, &params, headers, body)
                .unwrap_or_else(IntoResponse::into_response);
        }
        Route::Unknown => Err(ApiError::no_route(uri.path())),
    };
    match answer {
        Ok((code, body)) => json_response(state, code, &body),
        Err(e) => e.into_response(),
    }
}

fn object(
    state: &Arc<State>,
    method: &Method,
    target: &Target,
    params: &query::Params,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let content_type = header_text(headers, header::CONTENT_TYPE);
    let accept = header_text(headers, header::ACCEPT);
    let watching = target.watch_path || query::flag(params, "watch");
    let name = target.name.as_deref();
    let sub = target.subresource.as_deref();
    let answer = match (method.as_str(), name, sub) {
        ("GET", _, None) if watching => {
            return Ok(watch_response(stream::watch(
                state.clone(),
                target,
                params,
                accept,
            )?));
        }
        ("GET", None, None) => objects::list(state, target, params, accept),
        ("GET", Some(name), None) => objects::get_shown(state, target, name, params, accept),
        ("GET", Some(name), Some("status")) => objects::get(state, target, name),
        ("POST", None, None) => objects::create(state, target, params, body),
        ("PUT", Some(name), None) => objects::update(state, target, name, params, body),
        ("PATCH", Some(name), None) => {
            objects::patch(state, target, name, params, content_type, body)
        }
        ("DELETE", Some(name), None) => objects::delete(state, target, name, params),
        ("DELETE", None, None) => objects::delete_collection(state, target, params),
        ("GET", Some(name), Some("scale")) => subresources::get_scale(state, target, name),
        ("PUT", Some(name), Some("scale")) => {
            subresources::write_scale(state, target, name, None, body)
        }
        ("PATCH", Some(name), Some("scale")) => {
            subresources::write_scale(state, target, name, Some(content_type), body)
        }
        ("GET", Some(name), Some("log")) if target.kind == rollplay_core::kind::Kind::Pod => {
            let text = subresources::log(state, target, name, params)?;
            return Ok(
                (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], text).into_response(),
            );
        }
        ("POST", Some(name), Some("eviction")) if target.kind == rollplay_core::kind::Kind::Pod => {
            subresources::evict(state, target, name)
        }
        (verb, _, _) => Err(ApiError::method_not_allowed(&format!(
            "{verb} {}{}",
            target.kind.resource(),
            sub.map(|s| format!("/{s}")).unwrap_or_default()
        ))),
    };
    let (code, value) = answer?;
    Ok(json_response(state, code, &value))
}

/// The verb RBAC checks for a request (a GET of a collection is `list`, or `watch`).
fn rbac_verb(method: &Method, target: &Target, params: &query::Params) -> String {
    let verb = match (method.as_str(), &target.name) {
        ("GET", _) if target.watch_path || query::flag(params, "watch") => "watch",
        ("GET", None) => "list",
        ("GET", Some(_)) => "get",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", None) => "deletecollection",
        ("DELETE", Some(_)) => "delete",
        (other, _) => return other.to_ascii_lowercase(),
    };
    verb.into()
}

fn watch_response(body: Body) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache, private"),
        ],
        body,
    )
        .into_response()
}
