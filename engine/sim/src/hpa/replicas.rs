//! The replica count one metric proposes (HPA-3..HPA-7): the controller's replica calculator
//! over pod samples, object values and external values, integer arithmetic included.

use crate::time::{SECOND, SimTime};

/// `status.phase` of a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodPhase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

/// The pod's `Ready` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadyCondition {
    /// True when the condition's status is `True`.
    pub status: bool,
    pub last_transition: SimTime,
}

/// One metrics-server (or custom metrics) sample of a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub value_milli: i64,
    /// When the sample's window ended.
    pub timestamp: SimTime,
    /// How long the sample averages over.
    pub window: SimTime,
}

/// A pod the target's selector matches, with what one metric says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSample {
    pub name: String,
    pub phase: PodPhase,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// None when the pod has no Ready condition yet.
    pub ready: Option<ReadyCondition>,
    /// `status.startTime`; None before the kubelet accepted the pod.
    pub start_time: Option<SimTime>,
    /// The request for the metric's resource, summed over the pod's containers (or the named
    /// container's for ContainerResource). None when a container has none (HPA-6).
    pub request_milli: Option<i64>,
    /// None when the metrics API has no sample for the pod.
    pub sample: Option<Sample>,
}

impl PodSample {
    /// A Running, Ready pod started long ago (handy in tests and for non-CPU metrics).
    pub fn running(
        name: impl Into<String>,
        request_milli: Option<i64>,
        value_milli: Option<i64>,
    ) -> PodSample {
        PodSample {
            name: name.into(),
            phase: PodPhase::Running,
            deleting: false,
            ready: Some(ReadyCondition {
                status: true,
                last_transition: 0,
            }),
            start_time: Some(0),
            request_milli,
            sample: value_milli.map(|v| Sample {
                value_milli: v,
                timestamp: 0,
                window: 60 * SECOND,
            }),
        }
    }
}

/// The per-direction tolerance (HPA-4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    pub scale_down: f64,
    pub scale_up: f64,
}

impl Default for Tolerance {
    fn default() -> Tolerance {
        Tolerance {
            scale_down: 0.1,
            scale_up: 0.1,
        }
    }
}

impl Tolerance {
    /// HPA-4: inclusive on both sides, in the new controller's form `1 − down ≤ r ≤ 1 + up`.
    pub fn within(&self, ratio: f64) -> bool {
        1.0 - self.scale_down <= ratio && ratio <= 1.0 + self.scale_up
    }
}

/// The current value of a metric as `status.currentMetrics` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CurrentValue {
    /// Percent of request (Utilization targets).
    pub average_utilization: Option<i64>,
    /// Per pod, milli-units.
    pub average_value_milli: Option<i64>,
    /// In total, milli-units (Object and External Value targets).
    pub value_milli: Option<i64>,
}

/// One metric's proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    pub replicas: i64,
    pub current: CurrentValue,
}

/// How many pods of the target's selector there are, for Object and External Value targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PodCount {
    /// All pods the selector lists.
    pub listed: i64,
    /// Those Running with Ready True.
    pub ready: i64,
}

/// The controller's settings for one calculation (HPA-1 flags) and the HPA's tolerance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calculator {
    pub now: SimTime,
    /// `--horizontal-pod-autoscaler-cpu-initialization-period` (300 s).
    pub cpu_initialization_period: SimTime,
    /// `--horizontal-pod-autoscaler-initial-readiness-delay` (30 s).
    pub initial_readiness_delay: SimTime,
    pub tolerance: Tolerance,
}

impl Calculator {
    /// The controller's defaults at `now`.
    pub fn new(now: SimTime) -> Calculator {
        Calculator {
            now,
            cpu_initialization_period: 300 * SECOND,
            initial_readiness_delay: 30 * SECOND,
            tolerance: Tolerance::default(),
        }
    }
}

/// The pods sorted by HPA-5, as indices into the input.
struct Groups {
    ready: usize,
    unready: Vec<usize>,
    missing: Vec<usize>,
    /// Per pod: it has a sample and is ready, so its sample is used as measured.
    counted: Vec<bool>,
}

impl Calculator {
    /// HPA-5. Ignored pods are simply left out.
    fn group(&self, pods: &[PodSample], cpu: bool) -> Groups {
        let mut g = Groups {
            ready: 0,
            unready: Vec::new(),
            missing: Vec::new(),
            counted: vec![false; pods.len()],
        };
        for (i, pod) in pods.iter().enumerate() {
            if pod.deleting || pod.phase == PodPhase::Failed {
                continue;
            }
            if pod.phase == PodPhase::Pending {
                g.unready.push(i);
                continue;
            }
            let Some(sample) = pod.sample else {
                g.missing.push(i);
                continue;
            };
            if cpu && self.cpu_sample_unready(pod, &sample) {
                g.unready.push(i);
                continue;
            }
            g.ready += 1;
            g.counted[i] = true;
        }
        g
    }

