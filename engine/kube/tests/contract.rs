//! The backend contract on the Kubernetes target, against the simulator served over the
//! Kubernetes API in this process (`rollplay sim serve`) at real speed, so that the
//! cluster's clock and rollplay's agree.

use async_trait::async_trait;
use parking_lot::Mutex;
use rollplay_contract::Fixture;
use rollplay_core::ClusterBackend;
use rollplay_core::manifest::{Manifest, load_text};
use rollplay_kube::KubeBackend;
use rollplay_sim::serve::{ServeOptions, Served};
use rollplay_sim::{Profiles, SimBackend};
use std::sync::Arc;

/// Images start in a fraction of a second and are probed every second: the suite's
/// rollouts take seconds of wall time.
const PROFILES: &str = "defaults:\n  startup_seconds: 0.3\n  shutdown_seconds: 0.2\nimages:\n  web:never:\n    ready: false\n";

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
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: web:1.0
        readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 1}
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

#[derive(Default)]
struct KubeOnSimServe {
    served: Mutex<Option<Served>>,
}

#[async_trait]
impl Fixture for KubeOnSimServe {
    async fn backend(&self) -> Arc<dyn ClusterBackend> {
        let profiles = Profiles::from_yaml(PROFILES, "profiles.yaml").expect("profiles");
        let sim = SimBackend::new(1, profiles).into_sim();
        let served = Served::start(sim, ServeOptions::default())
            .await
            .expect("sim serve starts");
        let backend = KubeBackend::connect_url(&served.url(), "default", None)
            .await
            .expect("connects");
        *self.served.lock() = Some(served);
        Arc::new(backend)
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

    async fn never_ready_image(&self, _backend: &dyn ClusterBackend) -> String {
        "web:never".into()
    }
}

rollplay_contract::contract_suite!(KubeOnSimServe::default());
