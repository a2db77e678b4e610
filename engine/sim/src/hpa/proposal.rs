//! What each metric proposes and how the proposals combine (HPA-3, HPA-8): the readings the
//! simulator supplies, the calculator path each metric type takes, and the controller's
//! error texts and ScalingActive reasons when a metric fails.

use super::controller::Scale;
use super::metric::{MetricSource, MetricSpec, MetricTarget};
use super::replicas::{Calculator, Estimate, PodCount, PodSample};

/// What the metrics APIs answer for one of `spec.metrics`.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Resource, ContainerResource and Pods metrics: every pod the target's selector lists
    /// (any phase, old and new ReplicaSets alike, HPA-16), each with its request for the
    /// metric's resource and its sample of this metric.
    Pods(Vec<PodSample>),
    /// Object metrics: the object's value; External metrics: the sum of the matching series.
    /// `pods` counts the selector's pods, which Value targets multiply the ratio by.
    Value { value_milli: i64, pods: PodCount },
}

/// Answers the metrics of a sync; closures `Fn(&MetricSpec) -> Result<Reading, String>` are
/// readers. An `Err` is the metrics API's failure message for that metric.
pub trait MetricReader {
    fn read(&self, metric: &MetricSpec) -> Result<Reading, String>;
}

impl<F: Fn(&MetricSpec) -> Result<Reading, String>> MetricReader for F {
    fn read(&self, metric: &MetricSpec) -> Result<Reading, String> {
        self(metric)
    }
}

/// One metric's outcome in a sync.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// [`MetricSpec::describe`]: `cpu resource utilization (percentage of request)`.
    pub metric: String,
    pub result: Result<Estimate, MetricFailure>,
}

/// Why a metric gave no proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricFailure {
    /// The ScalingActive reason: `FailedGetResourceMetric`, `FailedGetExternalMetric`, ...
    pub reason: &'static str,
    pub message: String,
}

/// The metrics' combined proposal (HPA-8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Combined {
    /// Scale on `replicas`, proposed by `metric`; `error` reports metrics that failed.
    Proposal {
        replicas: i64,
        metric: String,
        error: Option<String>,
    },
    /// No scaling: every metric failed, or some failed and the rest want fewer replicas.
    /// `failure` is the first failed metric's.
    Failed {
        failure: MetricFailure,
        error: String,
    },
}

/// HPA-8: the largest valid proposal; failures block scaling down.
pub fn combine(current: i64, proposals: &[Proposal]) -> Combined {
    let mut best: Option<(i64, &str)> = None;
    let mut first_failure: Option<&MetricFailure> = None;
    let mut failed = 0;
    for p in proposals {
        match &p.result {
            // A proposal of 0 is replaced even by another 0, as the controller's loop does.
            Ok(e) => {
                if best.is_none_or(|(r, _)| r == 0 || e.replicas > r) {
                    best = Some((e.replicas, &p.metric));
                }
            }
            Err(f) => {
                failed += 1;
                first_failure.get_or_insert(f);
            }
        }
    }
    let error = first_failure.map(|f| {
        format!(
            "invalid metrics ({failed} invalid out of {}), first error is: {}",
            proposals.len(),
            f.message
        )
    });
    match (best, first_failure) {
        (Some((replicas, metric)), failure) if failure.is_none() || replicas >= current => {
            Combined::Proposal {
                replicas,
                metric: metric.to_string(),
                error,
            }
        }
        (_, failure) => Combined::Failed {
            failure: failure.cloned().unwrap_or(MetricFailure {
                reason: "FailedGetResourceMetric",
                message: "no metrics to compute replicas from".into(),
            }),
            error: error.unwrap_or_else(|| "no metrics to compute replicas from".into()),
        },
    }
}

/// One metric's proposal from its reading (HPA-3), with the controller's error texts.
pub fn propose(
    calc: &Calculator,
    scale: Scale,
    metric: &MetricSpec,
    reading: Result<Reading, String>,
) -> Proposal {
    let current = scale.spec_replicas;
    let pod_based = !matches!(
        metric.source,
        MetricSource::Object { .. } | MetricSource::External { .. }
    );
    let result = reading.and_then(|reading| match (pod_based, metric.target, reading) {
        (true, MetricTarget::Utilization(t), Reading::Pods(pods)) => {
            let resource = metric.resource().unwrap_or("cpu");
            calc.resource_utilization(current, t, resource, &pods, &[])
                .map_err(|e| format!("failed to get {resource} utilization: {e}"))
        }
        (true, MetricTarget::AverageValue(t), Reading::Pods(pods)) => {
            calc.plain_average(current, t, metric.resource(), &pods, &[])
        }
        (false, MetricTarget::Value(t), Reading::Value { value_milli, pods }) => {
            calc.value(current, value_milli, t, pods)
        }
        (false, MetricTarget::AverageValue(t), Reading::Value { value_milli, .. }) => {
            Ok(calc.average_value(scale.status_replicas, value_milli, t))
        }
        (_, _, reading) => Err(format!(
            "the metrics reader answered {} for {}",
            match reading {
                Reading::Pods(_) => "pod samples",
                Reading::Value { .. } => "a single value",
            },
            metric.describe()
        )),
    });
    Proposal {
        metric: metric.describe(),
        result: result.map_err(|e| MetricFailure {
            reason: metric.failure_reason(),
            message: format!("{}: {e}", failure_prefix(metric)),
        }),
    }
}

/// How the controller prefixes a metric's error.
fn failure_prefix(metric: &MetricSpec) -> String {
    match &metric.source {
        MetricSource::Resource { name } => format!("failed to get {name} resource metric value"),
        MetricSource::ContainerResource { name, .. } => {
            format!("failed to get {name} container metric value")
        }
        MetricSource::Pods { .. } => "failed to get pods metric value".into(),
        MetricSource::Object { .. } => "failed to get object metric value".into(),
        MetricSource::External { .. } => "failed to get external metric value".into(),
    }
}
