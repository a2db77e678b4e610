//! What the Swarm tests share: the docker CLI as an independent client of the engine, the
//! reason to skip when no engine is here (a failure under `ROLLPLAY_REQUIRE_SWARM=1`), and
//! one engine used by one test at a time, with the stack emptied first.

#![allow(dead_code)]

use std::process::Command;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

pub fn docker(args: &[&str]) -> Result<String, String> {
    let out = Command::new("docker")
        .args(args)
        .output()
        .map_err(|e| format!("docker {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "docker {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// None when the tests can run; the reason to skip otherwise.
pub fn no_engine() -> Option<String> {
    let why = match docker(&["info", "--format", "{{.Swarm.LocalNodeState}}"]) {
        Ok(state) if state == "active" => {
            match docker(&["image", "inspect", "rollplay-demo/web:1.0.0"]) {
                Ok(_) => return None,
                Err(_) => {
                    "the demo images are not built (examples/app/build-images.sh)".to_string()
                }
            }
        }
        Ok(state) => format!("the engine is not in swarm mode ({state}); run docker swarm init"),
        Err(e) => format!("no Docker engine: {e}"),
    };
    if std::env::var("ROLLPLAY_REQUIRE_SWARM").is_ok_and(|v| v == "1") {
        panic!("ROLLPLAY_REQUIRE_SWARM=1 but {why}");
    }
    Some(why)
}

static ENGINE: LazyLock<Arc<tokio::sync::Mutex<()>>> = LazyLock::new(Default::default);

/// The engine for one test: waits for the tests before it, then removes every service of
/// `stack` and waits until their containers are gone.
pub async fn engine_for(stack: &str) -> tokio::sync::OwnedMutexGuard<()> {
    let guard = ENGINE.clone().lock_owned().await;
    empty(stack);
    guard
}

pub fn empty(stack: &str) {
    let label = format!("label=com.docker.stack.namespace={stack}");
    let services = docker(&["service", "ls", "-q", "--filter", &label]).unwrap_or_default();
    for id in services.split_whitespace() {
        let _ = docker(&["service", "rm", id]);
    }
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let left = docker(&["ps", "-aq", "--filter", &label]).unwrap_or_default();
        if left.is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
