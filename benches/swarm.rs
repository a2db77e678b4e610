//! Benchmark of the Swarm target on this machine's Docker engine (figures, not timed tests):
//! for the same 3-replica update (parallelism 1, delay 1 s, monitor 2 s, start-first, a 1 s
//! health check), how long after the engine's own `UpdateStatus.CompletedAt` rollplay's
//! `wait_ready` returns, beside when `docker service update --detach=false` returns for the same
//! update; and the API requests each sends for one update, counted by a proxy on the engine's
//! socket that both go through.
//!
//! Run with `cargo bench --bench swarm` (add `-- quick` for one round). Needs the engine in
//! swarm mode and the demo images (`examples/app/build-images.sh`).

use rollplay_core::backend::{ClusterBackend, Quiet};
use rollplay_core::kind::Kind;
use rollplay_core::manifest::load_text;
use rollplay_core::objref::ObjectRef;
use rollplay_core::wait::{Deadline, WaitFor, wait_ready};
use rollplay_swarm::{SwarmBackend, engine_time};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;

const STACK: &str = "rpbench";
const ENGINE_SOCKET: &str = "/var/run/docker.sock";

const APP: &str = r#"services:
  web:
    image: rollplay-demo/web:1.0.0
    healthcheck:
      test: ["CMD", "/web", "probe", "/ready"]
      interval: 1s
      timeout: 1s
      retries: 3
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
      update_config: {parallelism: 1, delay: 1s, monitor: 2s, order: start-first, failure_action: pause}
"#;

fn docker(args: &[&str]) -> Result<String, String> {
    let out = Command::new("docker")
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

fn wall() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A proxy on a socket of its own in front of the engine's, counting HTTP requests.
struct CountingProxy {
    path: String,
    requests: Arc<AtomicU64>,
}

/// Counts request lines (`... HTTP/1.1\r\n`) in what a client sends, across reads.
async fn forward_counting(
    mut from: impl AsyncReadExt + Unpin,
    mut to: impl AsyncWriteExt + Unpin,
    requests: Arc<AtomicU64>,
) {
    const MARK: &[u8] = b" HTTP/1.1\r\n";
    let mut buf = vec![0u8; 64 * 1024];
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut window = std::mem::take(&mut tail);
        window.extend_from_slice(&buf[..n]);
        let found = window.windows(MARK.len()).filter(|w| *w == MARK).count();
        requests.fetch_add(found as u64, Ordering::Relaxed);
        tail = window[window.len().saturating_sub(MARK.len() - 1)..].to_vec();
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

impl CountingProxy {
    async fn start() -> CountingProxy {
        let path = format!("/tmp/rollplay-bench-{}.sock", std::process::id());
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("bind the proxy socket");
        let requests = Arc::new(AtomicU64::new(0));
        let counter = requests.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let Ok(engine) = UnixStream::connect(ENGINE_SOCKET).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (engine_read, engine_write) = engine.into_split();
                    tokio::join!(
                        forward_counting(client_read, engine_write, counter),
                        async move {
                            let (mut r, mut w) = (engine_read, client_write);
                            let _ = tokio::io::copy(&mut r, &mut w).await;
                        }
                    );
                });
            }
        });
        CountingProxy { path, requests }
    }

    fn count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

/// The engine's UpdateStatus: (state, started, completed) in Unix seconds.
fn update_status() -> (String, Option<f64>, Option<f64>) {
    let text = docker(&[
        "service",
        "inspect",
        &format!("{STACK}_web"),
        "--format",
        "{{json .UpdateStatus}}",
    ])
    .unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let time = |k: &str| v[k].as_str().and_then(engine_time);
    (
        v["State"].as_str().unwrap_or("").to_string(),
        time("StartedAt"),
        time("CompletedAt"),
    )
}

