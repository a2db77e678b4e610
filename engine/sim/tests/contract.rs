//! The backend contract on the simulator.

use async_trait::async_trait;
use rollplay_contract::{Fixture, KUBERNETES_APP, KUBERNETES_INVALID_BATCH};
use rollplay_core::ClusterBackend;
use rollplay_core::manifest::{Manifest, load_text};
use rollplay_sim::{Profiles, SimBackend};
use std::sync::Arc;

struct SimFixture;

#[async_trait]
impl Fixture for SimFixture {
    async fn backend(&self) -> Arc<dyn ClusterBackend> {
        Arc::new(SimBackend::new(1, Profiles::default()))
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

    async fn never_ready_image(&self, backend: &dyn ClusterBackend) -> String {
        let sim = backend.simulator().expect("the simulator's controls");
        sim.set_image_profile("web:never", &serde_json::json!({"ready": false}))
            .expect("a valid profile");
        "web:never".into()
    }
}

rollplay_contract::contract_suite!(SimFixture);
