//! Primitives on traffic: measure what a workload serves, and shape the simulator's load.

use rhai::plugin::*;

#[export_module]
pub mod traffic {
    use crate::api::host::{RhaiResult, duration, host, runtime_error};
    use rhai::{Dynamic, Map, NativeCallContext};
    use rollplay_core::kind::Kind;
    use serde_json::json;

    /// Metrics of a workload's pods over the `window` ending now: `requests`, `errors`,
    /// `error_rate` (0..1), `rps`, `p50_ms`, `p95_ms`, `p99_ms`, `cpu_utilization` and
    /// `memory_utilization` (percent of the pods' requests, as the autoscaler computes it),
    /// `pods`, `window_seconds`, `source` (`simulator`, `Prometheus at URL`), and `samples`: one map per interval (5 s on the simulator)
    /// with `at` (its start, in seconds as `now()`), `seconds` (its length), `requests`, `errors`, `error_rate`, `rps`, `p50_ms`, `p95_ms`, `p99_ms` and
    /// `cpu_utilization`, for statistics. Values without requests behind them are `()`.
    /// `workload` is a Deployment (`"web"`, a map from `apply()`), or the pods of a label
    /// selector: `"app=web,track=canary"` or `#{app: "web"}`. On the simulator, Services carry
    /// 100 req/s unless `sim_traffic()` or the profile file's `traffic:` says otherwise.
    ///
    /// Errors: the workload does not exist; a window of 0 or over an hour; a target with no
    /// metrics source.
    ///
    /// ```rhai
    /// sleep("1m");
    /// let m = metrics("web", "1m");
    /// assert(m.requests > 5000 && m.error_rate == 0.0);
    /// assert(m.samples.len() == 12 && m.p99_ms > m.p50_ms);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn metrics(ctx: NativeCallContext, workload: Dynamic, window: Dynamic) -> RhaiResult<Map> {
        let h = host(&ctx)?;
        let window = duration(&window, "metrics")?;
        let filter = super::filter(&h, &workload)?;
        let report = h.block_on("metrics", h.backend.metrics(&filter, window))?;
        let map = super::report(&report);
        if let Some(record) = &h.record {
            record.write(&h, &filter, window, &report, &map);
        }
        Ok(map)
    }

    /// Checks, before anything changes, that `metrics()` can answer for a workload (a
    /// Deployment or a selector, as `metrics()` takes): on a real target its source is
    /// reachable, every query is valid, and the workload has the series the analysis needs
    /// (requests, errors, latency). Missing series of other metrics (CPU, memory) are
    /// warnings: they are logged and returned. `wait` (optional, default none) is how long
    /// to wait for the series of freshly started pods to appear. On the simulator there is
    /// nothing to check but that the workload exists.
    ///
    /// Errors: an unreachable metrics source, a query Prometheus rejects, no request or
    /// latency series for the workload (after `wait`), each naming the metric and the query;
    /// a target with no metrics source. All exit 2.
    ///
    /// ```rhai
    /// let warnings = check_metrics("web", "30s");
    /// assert(warnings.is_empty());
    /// ```
    #[rhai_fn(name = "check_metrics", return_raw)]
    pub fn check_metrics_within(
        ctx: NativeCallContext,
        workload: Dynamic,
        wait: Dynamic,
    ) -> RhaiResult<rhai::Array> {
        let wait = duration(&wait, "check_metrics")?;
        let h = host(&ctx)?;
        super::check_metrics(&h, &workload, wait)
    }

    /// Replaces the PromQL behind one metric of `metrics()` for the rest of the run, as a
    /// `--metrics FILE` does: `rps`, `error_rate`, `p50_ms`, `p95_ms`, `p99_ms`,
    /// `cpu_utilization`, `memory_utilization` or `pods`, with the placeholders
    /// `{{selector}}`, `{{namespace}}`, `{{workload}}` and `{{interval}}`. Returns true when
    /// the target reads metrics by query (Prometheus), false on the simulator, which measures
    /// its own traffic, so one playbook runs on both.
    ///
    /// Errors: an unknown metric or placeholder (with a "did you mean"); a target with no
    /// metrics source.
    ///
    /// ```rhai
    /// let used = metrics_query("rps", "sum(rate(http_server_requests_seconds_count{ {{selector}} }[{{interval}}]))");
    /// assert(used == !has_capability("simulator"));
    /// ```
    #[rhai_fn(return_raw)]
    pub fn metrics_query(ctx: NativeCallContext, metric: &str, query: &str) -> RhaiResult<bool> {
        let h = host(&ctx)?;
        crate::target::check_metrics_query(metric, query)
            .and_then(|_| h.backend.set_metrics_query(metric, query))
            .map_err(|e| runtime_error(&e, Some("metrics_query")))
    }

    /// `check_metrics(workload, wait)` without waiting: the series must be there already.
    ///
    /// ```rhai
    /// assert(check_metrics("web").is_empty());
    /// ```
    #[rhai_fn(return_raw)]
    pub fn check_metrics(ctx: NativeCallContext, workload: Dynamic) -> RhaiResult<rhai::Array> {
        let h = host(&ctx)?;
        super::check_metrics(&h, &workload, std::time::Duration::ZERO)
    }

    /// Sets the simulated request rate of a Service from now on: a number of requests per
    /// second, or a load profile `[[at_seconds, rps], ...]` counted from now (linear between
    /// points, the last rate after the last point). Requests spread evenly over the Service's
    /// ready endpoints; with none they fail.
    ///
    /// Errors: the Service does not exist; negative rates; times that do not increase; any
    /// target but `sim`.
    ///
    /// ```rhai
    /// sim_traffic("web", [[0, 50], [60, 300]]);
    /// sleep("2m");
    /// assert(metrics("web", "30s").rps > 250.0);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn sim_traffic(ctx: NativeCallContext, service: Dynamic, rate: Dynamic) -> RhaiResult<()> {
        let h = host(&ctx)?;
        let svc = h.object(&service, Kind::Service, "sim_traffic")?;
        let rate = super::rate(&rate)?;
        let sim = h.simulator("sim_traffic")?;
        sim.set_traffic(&svc, rate.clone())
            .map_err(|e| runtime_error(&e, Some("sim_traffic")))?;
        h.record(
            "sim_traffic",
            &svc.short(),
            &svc.namespace,
            rate.describe(),
            json!({"rate": super::rate_json(&rate)}),
        );
        Ok(())
    }
}