fn remove_stack() {
    let _ = docker(&["service", "rm", &format!("{STACK}_web")]);
    let label = format!("label=com.docker.stack.namespace={STACK}");
    for _ in 0..150 {
        if docker(&["ps", "-aq", "--filter", &label])
            .unwrap_or_default()
            .is_empty()
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

async fn settle(backend: &SwarmBackend, web: &ObjectRef) {
    let deadline = Deadline::within(backend.now(), Duration::from_secs(300), None);
    let what = WaitFor::One(web.clone());
    wait_ready(backend, &what, &deadline, &CancellationToken::new(), &Quiet)
        .await
        .expect("rolls out");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let ready = docker(&["info", "--format", "{{.Swarm.LocalNodeState}}"])
        .is_ok_and(|s| s == "active")
        && docker(&["image", "inspect", "rollplay-demo/web:1.1.0"]).is_ok();
    if !ready {
        println!(
            "swarm benchmark skipped: needs a Docker engine in swarm mode and the demo images"
        );
        return;
    }
    let rounds = if std::env::args().any(|a| a == "quick") {
        1
    } else {
        3
    };
    remove_stack();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let proxy = CountingProxy::start().await;
        let backend = SwarmBackend::connect(Some(&format!("unix://{}", proxy.path))).await.expect("connects through the proxy");
        let web = ObjectRef::new(Kind::Deployment, STACK, "web");
        let outcome = backend.apply(&load_text(APP, "bench.yml").unwrap(), STACK).await;
        assert!(outcome.refused.is_none(), "{:?}", outcome.refused);
        settle(&backend, &web).await;
        let (mut ours, mut theirs, mut our_requests, mut their_requests, mut durations) = (vec![], vec![], vec![], vec![], vec![]);
        for round in 0..rounds {
            let before = proxy.count();
            backend.set_image(&web, None, "rollplay-demo/web:1.1.0").await.unwrap();
            settle(&backend, &web).await;
            let returned = wall();
            our_requests.push((proxy.count() - before) as f64);
            let (state, started, completed) = update_status();
            assert_eq!(state, "completed");
            ours.push((returned - completed.unwrap()) * 1000.0);
            durations.push(completed.unwrap() - started.unwrap());

            let before = proxy.count();
            let host = format!("unix://{}", proxy.path);
            let cli = Command::new("docker")
                .args(["-H", &host, "service", "update", "--detach=false", "--image", "rollplay-demo/web:1.0.0", &format!("{STACK}_web")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            let returned = wall();
            assert!(cli.success());
            their_requests.push((proxy.count() - before) as f64);
            let settled = Instant::now();
            let completed = loop {
                let (state, _, completed) = update_status();
                if state == "completed" || settled.elapsed() > Duration::from_secs(120) {
                    break completed.unwrap_or(returned);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            theirs.push((returned - completed) * 1000.0);
            eprintln!("round {}: rollplay {:.0} ms after CompletedAt, {} requests; docker CLI {:+.0} ms, {} requests", round + 1, ours[round], our_requests[round], theirs[round], their_requests[round]);
            // The engine's next update starts from a settled service.
            settle(&backend, &web).await;
        }
        println!("swarm: one 3-replica update (parallelism 1, delay 1s, monitor 2s, start-first), {rounds} rounds, medians");
        println!("  engine-side update duration (CompletedAt - StartedAt)     {:>8.1} s", median(durations));
        println!("  rollplay wait_ready returns after CompletedAt             {:>8.1} ms", median(ours));
        println!("  docker service update --detach=false returns after it    {:>+8.1} ms (negative: before the engine was done)", median(theirs));
        println!("  API requests per update: rollplay                         {:>8.0}", median(our_requests.clone()));
        println!("  API requests per update: docker CLI                       {:>8.0}", median(their_requests.clone()));
        println!("  rollplay / CLI requests                                   {:>8.3}", median(our_requests) / median(their_requests));
        let _ = std::fs::remove_file(&proxy.path);
    });
    remove_stack();
}