    /// HPA-5 for cpu: a young pod's sample counts only once it is Ready and a whole window
    /// was measured after that; an older pod is distrusted only if it never became ready.
    fn cpu_sample_unready(&self, pod: &PodSample, sample: &Sample) -> bool {
        let (Some(ready), Some(start)) = (pod.ready, pod.start_time) else {
            return true;
        };
        if start + self.cpu_initialization_period > self.now {
            !ready.status || sample.timestamp < ready.last_transition + sample.window
        } else {
            !ready.status && start + self.initial_readiness_delay > ready.last_transition
        }
    }

    /// Resource Utilization targets (HPA-6, HPA-7). `unlisted` are samples the metrics API
    /// returned for pods the selector no longer lists: they carry no request, so the
    /// utilization skips them, but they count as samples when the fill step sizes the result.
    pub fn resource_utilization(
        &self,
        current: i64,
        target_percent: i64,
        resource: &str,
        pods: &[PodSample],
        unlisted: &[i64],
    ) -> Result<Estimate, String> {
        if pods.is_empty() {
            return Err("no pods returned by selector while calculating replica count".into());
        }
        let groups = self.group(pods, resource == "cpu");
        // (request, value); unlisted samples have no request.
        let mut metrics: Vec<(Option<i64>, i64)> = Vec::new();
        for (i, pod) in pods.iter().enumerate() {
            if groups.counted[i] {
                metrics.push((pod.request_milli, pod.sample.map_or(0, |s| s.value_milli)));
            }
        }
        metrics.extend(unlisted.iter().map(|v| (None, *v)));
        if metrics.is_empty() {
            return Err("did not receive metrics for targeted pods (pods might be unready)".into());
        }
        // HPA-6: every listed pod needs a request, even those whose samples are dropped.
        if let Some(pod) = pods.iter().find(|p| p.request_milli.is_none()) {
            return Err(format!(
                "missing request for {resource} in Pod {} (set resources.requests.{resource} on every container)",
                pod.name
            ));
        }
        let (ratio, utilization, raw_average) = utilization_ratio(&metrics, target_percent)?;
        let current_value = CurrentValue {
            average_utilization: Some(utilization),
            average_value_milli: Some(raw_average),
            value_milli: None,
        };
        let estimate = |replicas| Estimate {
            replicas,
            current: current_value,
        };
        let scale_up_with_unready = !groups.unready.is_empty() && ratio > 1.0;
        if !scale_up_with_unready && groups.missing.is_empty() {
            return Ok(estimate(if self.tolerance.within(ratio) {
                current
            } else {
                ceil(ratio * groups.ready as f64)
            }));
        }
        // HPA-7: assume the worst for the direction of change before trusting it.
        if ratio < 1.0 {
            let fallback = target_percent.max(100);
            for &i in &groups.missing {
                let request = pods[i].request_milli.unwrap_or(0);
                metrics.push((Some(request), request * fallback / 100));
            }
        } else if ratio > 1.0 {
            metrics.extend(groups.missing.iter().map(|&i| (pods[i].request_milli, 0)));
        }
        if scale_up_with_unready {
            metrics.extend(groups.unready.iter().map(|&i| (pods[i].request_milli, 0)));
        }
        let (new_ratio, _, _) = utilization_ratio(&metrics, target_percent)?;
        Ok(estimate(self.settle(
            current,
            ratio,
            new_ratio,
            metrics.len(),
        )))
    }

