//! `metrics()` on Kubernetes: a workload's pods as a metrics source (Prometheus) names them.
//! A Deployment's, StatefulSet's or DaemonSet's pods by their naming pattern, so pods that
//! are gone still count for the window they served in; a selector's pods as they are now.

use crate::backend::KubeBackend;
use rollplay_core::backend::{MetricsFilter, MetricsScope};
use rollplay_core::error::{Error, Result};
use rollplay_core::kind::Kind;

impl KubeBackend {
    pub(crate) async fn metrics_scope(&self, filter: &MetricsFilter) -> Result<MetricsScope> {
        match filter {
            MetricsFilter::Workload(w) => match w.kind {
                Kind::Deployment => Ok(MetricsScope::deployment(&w.namespace, &w.name)),
                Kind::StatefulSet => Ok(MetricsScope::stateful_set(&w.namespace, &w.name)),
                Kind::DaemonSet => Ok(MetricsScope::daemon_set(&w.namespace, &w.name)),
                other => Err(Error::bad_input(
                    format!("metrics({})", w.short()),
                    format!(
                        "a {} has no pods of its own: pass a Deployment, StatefulSet, DaemonSet or a label selector",
                        other.name()
                    ),
                )),
            },
            MetricsFilter::Selector { namespace, labels } => {
                let text: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let text = text.join(",");
                let names: Vec<String> = self
                    .list_values(Kind::Pod, namespace, Some(&text), None)
                    .await?
                    .iter()
                    .filter_map(|p| p["metadata"]["name"].as_str().map(String::from))
                    .collect();
                Ok(MetricsScope::pods(namespace, &text, &names))
            }
        }
    }
}
