//! What the Swarm tests share: the docker CLI as an independent client of the engine, the
//! reason to skip when no engine is here (a failure under `ROLLPLAY_REQUIRE_SWARM=1`), and
//! one engine used by one test at a time, with the stack emptied first.

#![allow(dead_code)]

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

pub use rollplay_contract::engine::docker;

/// None when the tests can run; the reason to skip otherwise.
pub fn no_engine() -> Option<String> {
    rollplay_contract::engine::swarm_engine_missing()
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