use crate::api::host::{Host, RhaiResult, bad_argument};
use rhai::{Dynamic, Map};
use rollplay_core::backend::{MetricsFilter, MetricsInterval, MetricsReport, Rate};
use rollplay_core::kind::Kind;
use std::collections::BTreeMap;

/// `check_metrics()`: warnings are logged and returned.
fn check_metrics(
    h: &Host,
    workload: &Dynamic,
    wait: std::time::Duration,
) -> RhaiResult<rhai::Array> {
    let filter = filter(h, workload)?;
    let warnings = h.block_on("check_metrics", h.backend.check_metrics(&filter, wait))?;
    for w in &warnings {
        h.log(crate::output::Level::Warn, w);
    }
    Ok(warnings.into_iter().map(Dynamic::from).collect())
}

/// What `metrics()` measures: a Deployment, or the pods of a label selector.
fn filter(h: &Host, value: &Dynamic) -> RhaiResult<MetricsFilter> {
    let namespace = h.namespace();
    if let Some(s) = value.clone().try_cast::<rhai::ImmutableString>()
        && s.contains('=')
    {
        let mut selector = BTreeMap::new();
        for pair in s.split(',') {
            match pair.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => {
                    selector.insert(k.trim().to_string(), v.trim().to_string());
                }
                _ => {
                    return Err(bad_argument(
                        "metrics",
                        format!("\"{s}\": expected a selector like \"app=web,track=canary\""),
                    ));
                }
            }
        }
        return Ok(MetricsFilter::Selector {
            namespace,
            labels: selector,
        });
    }
    if let Some(map) = value.clone().try_cast::<Map>()
        && !map.contains_key("kind")
        && !map.contains_key("name")
    {
        let mut selector = BTreeMap::new();
        for (k, v) in map {
            let Some(v) = v.clone().try_cast::<rhai::ImmutableString>() else {
                return Err(bad_argument(
                    "metrics",
                    format!(
                        "selector label \"{k}\" must be a string, got {}",
                        v.type_name()
                    ),
                ));
            };
            selector.insert(k.to_string(), v.to_string());
        }
        return Ok(MetricsFilter::Selector {
            namespace,
            labels: selector,
        });
    }
    let w = h.object(value, Kind::Deployment, "metrics")?;
    if w.kind != Kind::Deployment {
        return Err(bad_argument(
            "metrics",
            format!(
                "{} is not a workload: pass a Deployment or a label selector",
                w.short()
            ),
        ));
    }
    Ok(MetricsFilter::Workload(w))
}