    /// Resource AverageValue and Pods AverageValue targets: the plain average (HPA-3, HPA-7).
    /// `resource` is the resource name for Resource metrics (readiness matters for `cpu`
    /// only) and None for Pods metrics; `unlisted` as for [`Calculator::resource_utilization`].
    pub fn plain_average(
        &self,
        current: i64,
        target_milli: i64,
        resource: Option<&str>,
        pods: &[PodSample],
        unlisted: &[i64],
    ) -> Result<Estimate, String> {
        if pods.is_empty() {
            return Err("no pods returned by selector while calculating replica count".into());
        }
        let groups = self.group(pods, resource == Some("cpu"));
        let mut values: Vec<i64> = (0..pods.len())
            .filter(|&i| groups.counted[i])
            .map(|i| pods[i].sample.map_or(0, |s| s.value_milli))
            .collect();
        values.extend_from_slice(unlisted);
        if values.is_empty() {
            return Err("did not receive metrics for targeted pods (pods might be unready)".into());
        }
        let (ratio, average) = average_ratio(&values, target_milli);
        let estimate = |replicas| Estimate {
            replicas,
            current: CurrentValue {
                average_value_milli: Some(average),
                ..CurrentValue::default()
            },
        };
        let scale_up_with_unready = !groups.unready.is_empty() && ratio > 1.0;
        if !scale_up_with_unready && groups.missing.is_empty() {
            return Ok(estimate(if self.tolerance.within(ratio) {
                current
            } else {
                ceil(ratio * groups.ready as f64)
            }));
        }
        // HPA-7: a missing pod is assumed at the target on a scale-down and idle otherwise.
        let fill = if ratio < 1.0 { target_milli } else { 0 };
        values.extend(groups.missing.iter().map(|_| fill));
        if scale_up_with_unready {
            values.extend(groups.unready.iter().map(|_| 0));
        }
        let (new_ratio, _) = average_ratio(&values, target_milli);
        Ok(estimate(self.settle(
            current,
            ratio,
            new_ratio,
            values.len(),
        )))
    }

    /// HPA-7's second look: keep the current count when the filled-in ratio is within
    /// tolerance, or when filling reversed the direction of the change.
    fn settle(&self, current: i64, ratio: f64, new_ratio: f64, samples: usize) -> i64 {
        if self.tolerance.within(new_ratio)
            || (ratio < 1.0 && new_ratio > 1.0)
            || (ratio > 1.0 && new_ratio < 1.0)
        {
            return current;
        }
        let replicas = ceil(new_ratio * samples as f64);
        if (new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current) {
            return current;
        }
        replicas
    }

    /// Object and External Value targets (HPA-3): r = value / target, applied to the ready
    /// pods; with the target at 0 replicas (scale to zero) the ratio alone decides.
    pub fn value(
        &self,
        current: i64,
        value_milli: i64,
        target_milli: i64,
        pods: PodCount,
    ) -> Result<Estimate, String> {
        let ratio = value_milli as f64 / target_milli as f64;
        let replicas = if current == 0 {
            ceil(ratio)
        } else if self.tolerance.within(ratio) {
            current
        } else if pods.listed == 0 {
            return Err("unable to calculate ready pods: no pods returned by selector while calculating replica count".into());
        } else {
            ceil(ratio * pods.ready as f64)
        };
        Ok(Estimate {
            replicas,
            current: CurrentValue {
                value_milli: Some(value_milli),
                ..CurrentValue::default()
            },
        })
    }

    /// Object and External AverageValue targets (HPA-3): the total divided among the
    /// target's `status.replicas`.
    pub fn average_value(
        &self,
        status_replicas: i64,
        total_milli: i64,
        target_average_milli: i64,
    ) -> Estimate {
        let ratio = total_milli as f64 / (target_average_milli as f64 * status_replicas as f64);
        let replicas = if self.tolerance.within(ratio) {
            status_replicas
        } else {
            ceil(total_milli as f64 / target_average_milli as f64)
        };
        let average = if status_replicas > 0 {
            ceil(total_milli as f64 / status_replicas as f64)
        } else {
            total_milli
        };
        Estimate {
            replicas,
            current: CurrentValue {
                average_value_milli: Some(average),
                ..CurrentValue::default()
            },
        }
    }
}

/// HPA-6: the integer utilization decides the ratio; samples without a request are skipped.
/// Returns (ratio, utilization percent, raw average milli).
fn utilization_ratio(
    metrics: &[(Option<i64>, i64)],
    target_percent: i64,
) -> Result<(f64, i64, i64), String> {
    let (mut used, mut requested, mut entries) = (0i64, 0i64, 0i64);
    for (request, value) in metrics {
        if let Some(r) = request {
            used += value;
            requested += r;
            entries += 1;
        }
    }
    if requested == 0 {
        return Err("no metrics returned matched known pods".into());
    }
    let utilization = used * 100 / requested;
    Ok((
        utilization as f64 / target_percent as f64,
        utilization,
        used / entries,
    ))
}

/// HPA-6: the plain average uses integer division. Returns (ratio, average milli).
fn average_ratio(values: &[i64], target_milli: i64) -> (f64, i64) {
    let average = values.iter().sum::<i64>() / values.len() as i64;
    (average as f64 / target_milli as f64, average)
}

fn ceil(x: f64) -> i64 {
    x.ceil() as i64
}
