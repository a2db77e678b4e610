//! The backend contract on the simulator.

use async_trait::async_trait;
use rollplay_contract::Fixture;
use rollplay_core::ClusterBackend;
use rollplay_core::manifest::{Manifest, load_text};
use rollplay_sim::{Profiles, SimBackend};
use std::sync::Arc;

struct SimFixture;

const APP: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 3
  progressDeadlineSeconds: 600
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: web:1.0
        readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 5}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
";

const INVALID: &str = "apiVersion: v1
kind: ConfigMap
metadata: {name: refused-batch}
data: {mode: fast}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken}
spec:
  selector: {matchLabels: {app: broken}}
  template:
    metadata: {labels: {app: broken}}
    spec: {containers: []}
";

#[async_trait]
impl Fixture for SimFixture {
    async fn backend(&self) -> Arc<dyn ClusterBackend> {
        Arc::new(SimBackend::new(1, Profiles::default()))
    }

    fn app(&self) -> Vec<Manifest> {
        load_text(APP, "app.yaml").expect("parses")
    }

    fn invalid_batch(&self) -> Vec<Manifest> {
        load_text(INVALID, "invalid.yaml").expect("parses")
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
