//! A window's report from Prometheus: the samples are range queries stepping by the sample
//! length (each point's rates over the step before it, as a simulator interval covers the
//! 5 s before its end), the window's percentiles and utilizations are instant queries over
//! the whole window. All queries of a report are sent at once.

use crate::{Answer, Prometheus};
use rollplay_core::backend::{MetricsInterval, MetricsReport, MetricsScope};
use rollplay_core::error::{Error, Result};
use std::collections::BTreeMap;
use std::time::Duration;

/// Metrics read per sample.
const PER_SAMPLE: [&str; 7] = [
    "rps",
    "error_rate",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "cpu_utilization",
    "pods",
];

/// Metrics read once for the whole window.
const PER_WINDOW: [&str; 6] = [
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "cpu_utilization",
    "memory_utilization",
    "pods",
];

/// Points by their instant in milliseconds (Prometheus answers at exact step multiples of
/// the start, to the millisecond).
type Points = BTreeMap<i64, f64>;

fn points(answer: &Answer) -> Points {
    answer
        .series
        .iter()
        .flat_map(|s| s.points.iter())
        .map(|(t, v)| ((t * 1000.0).round() as i64, *v))
        .collect()
}

fn single(answer: &Answer) -> Option<f64> {
    answer.series.first()?.points.last().map(|(_, v)| *v)
}

pub async fn build(
    source: &Prometheus,
    scope: &MetricsScope,
    window: Duration,
    now: f64,
) -> Result<MetricsReport> {
    let queries = source.queries();
    let step = queries.step;
    let steps = (window.as_millis() / step.as_millis().max(1)) as u64;
    if steps == 0 {
        return Err(Error::bad_input(
            "metrics()",
            format!(
                "a window of {} s is shorter than one sample ({} s, the metrics step); ask for at least {} s",
                window.as_secs_f64(),
                step.as_secs_f64(),
                step.as_secs_f64()
            ),
        ));
    }
    let step_s = step.as_secs_f64();
    let start = now - (steps - 1) as f64 * step_s;
    let mut sent = BTreeMap::new();
    let ranged = PER_SAMPLE.map(|metric| {
        let query = queries.render(metric, scope, step);
        sent.insert(format!("samples.{metric}"), query.clone());
        source.range(metric, query, (start, now, step))
    });
    let whole = PER_WINDOW.map(|metric| {
        let query = queries.render(metric, scope, window);
        sent.insert(format!("window.{metric}"), query.clone());
        source.instant(metric, query, now)
    });
    let (ranged, whole) = futures_util::future::try_join(
        futures_util::future::try_join_all(ranged),
        futures_util::future::try_join_all(whole),
    )
    .await?;
    let series: BTreeMap<&str, Points> = PER_SAMPLE
        .iter()
        .zip(&ranged)
        .map(|(m, a)| (*m, points(a)))
        .collect();
    let totals: BTreeMap<&str, Option<f64>> = PER_WINDOW
        .iter()
        .zip(&whole)
        .map(|(m, a)| (*m, single(a)))
        .collect();
    let mut report = assemble(&series, &totals, step_s, steps);
    report.source = rollplay_core::backend::MetricsSource::describe(source);
    report.queries = sent;
    Ok(report)
}

fn assemble(
    series: &BTreeMap<&str, Points>,
    totals: &BTreeMap<&str, Option<f64>>,
    step_s: f64,
    steps: u64,
) -> MetricsReport {
    let value = |metric: &str, at: i64| series.get(metric).and_then(|p| p.get(&at)).copied();
    let mut report = MetricsReport {
        seconds: steps as f64 * step_s,
        ..MetricsReport::default()
    };
    for (&at, &rps) in series.get("rps").into_iter().flatten() {
        let requests = (rps * step_s).round().max(0.0) as u64;
        let errors = value("error_rate", at)
            .map_or(0, |r| (r.clamp(0.0, 1.0) * requests as f64).round() as u64);
        // Percentiles of a step without requests are no data, whatever the query says.
        let latency = |m: &str| value(m, at).filter(|_| requests > 0);
        report.samples.push(MetricsInterval {
            at: at as f64 / 1000.0 - step_s,
            seconds: step_s,
            pods: value("pods", at).map_or(0, |p| p.round().max(0.0) as usize),
            requests,
            errors,
            p50_ms: latency("p50_ms"),
            p95_ms: latency("p95_ms"),
            p99_ms: latency("p99_ms"),
            cpu_utilization: value("cpu_utilization", at),
        });
        report.requests += requests;
        report.errors += errors;
    }
    let total = |m: &str| totals.get(m).copied().flatten();
    let traffic = report.requests > 0;
    report.p50_ms = total("p50_ms").filter(|_| traffic);
    report.p95_ms = total("p95_ms").filter(|_| traffic);
    report.p99_ms = total("p99_ms").filter(|_| traffic);
    report.cpu_utilization = total("cpu_utilization");
    report.memory_utilization = total("memory_utilization");
    report.pods = total("pods").map_or(0, |p| p.round().max(0.0) as usize);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_the_steps_with_requests_and_end_at_their_point() {
        let mut series = BTreeMap::new();
        series.insert("rps", Points::from([(100_000, 20.0), (105_000, 30.0)]));
        series.insert(
            "error_rate",
            Points::from([(100_000, 0.05), (105_000, 0.0)]),
        );
        series.insert("p99_ms", Points::from([(100_000, 80.0), (105_000, 90.0)]));
        series.insert("pods", Points::from([(100_000, 2.0), (105_000, 2.0)]));
        let mut totals = BTreeMap::new();
        totals.insert("p99_ms", Some(88.0));
        totals.insert("pods", Some(3.0));
        let r = assemble(&series, &totals, 5.0, 6);
        assert_eq!(r.samples.len(), 2);
        assert_eq!((r.samples[0].at, r.samples[0].seconds), (95.0, 5.0));
        assert_eq!((r.samples[0].requests, r.samples[0].errors), (100, 5));
        assert_eq!(r.samples[1].p99_ms, Some(90.0));
        assert_eq!((r.requests, r.errors, r.pods), (250, 5, 3));
        assert_eq!((r.seconds, r.p99_ms), (30.0, Some(88.0)));
    }

    #[test]
    fn no_series_is_an_empty_report_not_an_error() {
        let r = assemble(&BTreeMap::new(), &BTreeMap::new(), 5.0, 6);
        assert!(r.samples.is_empty() && r.requests == 0 && r.p99_ms.is_none());
    }
}