/// A rate from a script value: a number, or an array of `[at_seconds, rps]` pairs.
pub(crate) fn rate(value: &Dynamic) -> RhaiResult<Rate> {
    let number = |v: &Dynamic| {
        v.as_float()
            .ok()
            .or_else(|| v.as_int().ok().map(|i| i as f64))
    };
    if let Some(r) = number(value) {
        return Ok(Rate::Constant(r));
    }
    if let Some(points) = value.clone().try_cast::<rhai::Array>() {
        let mut out = Vec::new();
        for (i, p) in points.iter().enumerate() {
            let pair = p.clone().try_cast::<rhai::Array>().unwrap_or_default();
            match (
                pair.first().and_then(number),
                pair.get(1).and_then(number),
                pair.len(),
            ) {
                (Some(at), Some(rps), 2) => out.push((at, rps)),
                _ => {
                    return Err(bad_argument(
                        "sim_traffic",
                        format!("point {}: expected [at_seconds, rps], got {p}", i + 1),
                    ));
                }
            }
        }
        return Ok(Rate::Points(out));
    }
    Err(bad_argument(
        "sim_traffic",
        format!(
            "expected requests per second or [[at_seconds, rps], ...], got {}",
            value.type_name()
        ),
    ))
}

fn rate_json(rate: &Rate) -> serde_json::Value {
    match rate {
        Rate::Constant(r) => serde_json::json!(r),
        Rate::Points(p) => serde_json::json!(p),
    }
}

fn optional(v: Option<f64>) -> Dynamic {
    v.map(Dynamic::from_float).unwrap_or(Dynamic::UNIT)
}

fn interval(i: &MetricsInterval) -> Dynamic {
    let mut m = Map::new();
    let rate = (i.requests > 0).then(|| i.errors as f64 / i.requests as f64);
    m.insert("at".into(), Dynamic::from_float(i.at));
    m.insert("requests".into(), Dynamic::from_int(i.requests as i64));
    m.insert("errors".into(), Dynamic::from_int(i.errors as i64));
    m.insert("error_rate".into(), optional(rate));
    m.insert("seconds".into(), Dynamic::from_float(i.seconds));
    m.insert("rps".into(), Dynamic::from_float(i.rps()));
    m.insert("p50_ms".into(), optional(i.p50_ms));
    m.insert("p95_ms".into(), optional(i.p95_ms));
    m.insert("p99_ms".into(), optional(i.p99_ms));
    m.insert("cpu_utilization".into(), optional(i.cpu_utilization));
    Dynamic::from_map(m)
}

/// A report as the map scripts read.
fn report(r: &MetricsReport) -> Map {
    let mut m = Map::new();
    let rate = (r.requests > 0).then(|| r.errors as f64 / r.requests as f64);
    m.insert("requests".into(), Dynamic::from_int(r.requests as i64));
    m.insert("errors".into(), Dynamic::from_int(r.errors as i64));
    m.insert("error_rate".into(), optional(rate));
    m.insert("rps".into(), Dynamic::from_float(r.rps()));
    m.insert("p50_ms".into(), optional(r.p50_ms));
    m.insert("p95_ms".into(), optional(r.p95_ms));
    m.insert("p99_ms".into(), optional(r.p99_ms));
    m.insert("cpu_utilization".into(), optional(r.cpu_utilization));
    m.insert("memory_utilization".into(), optional(r.memory_utilization));
    m.insert("pods".into(), Dynamic::from_int(r.pods as i64));
    m.insert("window_seconds".into(), Dynamic::from_float(r.seconds));
    m.insert("source".into(), r.source.clone().into());
    m.insert(
        "samples".into(),
        Dynamic::from_array(r.samples.iter().map(interval).collect()),
    );
    m
}
