//! `web`: the demo app every Swarm example and test deploys. `web` serves `/` (its version),
//! `/health`, `/ready` and `/metrics` on `PORT`; `web probe PATH` is the health check a
//! `FROM scratch` image runs (there is no curl in it): exit 0 when the path answers 200;
//! `web variables` lists the environment variables it reads and the profile keys they mirror.

mod behaviour;
mod metrics;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use behaviour::{Behaviour, Draws};
use metrics::Metrics;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct App {
    behaviour: Behaviour,
    started: Instant,
    draws: Mutex<Draws>,
    metrics: Metrics,
}

impl App {
    fn uptime(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

fn main() {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let behaviour = match Behaviour::from_env(&env) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("web: {e}");
            std::process::exit(2);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => serve(behaviour),
        Some("variables") => {
            for (name, key) in behaviour::VARIABLES {
                println!("{name}\t{key}");
            }
        }
        Some("probe") => {
            let path = args.get(1).map(String::as_str).unwrap_or("/ready");
            std::process::exit(if probe(behaviour.port, path) { 0 } else { 1 });
        }
        Some(other) => {
            eprintln!(
                "web: unknown command {other:?}; use `web`, `web probe PATH` or `web variables`"
            );
            std::process::exit(2);
        }
    }
}

/// One plain HTTP/1.0 request to loopback, answered within 2 s.
fn probe(port: u16, path: &str) -> bool {
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b" 200")
}

fn serve(behaviour: Behaviour) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let seed = std::process::id() as u64 ^ Instant::now().elapsed().as_nanos() as u64;
        let app = Arc::new(App {
            metrics: Metrics::new(&behaviour.version),
            draws: Mutex::new(Draws::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D))),
            started: Instant::now(),
            behaviour,
        });
        if let Some(after) = app.behaviour.crash_after_seconds {
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs_f64(after)).await;
                eprintln!("web: crashing after {after} s, as CRASH_AFTER_SECONDS asks");
                std::process::exit(3);
            });
        }
        let addr = ("0.0.0.0", app.behaviour.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| panic!("web: cannot listen on port {}: {e}", addr.1));
        // The bound port, not the asked one: PORT=0 takes a free port, and whoever started
        // the app reads it here.
        let port = listener
            .local_addr()
            .map_or(app.behaviour.port, |a| a.port());
        eprintln!("web {} listening on :{port}", app.behaviour.version);
        let shutdown_seconds = app.behaviour.shutdown_seconds;
        let router = Router::new()
            .route("/", get(root))
            .route("/health", get(health))
            .route("/ready", get(ready))
            .route("/metrics", get(export))
            .with_state(app);
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                terminated().await;
                // SHUTDOWN_SECONDS: keep answering for this long after SIGTERM.
                tokio::time::sleep(Duration::from_secs_f64(shutdown_seconds)).await;
            })
            .await
            .expect("web: server failed");
    });
}

async fn terminated() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

async fn root(State(app): State<Arc<App>>) -> impl IntoResponse {
    let b = &app.behaviour;
    let (fails, latency_ms) = {
        let mut d = app.draws.lock().expect("draws");
        (
            d.uniform() < b.error_rate,
            d.latency_ms(b.latency_p50_ms, b.latency_p99_ms),
        )
    };
    tokio::time::sleep(Duration::from_secs_f64(latency_ms / 1000.0)).await;
    let code = if fails {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    app.metrics.observe(code.as_u16(), latency_ms / 1000.0);
    let body = if fails {
        format!("error from {}\n", b.version)
    } else {
        format!("{}\n", b.version)
    };
    (code, body)
}

async fn health(State(app): State<Arc<App>>) -> StatusCode {
    if app.behaviour.healthy_at(app.uptime()) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

async fn ready(State(app): State<Arc<App>>) -> StatusCode {
    if app.behaviour.ready_at(app.uptime()) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

async fn export(State(app): State<Arc<App>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.text(),
    )
}
