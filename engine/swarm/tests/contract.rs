//! The backend contract on the Swarm target, against the real Docker engine of this machine
//! (the demo images of `examples/app/build-images.sh`). One check at a time owns the engine;
//! each starts with stack `default` empty.

mod common;

use async_trait::async_trait;
use parking_lot::Mutex;
use rollplay_contract::Fixture;
use rollplay_core::ClusterBackend;
use rollplay_core::manifest::{Manifest, load_text};
use rollplay_swarm::SwarmBackend;
use std::sync::Arc;

/// Every replica updated at once and a one-second monitor, so the suite's updates take
/// seconds. The start period keeps a never-ready task starting (not failed) for the checks
/// that wait on it.
const APP: &str = r#"services:
  web:
    image: rollplay-demo/web:1.0.0
    environment:
      PORT: "8080"
    healthcheck:
      test: ["CMD", "/web", "probe", "/ready"]
      interval: 1s
      timeout: 1s
      retries: 3
      start_period: 120s
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
      labels:
        app: web
      update_config:
        parallelism: 0
        monitor: 1s
        order: start-first
        failure_action: pause
      rollback_config:
        parallelism: 0
        monitor: 1s
      restart_policy:
        condition: any
        delay: 1s
"#;

/// A valid service, then one without an image.
const INVALID_BATCH: &str = "services:\n  refused-batch:\n    image: rollplay-demo/web:1.0.0\n  broken:\n    environment: {A: b}\n";

#[derive(Default)]
struct SwarmEngine {
    engine: Mutex<Option<tokio::sync::OwnedMutexGuard<()>>>,
}

#[async_trait]
impl Fixture for SwarmEngine {
    async fn backend(&self) -> Arc<dyn ClusterBackend> {
        let guard = common::engine_for(rollplay_contract::NAMESPACE).await;
        *self.engine.lock() = Some(guard);
        Arc::new(SwarmBackend::connect(None).await.expect("the local engine"))
    }

    fn app(&self) -> Vec<Manifest> {
        load_text(APP, "stack.yml").expect("parses")
    }

    fn invalid_batch(&self) -> Vec<Manifest> {
        load_text(INVALID_BATCH, "invalid.yml").expect("parses")
    }

    fn image(&self) -> &str {
        "rollplay-demo/web:1.0.0"
    }

    fn next_image(&self) -> &str {
        "rollplay-demo/web:1.1.0"
    }

    async fn never_ready_image(&self, _backend: &dyn ClusterBackend) -> String {
        "rollplay-demo/web:1.2.0-unhealthy".into()
    }
}

impl Drop for SwarmEngine {
    fn drop(&mut self) {
        common::empty(rollplay_contract::NAMESPACE);
    }
}

rollplay_contract::contract_suite!(SwarmEngine::default(), skip_when = common::no_engine);
