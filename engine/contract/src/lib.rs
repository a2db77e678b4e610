//! The backend contract: one suite of behaviour checks that every `ClusterBackend` runs (the
//! simulator, Kubernetes against `sim serve`, Swarm against a real engine), so a playbook
//! means the same on each. A target's test file implements [`Fixture`] and calls
//! [`contract_suite!`] once; checks of capabilities the target lacks are skipped, and say so.

pub mod checks;
pub mod engine;

use async_trait::async_trait;
use rollplay_core::ClusterBackend;
use rollplay_core::manifest::Manifest;
use std::sync::Arc;

/// What the suite needs from a target.
#[async_trait]
pub trait Fixture: Send + Sync {
    /// A fresh target (nothing of the suite applied yet) in namespace [`NAMESPACE`].
    async fn backend(&self) -> Arc<dyn ClusterBackend>;

    /// The application, in the target's own manifest format: a workload `web` labelled
    /// `app=web` with 3 replicas of [`Fixture::image`] (container `web`, ready within a
    /// minute) and a Service `web` selecting `app=web`.
    fn app(&self) -> Vec<Manifest>;

    /// A batch the target must refuse as a whole before changing anything: a valid object
    /// named `refused-batch` and an invalid one.
    fn invalid_batch(&self) -> Vec<Manifest>;

    /// The image `web` starts with, and a second good version.
    fn image(&self) -> &str;
    fn next_image(&self) -> &str;

    /// An image whose containers never become ready on this target (staged as needed).
    async fn never_ready_image(&self, backend: &dyn ClusterBackend) -> String;
}

/// The namespace the suite works in.
pub const NAMESPACE: &str = "default";

/// [`Fixture::app`] for a Kubernetes-shaped target (the simulator, kube): images start in
/// a moment and are probed every second, so the suite's rollouts take seconds even on a
/// target that runs in real time.
pub const KUBERNETES_APP: &str = "apiVersion: apps/v1
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

/// [`Fixture::invalid_batch`] for a Kubernetes-shaped target: a valid ConfigMap, then a
/// Deployment without containers.
pub const KUBERNETES_INVALID_BATCH: &str = "apiVersion: v1
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

/// Generates one test per contract check for a fixture expression:
/// `rollplay_contract::contract_suite!(SimFixture);`. A target that may be absent on a
/// machine names a function that says why it is (`skip_when = no_engine`, returning
/// `Option<String>`); each check then prints the reason and passes.
#[macro_export]
macro_rules! contract_suite {
    ($fixture:expr) => {
        $crate::contract_suite!($fixture, skip_when = $crate::never_skipped);
    };
    ($fixture:expr, skip_when = $skip:path) => {
        $crate::contract_suite!(@tests $fixture; $skip;
            apply_get_list_delete,
            a_deleted_workload_is_gone_at_once,
            a_refused_batch_changes_nothing,
            scale_sets_replicas_and_waits,
            set_image_rolls_out_a_new_version,
            wait_ready_takes_a_list_and_a_selector,
            wait_ready_stops_at_its_deadline_naming_the_workload,
            wait_ready_stops_at_once_when_cancelled,
            rollback_goes_to_the_previous_or_a_numbered_revision,
            switch_selector_moves_the_endpoints,
            history_pods_and_events_describe_the_workload,
            a_missing_workload_is_named_with_the_target
        );
    };
    (@tests $fixture:expr; $skip:path; $($check:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                if let Some(why) = $skip() {
                    eprintln!("skipped: {why}");
                    return;
                }
                $crate::checks::$check(&$fixture).await;
            }
        )*
    };
}

/// The `skip_when` of a target that is always there.
pub fn never_skipped() -> Option<String> {
    None
}
