//! The backend contract on the Kubernetes target, against the simulator served over the
//! Kubernetes API in this process (`rollplay sim serve`) at real speed, so that the
//! cluster's clock and rollplay's agree.

use async_trait::async_trait;
use parking_lot::Mutex;
use rollplay_contract::{Fixture, KUBERNETES_APP, KUBERNETES_INVALID_BATCH};
use rollplay_core::ClusterBackend;
use rollplay_core::manifest::{Manifest, load_text};
use rollplay_kube::KubeBackend;
use rollplay_sim::serve::{FaultOptions, ServeOptions, Served};
use rollplay_sim::{Profiles, SimBackend};
use std::sync::Arc;

/// Images start in a fraction of a second and are probed every second: the suite's
/// rollouts take seconds of wall time.
const PROFILES: &str = "defaults:\n  startup_seconds: 0.3\n  shutdown_seconds: 0.2\nimages:\n  web:never:\n    ready: false\n";

#[derive(Default)]
struct KubeOnSimServe {
    served: Mutex<Option<Served>>,
}

#[async_trait]
impl Fixture for KubeOnSimServe {
    async fn backend(&self) -> Arc<dyn ClusterBackend> {
        let profiles = Profiles::from_yaml(PROFILES, "profiles.yaml").expect("profiles");
        let sim = SimBackend::new(1, profiles).into_sim();
        // Every check runs with the watch lagging the writes, as a busy API server's does:
        // what rollplay reads back after its own change must be that change.
        let options = ServeOptions {
            faults: FaultOptions::parse("watch-lag=300ms").expect("faults"),
            ..ServeOptions::default()
        };
        let served = Served::start(sim, options).await.expect("sim serve starts");
        let backend = KubeBackend::connect_url(&served.url(), "default", None)
            .await
            .expect("connects");
        *self.served.lock() = Some(served);
        Arc::new(backend)
    }

    fn app(&self) -> Vec<Manifest> {
        load_text(KUBERNETES_APP, "app.yaml").expect("parses")
    }

    fn invalid_batch(&self) -> Vec<Manifest> {
        load_text(KUBERNETES_INVALID_BATCH, "invalid.yaml").expect("parses")
    }

    fn image(&self) -> &str {
        "web:1.0"
    }

    fn next_image(&self) -> &str {
        "web:1.1"
    }

    async fn never_ready_image(&self, _backend: &dyn ClusterBackend) -> String {
        "web:never".into()
    }
}

rollplay_contract::contract_suite!(KubeOnSimServe::default());
