//! Where a real target's `metrics()` come from (Prometheus, or an exporter rollplay scrapes
//! itself): a source answers for the pods of one workload, named the way the cluster names
//! them, so the same report shape serves the judge on every target.

use super::MetricsReport;
use crate::error::Result;
use async_trait::async_trait;
use std::time::Duration;

/// The pods a metrics query is about, as a source's queries name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsScope {
    pub namespace: String,
    /// The workload's name, or the selector as written (`app=web,track=canary`).
    pub workload: String,
    /// An anchored regular expression over pod names (`web-[a-z0-9]+-[a-z0-9]+` for a
    /// Deployment's pods: those of `web-canary` do not match it).
    pub pods: String,
}

impl MetricsScope {
    /// The pods of a Deployment: `NAME-<template hash>-<suffix>`.
    pub fn deployment(namespace: &str, name: &str) -> MetricsScope {
        MetricsScope::pattern(namespace, name, "-[a-z0-9]+-[a-z0-9]+")
    }

    /// The pods of a StatefulSet: `NAME-<ordinal>`.
    pub fn stateful_set(namespace: &str, name: &str) -> MetricsScope {
        MetricsScope::pattern(namespace, name, "-[0-9]+")
    }

    /// The pods of a DaemonSet: `NAME-<suffix>`.
    pub fn daemon_set(namespace: &str, name: &str) -> MetricsScope {
        MetricsScope::pattern(namespace, name, "-[a-z0-9]+")
    }

    /// Exactly these pods (a selector's, as they are now).
    pub fn pods(namespace: &str, selector: &str, names: &[String]) -> MetricsScope {
        let alternatives: Vec<String> = names.iter().map(|n| regex_escape(n)).collect();
        MetricsScope {
            namespace: namespace.into(),
            workload: selector.into(),
            pods: if alternatives.is_empty() {
                // Matches no pod name (pod names are never empty).
                "^$".into()
            } else {
                alternatives.join("|")
            },
        }
    }

    fn pattern(namespace: &str, name: &str, suffix: &str) -> MetricsScope {
        MetricsScope {
            namespace: namespace.into(),
            workload: name.into(),
            pods: format!("{}{suffix}", regex_escape(name)),
        }
    }
}

/// A name with the regular-expression characters a Kubernetes name can hold escaped.
fn regex_escape(name: &str) -> String {
    name.replace('.', "\\.")
}

/// A source of workload metrics for a real target.
#[async_trait]
pub trait MetricsSource: Send + Sync {
    /// `Prometheus at http://127.0.0.1:9090`, for messages and reports.
    fn describe(&self) -> String;

    /// Before anything changes: every query is valid and reachable, and the workload has the
    /// series the analysis reads, waiting up to `wait` for them to appear (freshly started
    /// pods are scraped a little later). Returns warnings (metrics that have no series but
    /// are not needed by the default analysis).
    async fn check(&self, scope: &MetricsScope, wait: Duration) -> Result<Vec<String>>;

    /// The window ending at `now` (Unix seconds). No data is an empty report (the judge
    /// calls that inconclusive), never an error.
    async fn report(
        &self,
        scope: &MetricsScope,
        window: Duration,
        now: f64,
    ) -> Result<MetricsReport>;

    /// Replaces the query of one metric for the rest of the run (a playbook's own PromQL).
    fn set_query(&self, metric: &str, query: &str) -> Result<()>;
}
